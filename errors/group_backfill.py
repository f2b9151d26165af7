"""Grouping the errors recorded before groups existed (``group_app_errors``).

The rows are walked in batches along the (timestamp, id) index, each batch its own short
transaction, so the command can be stopped and run again (it takes only rows still without
a group) and errors keep arriving meanwhile: new errors are grouped as they are written and
are never touched here. Every figure is added with ``x = x + n`` under the group's row lock,
in group id order, so a live writer and the backfill both count exactly and cannot deadlock.

A stored row keeps no traceback object, so its culprit is read back from its trace text:
the innermost frame in a project file, named as errors.grouping names live culprits (module
path and qualified name, the latter read from the file's current source at the frame's line:
the trace holds only the plain function name). Without one, the app and function stored on
the row stand in, as they do for a live error without a traceback.
"""

import dataclasses
import datetime
import functools
import os
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from django.db import connections, transaction
from django.db.models import Exists, OuterRef
from django.db.models.fields.json import KT

from errors.conf import app_errors_setting
from errors.frames import is_project_file
from errors.group_writes import (
    GROUP,
    HOURLY,
    SUBJECT,
    GroupKey,
    Statements,
    title_for,
)
from errors.grouping import build_fingerprint, default_fingerprint_parts
from errors.models import AppError, ErrorGroup, SubjectKind
from errors.routers import errors_alias
from errors.source_qualnames import qualname_at
from errors.write_queue import writer_turn

BATCH_SIZE = 5000
_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+), in (\S+)', re.MULTILINE)


@dataclasses.dataclass
class BackfillProgress:
    grouped: int = 0
    groups_created: int = 0


def count_ungrouped_app_errors() -> int:
    return AppError.objects.filter(group__isnull=True).count()


def group_app_errors(
    *,
    batch_size: int = BATCH_SIZE,
    limit: int | None = None,
    on_batch: Callable[[BackfillProgress], None] | None = None,
) -> BackfillProgress:
    """Give every error without a group its group; returns how many were grouped. Stops
    after ``limit`` rows when given (the rest waits for the next run)."""
    alias = errors_alias()
    progress = BackfillProgress()
    after: tuple[datetime.datetime, Any] | None = None
    while limit is None or progress.grouped < limit:
        size = batch_size if limit is None else min(batch_size, limit - progress.grouped)
        rows = _next_batch(alias, after, size)
        if not rows:
            break
        if _group_batch(alias, rows, progress):  # else read the same range again
            after = (rows[-1]["timestamp"], rows[-1]["id"])
        if on_batch is not None:
            on_batch(progress)
    return progress


def _next_batch(alias: str, after, size: int) -> list[dict]:
    rows = AppError.objects.using(alias).filter(group__isnull=True)
    if after is not None:
        rows = rows.filter(timestamp__gte=after[0]).exclude(timestamp=after[0], id__lte=after[1])
    return list(
        rows.order_by("timestamp", "id").values(
            "id",
            "timestamp",
            "message",
            "app",
            "function",
            "severity",
            "job_id",
            "user_id",
            "release",
            "resolved",
            "resolved_timestamp",
            "resolved_by_id",
            # From the JSON: the column is NULL in rows stored before it (PostgreSQL).
            data_exception_type=KT("data__exception_type"),
            trace=KT("data__trace"),
        )[:size]
    )


_culprits: dict[tuple[str, str], str | None] = {}


def culprit_from_trace(trace: str | None, root: Any) -> str | None:
    """The innermost project frame of a formatted trace, as ``module.function``. Traces of
    one failure differ only in their last line (the message), so the answer is kept per
    trace without it."""
    if not trace or root is None:
        return None
    key = (trace[: trace.rfind("\n")], str(root))
    if key not in _culprits:
        if len(_culprits) > 10_000:
            _culprits.clear()
        _culprits[key] = _culprit_from_frames(key[0], root)
    return _culprits[key]


def _culprit_from_frames(trace: str, root: Any) -> str | None:
    for path, line, function in reversed(_FRAME.findall(trace)):
        if is_project_file(path, str(root)):
            relative = os.path.relpath(os.path.realpath(path), os.path.realpath(str(root)))
            module = ".".join(PurePosixPath(relative).with_suffix("").parts)
            module = module.removesuffix(".__init__")
            return f"{module}.{_qualname(path, int(line), function)}"
    return None


def _qualname(path: str, line: int, function: str) -> str:
    """The frame's function as a live culprit names it (``InvoiceSync.push``, not ``push``),
    read from the file's current source; its plain name when the source cannot tell."""
    try:
        return qualname_at(path, line, function) or function
    except Exception:
        return function


