"""Reading the world around an error: the caller's frame, the request, the job, and turning
whatever the caller hands us into something JSON can hold."""

import dataclasses
import datetime
import decimal
import enum
import functools
import importlib
import linecache
import os
import sys
import sysconfig
import traceback
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath
from types import FrameType, TracebackType
from typing import Any

from django.apps import apps
from django.db import models

from errors.conf import app_errors_setting

MAX_DEPTH = 20
CAUSE_HEADER = "\nThe above exception was the direct cause of the following exception:\n\n"
CONTEXT_HEADER = "\nDuring handling of the above exception, another exception occurred:\n\n"
REPEAT_CUTOFF = 3  # as traceback folds recursion
ERRORS_PACKAGE_DIR = os.path.dirname(os.path.realpath(importlib.import_module("errors").__file__))


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


@dataclasses.dataclass(frozen=True)
class CallerLocation:
    app: str | None
    file: str | None
    function: str | None


def describe_frame(frame: FrameType) -> CallerLocation:
    """Where a frame runs: the owning Django app label (else the top-level package), the file
    relative to the project root in POSIX form, and the qualified function name."""
    module = frame.f_globals.get("__name__") or ""
    path = frame.f_code.co_filename
    return CallerLocation(
        app=app_label_for_module(module, path),
        file=project_relative_path(path),
        function=frame.f_code.co_qualname,
    )


def app_label_for_module(module: str, path: str) -> str | None:
    if module and module != "__main__":
        config = apps.get_containing_app_config(module)
        if config is not None:
            return config.label
        return module.split(".")[0]
    stem = PurePath(path).stem
    return stem or None


def project_relative_path(path: str) -> str:
    return _relative_path(path, app_errors_setting("PROJECT_ROOT"))


@functools.lru_cache(maxsize=1024)
def _relative_path(path: str, root: str | PurePath | None) -> str:
    """Cached: resolving a path asks the file system, and errors come from the same few
    files again and again."""
    candidate = Path(path)
    if root is not None and candidate.is_absolute():
        try:
            return candidate.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return candidate.as_posix()


def innermost_project_frame(tb: TracebackType | None) -> FrameType | None:
    """The deepest traceback frame in the project's own code (see ``is_project_file``):
    where an exception really came from, past Django, libraries and the standard library."""
    root = app_errors_setting("PROJECT_ROOT")
    root_key = None if root is None else str(root)
    found = None
    while tb is not None:
        if is_project_file(tb.tb_frame.f_code.co_filename, root_key):
            found = tb.tb_frame
        tb = tb.tb_next
    return found


# Folders below the project root that hold installed code, not the project's own.
LIBRARY_FOLDERS = frozenset({"site-packages", "dist-packages", ".venv", "venv"})


@functools.lru_cache(maxsize=4096)
def is_project_file(filename: str, root: str | None) -> bool:
    """Whether code from ``filename`` is the project's own: a real file under ``root`` (any
    file when there is no root), not below a ``site-packages``, ``dist-packages``, ``.venv``
    or ``venv`` folder, not under the interpreter's prefixes or standard library, and not
    the errors app itself (a library the project plugs in, vendored or installed). Tests
    count. Cached: every persisted error asks this of each frame of its traceback, and the
    same few files come back again and again."""
    if not filename or filename.startswith("<"):  # <frozen ...>, <string>, <stdin>
        return False
    path = os.path.realpath(filename)
    root_path = None if root is None else os.path.realpath(root)
    if root_path is not None:
        if not _is_within(path, root_path):
            return False
        below_root = os.path.relpath(path, root_path).split(os.sep)
    else:
        below_root = path.split(os.sep)
    if LIBRARY_FOLDERS.intersection(below_root[:-1]):
        return False
    excluded = [ERRORS_PACKAGE_DIR, *_interpreter_paths()]
    return not any(
        _is_within(path, folder)
        for folder in excluded
        if root_path is None or not _is_within(root_path, folder)  # a project inside a prefix
    )


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@functools.cache
def _interpreter_paths() -> tuple[str, ...]:
    """Where the interpreter keeps its own and installed code: the virtualenv's and the base
    installation's prefixes, the standard library and site-packages."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    scheme = sysconfig.get_paths()
    paths.update(scheme[name] for name in ("stdlib", "platstdlib", "purelib", "platlib"))
    return tuple(sorted({os.path.realpath(path) for path in paths if path}))


def format_trace(exception: BaseException) -> str:
    """The full trace from the exception's own traceback, chained causes included, so it is
    right even when formatted outside the ``except`` block.

    It reads as ``traceback.format_exception`` does (file, line, function and source line of
    every frame, repeated frames folded, the chain in order, notes) without the ``^^^``
    position markers: to place them Python 3.11 parses every frame's source line, which cost
    more than storing the row. Exception groups and syntax errors, rare and drawn in shapes
    of their own, keep the standard formatting."""
    chain = exception_chain(exception)
    if any(isinstance(link, BaseExceptionGroup | SyntaxError) for link, _ in chain):
        return "".join(
            traceback.format_exception(type(exception), exception, exception.__traceback__)
        )
    parts: list[str] = []
    for link, header in reversed(chain):
        if header:
            parts.append(header)
        if link.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts += format_frames(link.__traceback__)
        parts += format_exception_only(link)
    return "".join(parts)


def exception_chain(exception: BaseException) -> list[tuple[BaseException, str | None]]:
    """The exception and the ones it was raised from or while handling, newest first, each
    with the header that introduces it after its cause; a cycle ends the chain."""
    chain: list[tuple[BaseException, str | None]] = []
    seen: set[int] = set()
    current: BaseException | None = exception
    while current is not None:
        seen.add(id(current))
        cause, context = current.__cause__, current.__context__
        if cause is not None and id(cause) not in seen:
            chain.append((current, CAUSE_HEADER))
            current = cause
        elif context is not None and id(context) not in seen and not current.__suppress_context__:
            chain.append((current, CONTEXT_HEADER))
            current = context
        else:
            chain.append((current, None))
            current = None
    return chain


def format_frames(tb: TracebackType) -> list[str]:
    """One traceback's frames, outermost first, as ``traceback`` prints them without the
    position markers; a frame repeated more than three times in a row (recursion) is
    folded into one line saying how often."""
    lines: list[str] = []
    checked: set[str] = set()
    last, count = None, 0
    current: TracebackType | None = tb
    while current is not None:
        frame = current.tb_frame
        filename, lineno, name = frame.f_code.co_filename, current.tb_lineno, frame.f_code.co_name
        current = current.tb_next
        if (filename, lineno, name) != last:
            if count > REPEAT_CUTOFF:
                lines.append(_repeated(count - REPEAT_CUTOFF))
            last, count = (filename, lineno, name), 0
        count += 1
        if count > REPEAT_CUTOFF:
            continue
        lines.append(f'  File "{filename}", line {lineno}, in {name}\n')
        if filename not in checked:  # a source file edited since it was cached is reread
            checked.add(filename)
            linecache.checkcache(filename)
        source = linecache.getline(filename, lineno, frame.f_globals) if lineno else ""
        if source.strip():
            lines.append(f"    {source.strip()}\n")
    if count > REPEAT_CUTOFF:
        lines.append(_repeated(count - REPEAT_CUTOFF))
    return lines


def _repeated(count: int) -> str:
    return f"  [Previous line repeated {count} more time{'s' if count > 1 else ''}]\n"


def format_exception_only(exception: BaseException) -> list[str]:
    """The last lines of a trace: the exception's type and text, then its notes."""
    cls = type(exception)
    name, module = cls.__qualname__, cls.__module__
    if module not in ("__main__", "builtins"):
        name = f"{module if isinstance(module, str) else '<unknown>'}.{name}"
    text = _safe_string(exception, "exception")
    lines = [f"{name}: {text}\n" if text else f"{name}\n"]
    notes = getattr(exception, "__notes__", None)
    if isinstance(notes, Sequence):
        for note in notes:
            lines += [line + "\n" for line in _safe_string(note, "note").split("\n")]
    elif notes is not None:
        lines.append(_safe_string(notes, "__notes__", convert=repr))
    return lines


