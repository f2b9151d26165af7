"""The outage spool: errors the database refused, kept as JSON lines until it is back.

Appends are one ``write`` on an ``O_APPEND`` descriptor under an exclusive ``flock`` and are
fsync'd before ``persist_app_error`` returns, so several processes can spool at once and a
spooled error survives a crash. ``replay_spool`` (the ``replay_error_spool`` command) inserts
the spooled errors with their original id and timestamp, skipping ids already stored, and
then rewrites the file atomically under the lock keeping only what it did not store.
``replay_if_due`` does the same after a write the database took, when the spool is small, so
the spool drains itself once the database is back.

A line that cannot be read as a spooled error (bad JSON, bytes that are not UTF-8, a record
of the wrong shape) would otherwise wait forever and keep the dashboard's banner up: a
replay moves it, as it was, to ``<spool>.rejected`` beside the spool and logs why.

Replacing the file gives it a new inode; a writer that waited for the lock on the old one
notices (the path no longer names its descriptor's file) and opens the new one.
"""

import contextlib
import dataclasses
import datetime
import fcntl
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import Error as DatabaseError
from django.db import connections, transaction

from errors.conf import app_errors_setting
from errors.group_writes import GroupKey, group_key_for, write_occurrence
from errors.grouping import Fingerprint
from errors.inserts import prepare_insert
from errors.json_values import safe_str
from errors.limits import Limits, bound_column, sanitize_text
from errors.models import AppError
from errors.routers import errors_alias
from errors.write_queue import writer_turn

logger = logging.getLogger("errors.spool")

SPOOLED_FIELDS = (
    "id",
    "timestamp",
    "message",
    "data",
    "app",
    "file",
    "function",
    "severity",
    "job_id",
    "user_id",
    "release",
    "environment",
)
REPLAY_BATCH_SIZE = 500
# The largest spool a write replays on its own (a few hundred errors with long traces):
# replaying reads and rewrites the whole file, which for a larger one is the command's job.
AUTO_REPLAY_MAX_BYTES = 4 * 1024 * 1024


class SpoolUnavailable(Exception):
    """No spool path is configured, or the spool file cannot be written."""


def spool_path() -> Path | None:
    configured = app_errors_setting("SPOOL_PATH")
    return Path(configured) if configured else None


def error_to_line(error: AppError, *, reason: str = "") -> bytes:
    """One JSON line holding everything needed to insert the row later."""
    record: dict[str, Any] = {name: getattr(error, name) for name in SPOOLED_FIELDS}
    record["spooled_because"] = reason
    key = getattr(error, "group_key", None)
    if key is not None:  # the group is chosen again from these when the error is replayed
        record["grouping"] = {
            "parts": list(key.fingerprint.parts),
            "hash": key.fingerprint.hash,
            "version": key.fingerprint.version,
            "title": key.title,
            "exception_type": key.exception_type,
            "culprit": key.culprit,
        }
    return (json.dumps(record, default=str, separators=(",", ":")) + "\n").encode()


def line_to_error(line: bytes) -> AppError:
    """The unsaved AppError a spool line describes; raises ValueError (or whatever the JSON
    decoder raises) saying why when it is not one."""
    record = json.loads(line)
    if not isinstance(record, dict) or "id" not in record:
        raise ValueError("not a spooled error")
    fields = {name: record.get(name) for name in SPOOLED_FIELDS}
    fields["id"] = uuid.UUID(str(fields["id"]))
    fields["timestamp"] = datetime.datetime.fromisoformat(str(fields["timestamp"]))
    if fields["timestamp"].tzinfo is None:
        raise ValueError("timestamp has no time zone")
    for name in ("job_id", "user_id"):
        fields[name] = uuid.UUID(str(fields[name])) if fields[name] else None
    fields["data"] = fields["data"] if fields["data"] is not None else {}
    check_shape(fields)
    error = AppError(**fields)
    grouping = record.get("grouping")
    if isinstance(grouping, dict):
        error.group_key = GroupKey(
            fingerprint=Fingerprint(
                parts=tuple(str(part) for part in grouping["parts"]),
                hash=str(grouping["hash"]),
                version=int(grouping["version"]),
            ),
            title=str(grouping["title"]),
            exception_type=str(grouping["exception_type"]),
            culprit=str(grouping["culprit"]),
        )
    return error