def key_for_row(row: dict, root: Any) -> GroupKey:
    culprit = culprit_from_trace(row["trace"], root) or ".".join(
        part for part in (row["app"], row["function"]) if part
    )
    parts = default_fingerprint_parts(
        exception_type=row["data_exception_type"], culprit=culprit, message=row["message"]
    )
    return GroupKey(
        fingerprint=build_fingerprint(parts),
        title=title_for(row["data_exception_type"], row["message"]),
        exception_type=row["data_exception_type"] or "",
        culprit=culprit or "",
    )


class _Interfered(Exception):
    """Another backfill claimed some of the batch's rows first: the batch is read again."""


def _group_batch(alias: str, rows: list[dict], progress: BackfillProgress) -> bool:
    """Group one batch in one transaction; False when another backfill took some of its
    rows first (nothing was written)."""
    root = app_errors_setting("PROJECT_ROOT")
    keyed: dict[str, tuple[GroupKey, list[dict]]] = {}
    for row in rows:
        key = key_for_row(row, root)
        keyed.setdefault(key.fingerprint.hash, (key, []))[1].append(row)
    connection = connections[alias]
    ops = Statements(connection)
    try:
        with writer_turn(connection), transaction.atomic(using=alias):
            ids, created = _ensure_groups(ops, keyed)
            figures = {ids[fp]: GroupFigures.of(ops, members) for fp, (_, members) in keyed.items()}
            _claim(ops, keyed, ids)
            add_group_figures(ops, figures)
    except _Interfered:
        return False
    progress.grouped += len(rows)
    progress.groups_created += created
    return True


def _ensure_groups(ops: Statements, keyed: dict) -> tuple[dict[str, int], int]:
    """The group id of each fingerprint of the batch, and how many groups it created."""
    found = dict(
        ErrorGroup.objects.using(ops.connection.alias)
        .filter(fingerprint__in=list(keyed))
        .values_list("fingerprint", "id")
    )
    made = 0
    with ops.connection.cursor() as cursor:
        for fingerprint, (key, members) in keyed.items():
            if fingerprint in found:
                continue
            first = min(members, key=lambda row: row["timestamp"])
            stand_in = AppError(
                timestamp=first["timestamp"],
                app=first["app"],
                severity=first["severity"],
                release=first["release"],
                message=first["message"],
            )
            found[fingerprint], created = ops.ensure_group(cursor, stand_in, key)
            made += int(created)
    return found, made


def _claim(ops: Statements, keyed: dict, ids: dict[str, int]) -> None:
    """Point the batch's rows at their groups, in one statement run for each row; a row
    another backfill grouped meanwhile makes the whole batch start over."""
    pk = AppError._meta.pk
    params = [
        (ids[fingerprint], pk.get_db_prep_value(row["id"], ops.connection))
        for fingerprint, (_, members) in keyed.items()
        for row in members
    ]
    with ops.connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {AppError._meta.db_table} SET group_id = %s"
            " WHERE id = %s AND group_id IS NULL",
            params,
        )
        if cursor.rowcount != len(params):
            raise _Interfered


@dataclasses.dataclass
class GroupFigures:
    """One batch's contribution to one group."""

    count: int = 0
    first: datetime.datetime | None = None
    last: datetime.datetime | None = None
    severity: int = 0
    first_release: str = ""
    last_release: str = ""
    has_open: bool = False
    resolved_at: datetime.datetime | None = None
    resolved_by: Any = None
    hours: dict = dataclasses.field(default_factory=lambda: defaultdict(int))
    subjects: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, ops: Statements, members: list[dict]) -> "GroupFigures":
        figures = cls()
        for row in sorted(members, key=lambda row: row["timestamp"]):
            moment = row["timestamp"]
            figures.count += 1
            figures.first = figures.first or moment
            figures.last = moment
            figures.severity = max(figures.severity, row["severity"])
            if row["release"]:
                figures.first_release = figures.first_release or row["release"]
                figures.last_release = row["release"]
            if not row["resolved"]:
                figures.has_open = True
            elif row["resolved_timestamp"] and (
                figures.resolved_at is None or row["resolved_timestamp"] > figures.resolved_at
            ):
                figures.resolved_at, figures.resolved_by = (
                    row["resolved_timestamp"],
                    row["resolved_by_id"],
                )
            utc = moment.astimezone(datetime.UTC)
            figures.hours[utc.replace(minute=0, second=0, microsecond=0)] += 1
            for kind, subject in (
                (SubjectKind.JOB, row["job_id"]),
                (SubjectKind.USER, row["user_id"]),
            ):
                if subject:
                    entry = figures.subjects.setdefault((str(kind), subject), [0, moment])
                    entry[0] += 1
                    entry[1] = max(entry[1], moment)
        return figures


