"""Reading the world around an error: the request, the job, and everything else the caller
hands ``persist_app_error`` (AppErrorContext).

The documented public API (``extract_request_context``, ``extract_job_context``,
``AppErrorContext``) lives here; where a frame runs is in ``errors.frames``, formatting
traces in ``errors.traces``, and turning values into something JSON can hold in
``errors.json_values``. Their names stay importable from here too."""

import dataclasses
from collections.abc import Mapping
from typing import Any

from errors.frames import (
    CallerLocation,
    current_frame,
    describe_frame,
    innermost_project_frame,
    is_project_file,
    project_relative_path,
)
from errors.json_values import safe_str, to_json_safe
from errors.traces import dotted_class_name, format_call_stack, format_trace

__all__ = [
    "AppErrorContext",
    "CallerLocation",
    "current_frame",
    "describe_frame",
    "dotted_class_name",
    "extract_job_context",
    "extract_request_context",
    "format_call_stack",
    "format_trace",
    "innermost_project_frame",
    "is_project_file",
    "project_relative_path",
    "safe_str",
    "to_json_safe",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppErrorContext:
    """Everything ``persist_app_error`` accepts besides the exception, as one value:
    ``persist_app_error(exc, AppErrorContext(app="xero", severity="warning"))``.

    The shape the upstream project's later API takes, so code written against it drops in.
    Every field is optional; what is left out is read from the calling frame (app, file,
    function) or defaults as in the keyword form (severity ERROR)."""

    app: str | None = None
    file: str | None = None
    function: str | None = None
    severity: int | str | None = None
    job_id: Any = None
    user_id: Any = None
    additional_context: Mapping[str, Any] | None = None


def extract_request_context(request: Any) -> dict[str, Any]:
    """What an error needs to know about the request it happened in. Works for anonymous
    users and for requests that never went through the authentication middleware."""
    user = getattr(request, "user", None)
    is_authenticated = bool(getattr(user, "is_authenticated", False))
    context: dict[str, Any] = {
        "user_id": safe_str(user.pk) if is_authenticated and user.pk is not None else None,
        "username": safe_str(user.get_username()) if is_authenticated else None,
        "path": safe_str(getattr(request, "path", "")),
        "method": safe_str(getattr(request, "method", "")),
    }
    meta = getattr(request, "META", {}) or {}
    if meta.get("QUERY_STRING"):
        context["query_string"] = safe_str(meta["QUERY_STRING"])
    if meta.get("HTTP_USER_AGENT"):
        context["user_agent"] = safe_str(meta["HTTP_USER_AGENT"])
    if meta.get("REMOTE_ADDR"):
        context["remote_addr"] = safe_str(meta["REMOTE_ADDR"])
    return context


JOB_ATTRIBUTES = ("job_number", "name", "status", "client", "client_name", "created_at")


def extract_job_context(job: Any) -> dict[str, Any]:
    """The identifying facts of a job, whatever shape the job object has."""
    if job is None:
        return {}
    job_id = _read_attribute(job, "id") or _read_attribute(job, "pk")
    context: dict[str, Any] = {"job_id": safe_str(job_id) if job_id is not None else None}
    for attribute in JOB_ATTRIBUTES:
        try:
            value = getattr(job, attribute, None)
        except Exception:
            continue
        if value is not None:
            context[attribute] = to_json_safe(value)
    return context


def _read_attribute(value: Any, name: str) -> Any:
    """An attribute, or None when reading it raises (a lazy property whose query fails)."""
    try:
        return getattr(value, name, None)
    except Exception:
        return None