def _safe_string(value: Any, what: str, convert=str) -> str:
    """What ``traceback`` prints for a value whose ``str()`` (or ``repr()``) raises."""
    try:
        return convert(value)
    except BaseException:
        return f"<{what} {convert.__name__}() failed>"


def format_call_stack(frame: FrameType | None) -> str:
    return "".join(traceback.format_stack(frame)) if frame is not None else ""


def dotted_class_name(exception: BaseException) -> str:
    cls = type(exception)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def safe_str(value: Any) -> str:
    """``str(value)`` that cannot raise and is a plain ``str``: a str subclass gives the text
    it holds (its methods may be overridden to raise); otherwise falls back to repr, then to
    a placeholder naming the type."""
    if issubclass(type(value), str):
        return str.__str__(value)
    for convert in (str, repr):
        try:
            text = convert(value)
            return str.__str__(text)
        except Exception:
            continue
    return f"<unprintable {type(value).__name__}>"


def to_json_safe(value: Any, *, _depth: int = 0, _seen: frozenset[int] = frozenset()) -> Any:
    """Convert any value into JSON-compatible data, never rejecting it: UUIDs, dates and
    decimals become strings, sets sorted lists, model instances a labelled reference, cycles
    and excessive depth a marker, and anything else its string form. A value that raises
    while being read (a property, ``items()``, even ``__class__``) becomes its string form
    or a placeholder, and only that value: the rest of the context is kept."""
    if value is None or type(value) in (bool, int, str):
        return value
    try:
        return _convert_to_json_safe(value, _depth, _seen)
    except Exception:
        return safe_str(value)


def _convert_to_json_safe(value: Any, _depth: int, _seen: frozenset[int]) -> Any:
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return (
            value if value == value and value not in (float("inf"), float("-inf")) else str(value)
        )
    if _depth >= MAX_DEPTH:
        return "<max depth reached>"
    if isinstance(value, uuid.UUID | decimal.Decimal | PurePath):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return to_json_safe(value.value, _depth=_depth + 1, _seen=_seen)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="backslashreplace")
    if isinstance(value, models.Model):
        return {"model": value._meta.label, "pk": safe_str(value.pk), "repr": safe_str(value)}
    if isinstance(value, BaseException):
        return f"{dotted_class_name(value)}: {safe_str(value)}"
    if id(value) in _seen:
        return "<cycle>"
    seen = _seen | {id(value)}
    if isinstance(value, Mapping):
        return {
            safe_str(key): to_json_safe(item, _depth=_depth + 1, _seen=seen)
            for key, item in list(value.items())
        }
    if isinstance(value, set | frozenset):
        items = [to_json_safe(item, _depth=_depth + 1, _seen=seen) for item in value]
        return sorted(items, key=safe_str)
    if isinstance(value, list | tuple):
        return [to_json_safe(item, _depth=_depth + 1, _seen=seen) for item in list(value)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json_safe(dataclasses.asdict(value), _depth=_depth + 1, _seen=seen)
    return safe_str(value)


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


def current_frame(depth: int) -> FrameType | None:
    """The frame ``depth`` levels above the one calling this function."""
    try:
        return sys._getframe(depth + 1)
    except ValueError:
        return None
