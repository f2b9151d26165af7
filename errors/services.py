"""Writes: storing an error, resolving and unresolving it.

``persist_app_error`` is called from ``except`` blocks all over an application, so it must be
cheap, must describe the failure well without help, and must never raise into its caller.
"""

import contextlib
import logging
import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from errors.conf import app_errors_setting
from errors.context import AppErrorContext
from errors.frames import current_frame, describe_frame
from errors.group_services import settle_groups_of
from errors.group_writes import (
    GroupVanished,
    forget_learnt,
    group_key_for,
    note_decision,
    write_occurrence,
)
from errors.inserts import prepare_insert
from errors.json_values import safe_str
from errors.limits import Limits, bound_column, bound_text
from errors.models import AppError, Severity
from errors.routers import errors_alias
from errors.selectors import has_active_filters
from errors.single_trip import write_in_one_trip
from errors.spool import SpoolUnavailable, append_to_spool, replay_if_due
from errors.storable_context import storable_context
from errors.traces import dotted_class_name, format_call_stack, format_trace
from errors.write_queue import writer_turn

logger = logging.getLogger("errors.persist")

ERROR_ID_ATTRIBUTE = "__app_error_id__"
# Keys of data the error itself writes; a context key of the same name is kept as
# "context_<key>" (an "invalid_severity": None from the context once lost the whole row).
RESERVED_DATA_KEYS = (
    "trace",
    "exception_type",
    "stack",
    "truncated",
    "invalid_severity",
    "invalid_job_id",
    "invalid_user_id",
)
SEVERITY_ALIASES = {"WARN": Severity.WARNING, "FATAL": Severity.CRITICAL}
# Read once: Severity.values and .names build a new list at every call.
SEVERITY_VALUES = frozenset(Severity.values)
SEVERITY_NAMES = frozenset(Severity.names)

_state = threading.local()

APP_LENGTH = AppError._meta.get_field("app").max_length
FILE_LENGTH = AppError._meta.get_field("file").max_length
FUNCTION_LENGTH = AppError._meta.get_field("function").max_length
RELEASE_LENGTH = AppError._meta.get_field("release").max_length


def is_persisting() -> bool:
    """True while this thread is inside persist_app_error: log handlers use it to avoid
    persisting the records that a failing persist writes about itself."""
    return getattr(_state, "depth", 0) > 0


def persist_app_error(
    exception: BaseException,
    app: str | AppErrorContext | None = None,
    file: str | None = None,
    function: str | None = None,
    severity: int | str | None = None,
    job_id: uuid.UUID | str | None = None,
    user_id: uuid.UUID | str | None = None,
    additional_context: Mapping[str, Any] | None = None,
    *,
    fingerprint: Sequence[Any] | None = None,
) -> AppError | None:
    """Store one failure with where it happened and what it was doing; return its row.

    ``persist_app_error(exc)`` alone is enough: the caller's app, file and function are read
    from the calling frame, the trace from the exception's own traceback. Persisting the same
    failure twice returns the first row. Never raises.

    The options may also come as one ``AppErrorContext`` in place of ``app`` (the upstream
    project's later API); keywords given beside it win. ``severity`` left out is ERROR.

    If the database refuses the row (down, locked past its timeout, disk full, table
    missing), the error is appended to the spool (``APP_ERRORS["SPOOL_PATH"]``), the failure
    is logged, and the unsaved AppError is returned: ``error._state.adding`` is still True and
    ``error.pk`` is the id the row gets when ``replay_error_spool`` stores it. Only when the
    spool cannot be written either is the error logged alone and None returned. An
    occurrence the storm limit counted without storing (``GROUP_ROWS_PER_HOUR``) is returned
    unsaved too, with ``error.group_change.stored`` False.

    The error joins the group its fingerprint names (errors.grouping): by default the
    exception type, the culprit and the normalized message. ``fingerprint`` replaces that
    with the caller's own parts (``["xero-sync"]``), or extends it when one part is
    ``"{{ default }}"``.
    """
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        app, file, function, severity, job_id, user_id, additional_context = merge_call_options(
            app, file, function, severity, job_id, user_id, additional_context
        )
        try:
            existing = app_error_for(exception)
        except Exception:  # the database may be down; the spool still takes the error
            existing = None
        if existing is not None:
            return existing
        caller = None
        if app is None or file is None or function is None:
            caller_frame = current_frame(1)
            caller = describe_frame(caller_frame) if caller_frame is not None else None
        error = build_app_error(
            exception,
            app=app if app is not None else getattr(caller, "app", None),
            file=file if file is not None else getattr(caller, "file", None),
            function=function if function is not None else getattr(caller, "function", None),
            severity=severity,
            job_id=job_id,
            user_id=user_id,
            additional_context=additional_context,
            call_stack_frame=current_frame(1),
        )
        # Spooled before, never replayed: the same id keeps a second spooling idempotent.
        known_id = getattr(exception, ERROR_ID_ATTRIBUTE, None)
        if isinstance(known_id, uuid.UUID):
            error.id = known_id
        stamp_release(error)
        error.group_key = group_key_for(error, exception, fingerprint)
        store_app_error(error, exception=exception)
        remember_app_error(exception, error)
        return error
    except Exception as failure:  # never raise into the caller's except block
        logger.error(
            "Could not store an application error (%s: %s); the error was:\n%s",
            type(failure).__name__,
            safe_str(failure),
            _describe_for_log(exception),
        )
        return None
    finally:
        _state.depth -= 1


