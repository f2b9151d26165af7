"""Grouping the errors recorded before groups existed (``group_app_errors``).

The rows are walked in batches along the (timestamp, id) index, each batch its own short
transaction, so the command can be stopped and run again (it takes only rows still without
a group) and errors keep arriving meanwhile: new errors are grouped as they are written and
are never touched here. Every figure is added with ``x = x + n`` under the group's row lock,
in group id order, so a live writer and the backfill both count exactly and cannot deadlock.

A stored row keeps no traceback object, so its culprit is read back from its trace text:
the innermost frame in a project file, named as errors.grouping names live culprits (module
path and function). Without one, the app and function stored on the row stand in, as they
do for a live error without a traceback.
"""

import dataclasses
import datetime
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath
from typing import Any

from django.db import connections, transaction
from django.db.models.fields.json import KT

from errors.conf import app_errors_setting
from errors.context import is_project_file
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
from errors.write_queue import writer_turn

BATCH_SIZE = 2000
_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+, in (\S+)', re.MULTILINE)


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
        after = (rows[-1]["timestamp"], rows[-1]["id"])
        _group_batch(alias, rows, progress)
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
            exception_type=KT("data__exception_type"),
            trace=KT("data__trace"),
        )[:size]
    )


def culprit_from_trace(trace: str | None, root: Any) -> str | None:
    """The innermost project frame of a formatted trace, as ``module.function``."""
    if not trace or root is None:
        return None
    for path, function in reversed(_FRAME.findall(trace)):
        if is_project_file(path, str(root)):
            relative = os.path.relpath(os.path.realpath(path), os.path.realpath(str(root)))
            module = ".".join(PurePosixPath(relative).with_suffix("").parts)
            module = module.removesuffix(".__init__")
            return f"{module}.{function}"
    return None


def key_for_row(row: dict, root: Any) -> GroupKey:
    culprit = culprit_from_trace(row["trace"], root) or ".".join(
        part for part in (row["app"], row["function"]) if part
    )
    parts = default_fingerprint_parts(
        exception_type=row["exception_type"], culprit=culprit, message=row["message"]
    )
    return GroupKey(
        fingerprint=build_fingerprint(parts),
        title=title_for(row["exception_type"], row["message"]),
        exception_type=row["exception_type"] or "",
        culprit=culprit or "",
    )


def _group_batch(alias: str, rows: list[dict], progress: BackfillProgress) -> None:
    root = app_errors_setting("PROJECT_ROOT")
    keyed: dict[str, tuple[GroupKey, list[dict]]] = {}
    for row in rows:
        key = key_for_row(row, root)
        keyed.setdefault(key.fingerprint.hash, (key, []))[1].append(row)
    connection = connections[alias]
    ops = Statements(connection)
    with writer_turn(connection), transaction.atomic(using=alias):
        ids = _ensure_groups(ops, keyed, progress)
        for fingerprint in sorted(keyed, key=ids.__getitem__):  # lock order: group id
            key, members = keyed[fingerprint]
            claimed = _claim(ops, ids[fingerprint], [row["id"] for row in members])
            progress.grouped += len(claimed)
            if claimed:
                _add_figures(ops, ids[fingerprint], claimed)
        _settle(alias, set(ids.values()))


def _ensure_groups(ops: Statements, keyed: dict, progress: BackfillProgress) -> dict[str, int]:
    found = dict(
        ErrorGroup.objects.using(ops.connection.alias)
        .filter(fingerprint__in=list(keyed))
        .values_list("fingerprint", "id")
    )
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
            progress.groups_created += int(created)
    return found


def _claim(ops: Statements, group_id: int, ids: list) -> list[tuple]:
    """Point the rows still without a group at this one; returns the rows it claimed (a
    second backfill running at once claims each row only once)."""
    pk = AppError._meta.pk
    with ops.connection.cursor() as cursor:
        placeholders = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"UPDATE {AppError._meta.db_table} SET group_id = %s"
            f" WHERE id IN ({placeholders}) AND group_id IS NULL"
            " RETURNING timestamp, severity, job_id, user_id, release",
            [group_id, *(pk.get_db_prep_value(value, ops.connection) for value in ids)],
        )
        return cursor.fetchall()