def check_shape(fields: dict[str, Any]) -> None:
    """Raise ValueError naming the first field whose type no row could take: such a line
    would fail every replay, never be stored, and never leave the spool."""
    if not isinstance(fields["message"], str):
        raise ValueError("message is not text")
    if not isinstance(fields["data"], dict):
        raise ValueError("data is not an object")
    if not isinstance(fields["severity"], int) or isinstance(fields["severity"], bool):
        raise ValueError("severity is not an integer")
    for name in ("app", "file", "function"):
        if fields[name] is not None and not isinstance(fields[name], str):
            raise ValueError(f"{name} is not text")


def rejected_path(path: Path) -> Path:
    """Where unreadable spool lines are moved: ``<spool>.rejected``, beside the spool."""
    return path.with_name(f"{path.name}.rejected")


@contextlib.contextmanager
def locked_spool(path: Path) -> Iterator[int]:
    """A descriptor on the spool file, opened for appending, created if missing, held under
    an exclusive lock, and guaranteed to be the file the path names now."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with contextlib.suppress(FileNotFoundError):
                if os.path.samestat(os.fstat(fd), os.stat(path)):
                    break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # replaced or removed while we waited: open the one there now
    try:
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


def append_to_spool(error: AppError, *, reason: str = "") -> Path:
    """Append one error to the spool and fsync it; raises SpoolUnavailable if it cannot."""
    path = spool_path()
    if path is None:
        raise SpoolUnavailable("APP_ERRORS['SPOOL_PATH'] is not set")
    line = error_to_line(error, reason=reason)
    try:
        with locked_spool(path) as fd:
            size = os.fstat(fd).st_size
            # A line cut short by a full disk must not swallow the next one.
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
            if size == 0:
                fsync_directory(path.parent)
    except OSError as failure:
        raise SpoolUnavailable(f"cannot write {path}: {failure}") from failure
    return path


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_lines(fd: int) -> list[bytes]:
    with os.fdopen(os.dup(fd), "rb") as file:
        file.seek(0)
        return [line for line in file.read().splitlines() if line.strip()]


def count_pending(path: Path) -> int:
    """How many errors wait in the spool: its newlines, counted a megabyte at a time without
    parsing, so even a spool grown large during a long outage is cheap to count."""
    try:
        with open(path, "rb") as file:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


@dataclasses.dataclass
class ReplayResult:
    stored: int = 0
    already_stored: int = 0
    kept: int = 0
    unreadable: int = 0
    failed: int = 0
    rejected_name: str = ""

    def summary(self) -> str:
        """What the replay did, in the words the command and the dashboard both show."""
        text = f"Stored {self.stored} error(s); {self.already_stored} were already stored; "
        if self.unreadable:
            text += f"{self.unreadable} unreadable line(s) moved to {self.rejected_name}; "
        text += f"{self.kept} line(s) kept"
        if self.kept:
            text += f" ({self.failed} failed)"
        return text


def replay_spool(path: Path | None = None, *, batch_size: int = REPLAY_BATCH_SIZE) -> ReplayResult:
    """Insert the spooled errors and remove the stored ones from the spool; move the lines
    that cannot be read to ``<spool>.rejected``.

    The lock is held only to read and to rewrite the file, not during the inserts, so a
    process spooling meanwhile waits milliseconds; what it appends is kept by the rewrite.
    """
    path = path or spool_path()
    result = ReplayResult()
    if path is None or not path.exists():
        return result
    result.rejected_name = rejected_path(path).name
    with locked_spool(path) as fd:
        lines = read_lines(fd)
    errors: dict[uuid.UUID, AppError] = {}
    unreadable: dict[bytes, str] = {}
    for line in lines:
        try:
            error = line_to_error(line)
        except Exception as problem:  # bad JSON, undecodable bytes, deep nesting, wrong shape
            unreadable.setdefault(line, f"{type(problem).__name__}: {safe_str(problem)}")
            continue
        errors.setdefault(error.pk, error)
    done: set[str] = set()
    batch = list(errors.values())
    try:
        for start in range(0, len(batch), batch_size):
            store_chunk(batch[start : start + batch_size], result, done)
    finally:
        result.kept, result.unreadable = remove_stored(path, done, unreadable)
    return result


def store_chunk(chunk: list[AppError], result: ReplayResult, done: set[str]) -> None:
    """Insert one chunk; if it fails, each error alone, so one bad error holds back no other."""
    try:
        stored, already = insert_missing(chunk)
    except (DatabaseError, ValueError) as failure:
        if len(chunk) > 1:
            for error in chunk:
                store_chunk([error], result, done)
        else:
            logger.warning("Could not replay the spooled error %s: %s", chunk[0].pk, failure)
            result.failed += 1
        return
    result.stored += stored
    result.already_stored += already
    done.update(str(error.pk) for error in chunk)


def insert_missing(errors: list[AppError]) -> tuple[int, int]:
    """Insert the errors whose id is not stored yet; returns (inserted, already there).
    Conflicts are ignored too, so two replays running at once cannot store an id twice."""
    alias = errors_alias()
    limits = Limits.for_vendor(connections[alias].vendor)
    ids = [error.pk for error in errors]
    existing = set(AppError.objects.using(alias).filter(pk__in=ids).values_list("pk", flat=True))
    missing = [error for error in errors if error.pk not in existing]
    for error in missing:  # a spool written for one database may be replayed into another
        error.message = sanitize_text(error.message or "", keep_nul=limits.keep_nul)
        for name in ("app", "file", "function"):
            column = AppError._meta.get_field(name)
            value = bound_column(getattr(error, name), column.max_length, keep_nul=limits.keep_nul)
            setattr(error, name, value)
    connection = connections[alias]
    with writer_turn(connection), transaction.atomic(using=alias):
        for error in missing:  # each joins its group as if it had been stored when it happened
            key = getattr(error, "group_key", None) or group_key_for(error, None)
            write_occurrence(error, key, write_row=prepare_insert(error, using=alias), using=alias)
    return len(missing), len(existing)


def remove_stored(
    path: Path, stored_ids: set[str], unreadable: dict[bytes, str] | None = None
) -> tuple[int, int]:
    """Rewrite the spool without the stored errors, atomically, under the lock, moving the
    ``unreadable`` lines still there to ``<spool>.rejected`` (each logged with its reason)
    first. Returns how many lines are kept (appended since the read, or not stored) and how
    many were moved: a line another replay moved meanwhile is not moved twice."""
    unreadable = unreadable or {}
    with locked_spool(path) as fd:
        lines = read_lines(fd)
        moved = [line for line in lines if line in unreadable]
        if moved and not set_aside(path, moved, unreadable):
            moved = []  # kept in the spool for the next replay
        gone = set(moved)
        kept = [line for line in lines if line not in gone and spooled_id(line) not in stored_ids]
        if not kept:
            path.unlink()
        else:
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(temporary, "wb") as file:
                file.write(b"".join(line + b"\n" for line in kept))
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        fsync_directory(path.parent)
    return len(kept), len(moved)


def set_aside(path: Path, lines: list[bytes], reasons: dict[bytes, str]) -> bool:
    """Append unreadable lines, byte for byte, to ``<spool>.rejected`` and fsync it before
    they leave the spool; log each with why it could not be read. False (and logged) when
    the rejected file cannot be written: the lines then stay in the spool."""
    target = rejected_path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, b"".join(line + b"\n" for line in lines))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as failure:
        logger.error("Could not move unreadable spool lines to %s: %s", target, failure)
        return False
    for line in lines:
        logger.warning(
            "Moved an unreadable line of the error spool %s to %s (%s): %r",
            path,
            target,
            reasons[line],
            line[:200],
        )
    return True


def spooled_id(line: bytes) -> str | None:
    try:
        record = json.loads(line)
        return str(uuid.UUID(str(record["id"])))
    except (ValueError, TypeError, KeyError):
        return None


class ReplaySchedule:
    """When this process may next look at the spool after a write: at most once per
    interval, so a busy process pays one clock read per error and a stat per interval."""

    def __init__(self) -> None:
        self._next = 0.0
        self._lock = threading.Lock()

    def claim(self, interval: float, now: float) -> bool:
        with self._lock:
            if now < self._next:
                return False
            self._next = now + interval
            return True


_schedule = ReplaySchedule()


def replay_if_due(schedule: ReplaySchedule | None = None) -> ReplayResult | None:
    """After a write the database took: store the spooled errors, if some wait, the spool
    is at most AUTO_REPLAY_MAX_BYTES and this process has not looked for
    ``SPOOL_AUTO_REPLAY_SECONDS``. The caller whose write found the database back is held a
    fraction of a second at most; a larger spool waits for replay_error_spool (or the
    dashboard's banner), which stores it in one pass."""
    interval = app_errors_setting("SPOOL_AUTO_REPLAY_SECONDS")
    schedule = schedule or _schedule
    if interval is None or not schedule.claim(float(interval), time.monotonic()):
        return None
    path = spool_path()
    try:
        if path is None or not 0 < os.stat(path).st_size <= AUTO_REPLAY_MAX_BYTES:
            return None
    except OSError:  # no spool file: nothing waits
        return None
    return replay_spool(path)