def merge_call_options(
    app: str | AppErrorContext | None,
    file: str | None,
    function: str | None,
    severity: int | str | None,
    job_id: Any,
    user_id: Any,
    additional_context: Mapping[str, Any] | None,
) -> tuple[Any, ...]:
    """persist_app_error's options in its keyword order, when ``app`` may be an
    AppErrorContext: each keyword given (not None) wins over the context's field, and a
    severity neither gives is ERROR. ``issubclass(type(...))`` rather than ``isinstance``,
    which reads ``__class__`` and so can raise on a hostile ``app``."""
    if issubclass(type(app), AppErrorContext):
        given, app = app, None
    else:
        given = AppErrorContext()
    return (
        _first_given(app, given.app),
        _first_given(file, given.file),
        _first_given(function, given.function),
        _first_given(severity, given.severity, logging.ERROR),
        _first_given(job_id, given.job_id),
        _first_given(user_id, given.user_id),
        _first_given(additional_context, given.additional_context),
    )


def _first_given(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def build_app_error(
    exception: BaseException,
    *,
    app: str | None,
    file: str | None,
    function: str | None,
    severity: int | str,
    job_id: Any,
    user_id: Any,
    additional_context: Mapping[str, Any] | None,
    call_stack_frame=None,
) -> AppError:
    """An unsaved AppError for one exception, with every input normalised and nothing
    rejected: invalid values are kept in ``data`` beside the column they could not fill.

    The context is scrubbed of secrets (errors/scrubbing.py); every text is bounded and made
    storable for the errors database (errors/limits.py), what was cut noted in
    ``data["truncated"]`` with its original length. The context's steps run in one walk
    of it (errors/storable_context.py)."""
    limits = Limits.for_vendor(connections[errors_alias()].vendor)
    data: dict[str, Any] = {}
    truncated: dict[str, int] = {}
    if additional_context is not None:  # not truthiness: a hostile mapping may raise on len()
        context, context_length = storable_context(additional_context, limits)
        if context_length is not None:
            truncated["context"] = context_length
        for key, value in context.items():
            data[f"context_{key}" if key in RESERVED_DATA_KEYS else key] = value
    if isinstance(exception, BaseException):
        trace = _format_trace_safely(exception)
        data["exception_type"] = dotted_class_name(exception)
        message = safe_str(exception) or type(exception).__name__
        if exception.__traceback__ is None:
            data["stack"], stack_length = bound_text(
                format_call_stack(call_stack_frame), limits.trace, keep_nul=limits.keep_nul
            )
            if stack_length is not None:
                truncated["stack"] = stack_length
    else:
        data["exception_type"] = None
        trace = ""
        message = safe_str(exception)
    data["trace"], trace_length = bound_text(trace, limits.trace, keep_nul=limits.keep_nul)
    message, message_length = bound_text(message, limits.message, keep_nul=limits.keep_nul)
    for name, length in (("trace", trace_length), ("message", message_length)):
        if length is not None:
            truncated[name] = length
    if data["exception_type"] is not None:
        data["exception_type"] = bound_column(data["exception_type"], 255, keep_nul=limits.keep_nul)
    if truncated:
        data["truncated"] = truncated
    severity_value, invalid_severity = normalize_severity(severity)
    if invalid_severity is not None:
        data["invalid_severity"] = invalid_severity
    job_uuid, invalid_job_id = coerce_uuid(job_id)
    if invalid_job_id is not None:
        data["invalid_job_id"] = invalid_job_id
    user_uuid, invalid_user_id = coerce_uuid(user_id)
    if invalid_user_id is not None:
        data["invalid_user_id"] = invalid_user_id
    for key in ("invalid_severity", "invalid_job_id", "invalid_user_id"):
        if key in data:
            data[key] = bound_text(data[key], limits.context_value, keep_nul=limits.keep_nul)[0]
    return AppError(
        message=message,
        data=data,
        app=bound_column(app, APP_LENGTH, keep_nul=limits.keep_nul),
        file=bound_column(file, FILE_LENGTH, keep_nul=limits.keep_nul),
        function=bound_column(function, FUNCTION_LENGTH, keep_nul=limits.keep_nul),
        severity=severity_value,
        job_id=job_uuid,
        user_id=user_uuid,
    )


def store_app_error(error: AppError, *, exception: BaseException | None = None) -> bool:
    """Insert on the errors alias: in autocommit, as one statement; inside a transaction the
    caller holds on that alias, in a savepoint, so a failing insert cannot break it.

    True when the row is stored. When the database refuses it, the error goes to the spool,
    the failure is logged (with the error, so the log alone tells what happened) and False
    is returned; raises SpoolUnavailable only when the spool cannot take it either."""
    alias = errors_alias()
    connection = connections[alias]
    try:
        key = getattr(error, "group_key", None) or group_key_for(error, exception)
        write = prepare_insert(error, using=alias)
        try:
            write_in_group(error, key, write, alias)
        except GroupVanished:
            forget_learnt()
            write_in_group(error, key, write, alias)
    except Exception as failure:
        forget_learnt()  # a rolled-back write may have taught this process wrong ids
        reason = f"{type(failure).__name__}: {safe_str(failure)}"
        try:
            path = append_to_spool(error, reason=reason)
        except SpoolUnavailable as spool_failure:
            raise SpoolUnavailable(f"{reason}; and not spooled: {spool_failure}") from failure
        logger.error(
            "Could not store an application error (%s); it was spooled to %s as %s for "
            "replay_error_spool. The error was:\n%s",
            reason,
            path,
            error.pk,
            _describe_for_log(exception) if exception is not None else error.message,
        )
        return False
    replay_after_write(connection)
    return True


def stamp_release(error: AppError) -> None:
    """The release and environment the application runs as, read at each call so a setting
    changed at run time (or in a test) applies to the next error."""
    for name in ("RELEASE", "ENVIRONMENT"):
        value = app_errors_setting(name)
        text = safe_str(value).strip() if value is not None else ""
        setattr(error, name.lower(), text[:RELEASE_LENGTH] or None)


def write_in_group(error: AppError, key, write, alias: str) -> None:
    """The row and its group's figures, in one transaction on the errors alias: in one
    round trip when the group only needs counting (errors.single_trip), else the full path."""
    change = write_in_one_trip(error, key, write, alias)
    if change is None:
        with writer_turn(connections[alias]), transaction.atomic(using=alias):
            change = write_occurrence(error, key, write_row=write, using=alias)
        note_decision(alias, change)
    error.group_change = change


def replay_after_write(connection) -> None:
    """The database just took a row: errors spooled while it did not are stored now
    (errors.spool.replay_if_due), so an outage's errors reach the dashboard without anyone
    running the command. Not inside the caller's transaction on the errors alias,
    whose rollback would take them back out. Never raises."""
    if connection.in_atomic_block:
        return
    try:
        replay_if_due()
    except Exception as failure:
        logger.warning("Could not replay the error spool after a write: %s", safe_str(failure))


def remember_app_error(exception: BaseException, error: AppError) -> None:
    # An exception type that refuses attributes is stored fine, only not de-duplicated.
    with contextlib.suppress(Exception):
        setattr(exception, ERROR_ID_ATTRIBUTE, error.pk)


def app_error_for(exception: BaseException) -> AppError | None:
    """The row already stored for this failure: for the exception itself or any exception
    in its chain (``raise X from Y`` where Y was persisted)."""
    seen: set[int] = set()
    current: BaseException | None = exception if isinstance(exception, BaseException) else None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        error_id = getattr(current, ERROR_ID_ATTRIBUTE, None)
        if error_id is not None:
            found = AppError.objects.filter(pk=error_id).first()
            if found is not None:
                return found
        current = current.__cause__ or current.__context__
    return None


def normalize_severity(value: Any) -> tuple[int, str | None]:
    """A logging level from an int or a level name; anything else is ERROR plus the value
    that was given, for ``data`` (as a placeholder when even reading it raises)."""
    try:
        return _read_severity(value)
    except Exception:
        return int(Severity.ERROR), safe_str(value)


def _read_severity(value: Any) -> tuple[int, str | None]:
    if isinstance(value, int) and not isinstance(value, bool) and value in SEVERITY_VALUES:
        return int(value), None
    if isinstance(value, str):
        name = value.strip().upper()
        if name in SEVERITY_NAMES:
            return int(Severity[name]), None
        if name in SEVERITY_ALIASES:
            return int(SEVERITY_ALIASES[name]), None
        if name.isdigit() and int(name) in SEVERITY_VALUES:
            return int(name), None
    return int(Severity.ERROR), safe_str(value)


def coerce_uuid(value: Any) -> tuple[uuid.UUID | None, str | None]:
    """A UUID from a UUID, its string form or a model instance; otherwise None plus the value
    as text so it is kept, not dropped (a placeholder when even reading it raises, as a job
    whose ``pk`` property fails)."""
    try:
        return _read_uuid(value)
    except Exception:
        return None, safe_str(value)


def _read_uuid(value: Any) -> tuple[uuid.UUID | None, str | None]:
    if value is None or value == "":
        return None, None
    if isinstance(value, uuid.UUID):
        return value, None
    pk = getattr(value, "pk", None)
    if isinstance(pk, uuid.UUID):
        return pk, None
    try:
        return uuid.UUID(str(value).strip()), None
    except (ValueError, TypeError, AttributeError):
        return None, safe_str(value)


def _format_trace_safely(exception: BaseException) -> str:
    try:
        return format_trace(exception)
    except Exception as problem:  # a hostile __notes__ or chain must not cost the row
        return f"<trace could not be formatted: {type(problem).__name__}>"


def _describe_for_log(exception: Any) -> str:
    try:
        return (
            format_trace(exception) if isinstance(exception, BaseException) else safe_str(exception)
        )
    except Exception:
        return safe_str(exception)


def resolve_app_error(*, error: AppError, by) -> AppError:
    """Mark one error resolved by a staff member, now. Resolving twice keeps the first
    resolution: who and when do not move. Resolving a group's last open occurrence resolves
    the group."""
    if not error.resolved:
        error.mark_resolved(by)
        settle_groups_of(group_ids={error.group_id} - {None}, by=by)
    return error


def unresolve_app_error(*, error: AppError, by=None) -> AppError:
    """Reopen one error; a resolved group it belongs to reopens with it."""
    if error.resolved:
        error.mark_unresolved()
        settle_groups_of(group_ids={error.group_id} - {None}, by=by)
    return error


def resolve_app_errors(*, errors, by) -> int:
    """Resolve every unresolved error of a queryset in one UPDATE; returns how many changed.
    Groups left without an open occurrence are resolved too."""
    open_errors = errors.filter(resolved=False)
    group_ids = set(open_errors.order_by().values_list("group_id", flat=True).distinct())
    changed = open_errors.update(resolved=True, resolved_by=by, resolved_timestamp=timezone.now())
    settle_groups_of(group_ids=group_ids - {None}, by=by)
    return changed


class ResolveAllRefused(ValueError):
    """ "Resolve all matching" was asked of a filter that narrows nothing, or does not read."""


def may_resolve_matching(filterset) -> bool:
    """Whether "resolve all matching" may act on this filterset: a valid one that narrows
    the errors (ordering alone does not), so a cleared filter bar cannot resolve every
    error at once by accident."""
    return filterset.is_valid() and has_active_filters(filterset)


def resolve_matching_app_errors(*, filterset, by) -> int:
    """Resolve every unresolved error ``filterset`` matches, by ``by``, now; returns how many
    changed. The one meaning of "resolve all matching" for the dashboard and the API alike:
    refused (ResolveAllRefused) unless ``may_resolve_matching``."""
    if not may_resolve_matching(filterset):
        raise ResolveAllRefused("Narrow the filter first: resolving every error is not allowed.")
    return resolve_app_errors(errors=filterset.qs, by=by)


def unresolve_app_errors(*, errors, by=None) -> int:
    closed = errors.filter(resolved=True)
    group_ids = set(closed.order_by().values_list("group_id", flat=True).distinct())
    changed = closed.update(resolved=False, resolved_by=None, resolved_timestamp=None)
    settle_groups_of(group_ids=group_ids - {None}, by=by)
    return changed