def _add_figures(ops: Statements, group_id: int, claimed: Iterable[tuple]) -> None:
    hours: dict[datetime.datetime, int] = defaultdict(int)
    subjects: dict[tuple[str, Any], list] = {}
    first = last = None
    severity, last_release, first_release, count = 0, "", "", 0
    for timestamp, level, job_id, user_id, release in sorted(claimed, key=lambda r: str(r[0])):
        moment = ops.read_moment(timestamp)
        count += 1
        first = moment if first is None or moment < first else first
        last = moment if last is None or moment > last else last
        severity = max(severity, level)
        if release:
            first_release = first_release or release
            last_release = release
        hours[moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)] += 1
        for kind, subject in ((SubjectKind.JOB, job_id), (SubjectKind.USER, user_id)):
            if subject:
                entry = subjects.setdefault((str(kind), subject), [0, moment])
                entry[0] += 1
                entry[1] = max(entry[1], moment)
    with ops.connection.cursor() as cursor:
        for hour, n in sorted(hours.items()):
            cursor.execute(
                f"INSERT INTO {HOURLY} (group_id, hour, count, stored) VALUES (%s, %s, %s, %s)"
                f" ON CONFLICT (group_id, hour) DO UPDATE SET count = {HOURLY}.count"
                f" + excluded.count, stored = {HOURLY}.stored + excluded.stored",
                [group_id, ops.moment(hour), n, n],
            )
        for (kind, subject), (n, seen) in sorted(subjects.items(), key=lambda item: str(item[0])):
            # The raw row holds the subject as the database keeps it (SQLite: hex text).
            cursor.execute(
                f"INSERT INTO {SUBJECT} (group_id, kind, subject_id, count, last_seen)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (kind, subject_id, group_id)"
                f" DO UPDATE SET count = {SUBJECT}.count + excluded.count,"
                f" last_seen = {ops.greatest}({SUBJECT}.last_seen, excluded.last_seen)",
                [group_id, kind, subject, n, ops.moment(seen)],
            )
        cursor.execute(
            f"UPDATE {GROUP} SET count = count + %s, first_seen = {ops.least}(first_seen, %s),"
            f" last_seen = {ops.greatest}(last_seen, %s),"
            f" severity = {ops.greatest}(severity, %s),"
            " first_release = CASE WHEN first_release = '' THEN %s ELSE first_release END,"
            " last_release = CASE WHEN last_release = '' THEN %s ELSE last_release END"
            " WHERE id = %s",
            [
                count,
                ops.moment(first),
                ops.moment(last),
                severity,
                first_release,
                last_release,
                group_id,
            ],
        )


def _settle(alias: str, group_ids: set[int]) -> None:
    """A group is resolved exactly when none of its occurrences is open; the resolver and
    time are the latest resolved occurrence's."""
    for group in ErrorGroup.objects.using(alias).filter(pk__in=group_ids).order_by("pk"):
        rows = AppError.objects.using(alias).filter(group_id=group.pk)
        has_open = rows.filter(resolved=False).exists()
        if group.resolved != has_open:
            continue
        if has_open:
            group.resolved, group.resolved_by_id, group.resolved_timestamp = False, None, None
        else:
            latest = rows.order_by("-resolved_timestamp").values(
                "resolved_by_id", "resolved_timestamp"
            )[:1]
            latest = latest[0] if latest else {"resolved_by_id": None, "resolved_timestamp": None}
            group.resolved = True
            group.resolved_by_id = latest["resolved_by_id"]
            group.resolved_timestamp = latest["resolved_timestamp"]
        group.save(update_fields=["resolved", "resolved_by", "resolved_timestamp"])