def add_group_figures(ops: Statements, figures: dict[int, GroupFigures]) -> None:
    """Add a batch's figures to its groups, in group id order (the lock order of writers).
    Its rows already point at their groups (a group is resolved only when none of its rows
    is open, these or others). Used by errors.group_rebuild too."""
    ordered = sorted(figures.items())
    open_elsewhere = _groups_with_open_rows(ops, [gid for gid, f in ordered if not f.has_open])
    # A batch's groups share their hours: each converted for the database once.
    moment = functools.cache(ops.moment)
    hours = [(gid, moment(hour), n, n) for gid, f in ordered for hour, n in sorted(f.hours.items())]
    subjects = [
        (gid, kind, ops.uuid(subject), n, ops.moment(seen))
        for gid, f in ordered
        for (kind, subject), (n, seen) in sorted(f.subjects.items(), key=lambda i: str(i[0]))
    ]
    common = (
        f"count = count + %s, first_seen = {ops.least}(first_seen, %s),"
        f" last_seen = {ops.greatest}(last_seen, %s), severity = {ops.greatest}(severity, %s),"
        " first_release = CASE WHEN first_release = '' THEN %s ELSE first_release END,"
        " last_release = CASE WHEN last_release = '' THEN %s ELSE last_release END"
    )
    reopened, resolved = [], []
    for gid, f in ordered:
        params = (f.count, ops.moment(f.first), ops.moment(f.last), f.severity)
        params += (f.first_release, f.last_release)
        if f.has_open or gid in open_elsewhere:
            reopened.append((*params, False, gid))
        else:  # resolved exactly when no occurrence is open, by whoever closed the latest
            at, by = ops.moment(f.resolved_at), _resolver(ops, f.resolved_by)
            resolved.append((*params, True, at, at, at, by, gid))
    with ops.connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {HOURLY} (group_id, hour, count, stored) VALUES (%s, %s, %s, %s)"
            f" ON CONFLICT (group_id, hour) DO UPDATE SET count = {HOURLY}.count"
            f" + excluded.count, stored = {HOURLY}.stored + excluded.stored",
            hours,
        )
        cursor.executemany(
            f"INSERT INTO {SUBJECT} (group_id, kind, subject_id, count, last_seen)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (kind, subject_id, group_id)"
            f" DO UPDATE SET count = {SUBJECT}.count + excluded.count,"
            f" last_seen = {ops.greatest}({SUBJECT}.last_seen, excluded.last_seen)",
            subjects,
        )
        cursor.executemany(
            f"UPDATE {GROUP} SET {common}, resolved = %s, resolved_timestamp = NULL,"
            " resolved_by_id = NULL WHERE id = %s",
            reopened,
        )
        kept = "resolved AND resolved_timestamp >= %s"
        cursor.executemany(
            f"UPDATE {GROUP} SET {common}, resolved = %s,"
            f" resolved_timestamp = CASE WHEN {kept} THEN resolved_timestamp ELSE %s END,"
            f" resolved_by_id = CASE WHEN {kept} THEN resolved_by_id ELSE %s END WHERE id = %s",
            resolved,
        )


def _resolver(ops: Statements, value: Any) -> Any:
    field = AppError._meta.get_field("resolved_by").target_field
    return None if value is None else field.get_db_prep_value(value, ops.connection)


def _groups_with_open_rows(ops: Statements, group_ids: list[int]) -> set[int]:
    """Which of these groups have an open occurrence: an EXISTS per group that stops at the
    first, not a DISTINCT over every open occurrence (tens of thousands in a big group,
    read again for every batch)."""
    if not group_ids:
        return set()
    alias = ops.connection.alias
    # resolved__in: SQLite's planner seeks apperror_group_resolved with it, but scans every
    # row of the group for NOT resolved (what resolved=False becomes there).
    open_rows = AppError.objects.using(alias).filter(group_id=OuterRef("pk"), resolved__in=[False])
    return set(
        ErrorGroup.objects.using(alias)
        .filter(pk__in=group_ids)
        .filter(Exists(open_rows))
        .order_by()
        .values_list("pk", flat=True)
    )


def refresh_planner_statistics() -> None:
    """Tell the query planner that errors have groups now: statistics gathered while every
    group was empty make it pass over the group indexes."""
    connection = connections[errors_alias()]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {AppError._meta.db_table}")
