"""How one occurrence lands in its group, inside the transaction that stores it.

Every figure on a group (count, first and last seen, highest severity, releases, hourly
counts, the jobs and users it hit) is kept here, on write, in the same transaction as the
occurrence's row, so a count is never a guess and a rolled-back write counts nothing.

A group's row is a hot row: every writer of that failure updates it. So the statements that
touch shared rows (the hourly count, the subjects, the group itself) come last, after the
occurrence's INSERT (the expensive part: its indexes, totals and search triggers), and each
writer holds those row locks only for a few statements and its COMMIT. The group row is read
under its lock as the update finds it (PostgreSQL: ``FOR NO KEY UPDATE`` in the same statement;
SQLite, one writer at a time: the update's own RETURNING), so of two writers racing on a
resolved group exactly one sees it resolved and records the regression. On PostgreSQL most
occurrences take one round trip instead (errors.single_trip).

Statements are plain SQL for both databases (SQLite 3.35+ and PostgreSQL both know upserts
with RETURNING); ``GREATEST``/``LEAST`` are SQLite's two-argument ``MAX``/``MIN``.
"""

import dataclasses
import datetime
import json
from collections.abc import Callable
from typing import Any

from django.db import connections

from errors.alerts.due import record_due_alerts
from errors.conf import app_errors_setting
from errors.grouping import (
    Fingerprint,
    build_fingerprint,
    culprit_for,
    default_fingerprint_parts,
)
from errors.models import (
    ActivityKind,
    AppError,
    ErrorGroup,
    ErrorGroupActivity,
    ErrorGroupHourlyCount,
    ErrorGroupSubject,
    ErrorRelease,
    SubjectKind,
)
from errors.write_cursor import write_cursor

GROUP = ErrorGroup._meta.db_table
HOURLY = ErrorGroupHourlyCount._meta.db_table
SUBJECT = ErrorGroupSubject._meta.db_table
RELEASE = ErrorRelease._meta.db_table
ACTIVITY = ErrorGroupActivity._meta.db_table
TITLE_LENGTH = ErrorGroup._meta.get_field("title").max_length
CULPRIT_LENGTH = ErrorGroup._meta.get_field("culprit").max_length

_known_releases: set[tuple[str, str]] = set()


@dataclasses.dataclass(frozen=True)
class GroupKey:
    """What an occurrence brings to its group: the fingerprint that names the group, and
    what a new group is titled with."""

    fingerprint: Fingerprint
    title: str
    exception_type: str
    culprit: str


@dataclasses.dataclass
class GroupChange:
    """What storing one occurrence did to its group, for activity and alerts."""

    group_id: int
    is_new: bool = False
    is_regression: bool = False
    snooze_ended: bool = False
    # Muted after this occurrence (a snooze it ended is not): alerts stay silent.
    is_muted: bool = False
    stored: bool = True
    count: int = 0


def title_for(exception_type: str | None, message: str) -> str:
    """The class name and the first line of the message, as the first occurrence had it."""
    first_line = (message or "").strip().split("\n", 1)[0].strip()
    name = (exception_type or "").rsplit(".", 1)[-1]
    title = f"{name}: {first_line}" if name and first_line else name or first_line
    return (title or "(no message)")[:TITLE_LENGTH]


def group_key_for(error: AppError, exception: BaseException | None, custom: Any = None) -> GroupKey:
    """The group an error joins: its custom fingerprint if the caller gave one, else the
    exception type, the culprit (the innermost frame of the project's own code, else the app
    and function stored on the error) and the normalized message."""
    exception_type = (
        (error.data or {}).get("exception_type") if isinstance(error.data, dict) else None
    )
    culprit = culprit_for(exception) if isinstance(exception, BaseException) else None
    if not culprit:
        culprit = ".".join(part for part in (error.app, error.function) if part)
    default = default_fingerprint_parts(
        exception_type=exception_type, culprit=culprit, message=error.message
    )
    return GroupKey(
        fingerprint=build_fingerprint(default, custom),
        title=title_for(exception_type, error.message),
        exception_type=exception_type or "",
        culprit=culprit or "",
    )


def write_occurrence(
    error: AppError, key: GroupKey, *, write_row: Callable[[], None], using: str
) -> GroupChange:
    """Store ``error`` (through ``write_row``, which INSERTs it) in its group and keep the
    group's figures. Runs inside the caller's transaction on ``using``; when the storm limit
    sheds the occurrence, ``write_row`` is not called and only the counts move."""
    connection = connections[using]
    ops = Statements(connection)
    with write_cursor(connection) as cursor:
        group_id, is_new = ops.ensure_group(cursor, error, key)
        error.group_id = group_id
        hour = error.timestamp.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)
        limit = app_errors_setting("GROUP_ROWS_PER_HOUR")
        full = (connection.alias, group_id, hour, limit)
        stored = limit is None or full not in _full_hours
        if stored:
            write_row()
        if error.release:
            ops.remember_release(cursor, error.release, error.timestamp)
        stored_now, change = ops.count_and_bump(cursor, group_id, hour, error, stored=stored)
        if limit is not None and stored_now >= limit:
            remember_full_hour(full)
        if stored and limit is not None and stored_now > limit:
            # Other writers filled the hour since this process last looked: shed after all.
            ops.unstore(cursor, error, group_id, hour)
            stored = False
        change.is_new, change.stored = is_new, stored
        if stored and change.stays_resolved:
            ops.close_row(cursor, error, change)
        ops.record_turning_points(cursor, change, error.timestamp)
        record_due_alerts(cursor=cursor, connection=connection, change=change, error=error)
    return change


class GroupVanished(Exception):
    """The group this process remembered is gone (deleted, or its database emptied): the
    write is rolled back and tried again knowing nothing."""


# What this process has learnt, so that a write asks the database less: the id of a group
# it has seen committed (groups are never deleted), and the group hours the storm limit has
# filled. Both are bounded; forget_learnt() empties them when a write fails.
_group_ids: dict[tuple[str, str], int] = {}
_full_hours: set[tuple] = set()
LEARNT_LIMIT = 50_000


def remember_full_hour(key: tuple) -> None:
    if len(_full_hours) >= LEARNT_LIMIT:
        _full_hours.clear()
    _full_hours.add(key)


def forget_learnt() -> None:
    """After a failed write: what was learnt may have come from a rolled-back transaction."""
    _group_ids.clear()
    _full_hours.clear()
    _known_releases.clear()
    _deciding_groups.clear()


def learnt_group_id(alias: str, key: GroupKey) -> int | None:
    """The id of the key's group if this process has seen it committed."""
    return _group_ids.get((alias, key.fingerprint.hash))


def release_is_known(alias: str, release: str | None) -> bool:
    """Whether an occurrence of ``release`` has nothing to note about the release itself."""
    return not release or (alias, release) in _known_releases


def hour_is_full(key: tuple) -> bool:
    return key in _full_hours


# Groups whose last write had to decide something (a mute counting down or ending, a
# resolve in the next release that keeps them closed): their next write takes the full path
# at once (errors.single_trip) rather than finding out in a failed round trip.
_deciding_groups: set[tuple[str, int]] = set()


def note_decision(alias: str, change: GroupChange) -> None:
    """Remember whether the group's next occurrence will have to decide something too."""
    key = (alias, change.group_id)
    if change.is_muted or getattr(change, "stays_resolved", False):
        if len(_deciding_groups) >= LEARNT_LIMIT:
            _deciding_groups.clear()
        _deciding_groups.add(key)
    else:
        _deciding_groups.discard(key)


def group_is_deciding(alias: str, group_id: int) -> bool:
    return (alias, group_id) in _deciding_groups


class Statements:
    """The SQL of the group write path on one connection, with values adapted the way the
    ORM adapts them (SQLite keeps UUIDs as hex and datetimes as naive UTC text)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.is_postgresql = connection.vendor == "postgresql"
        self.greatest = "GREATEST" if self.is_postgresql else "MAX"
        self.least = "LEAST" if self.is_postgresql else "MIN"

    def moment(self, value: datetime.datetime | None) -> Any:
        return self.connection.ops.adapt_datetimefield_value(value)

    def uuid(self, value: Any) -> Any:
        return ErrorGroupSubject._meta.get_field("subject_id").get_db_prep_value(
            value, self.connection
        )

    def ensure_group(self, cursor, error: AppError, key: GroupKey) -> tuple[int, bool]:
        """The group's id, creating the group (with a count of 0: count_and_bump counts) when the
        fingerprint is new; True when this call created it."""
        fingerprint = key.fingerprint
        known = _group_ids.get((self.connection.alias, fingerprint.hash))
        if known is not None:
            return known, False
        cursor.execute(f"SELECT id FROM {GROUP} WHERE fingerprint = %s", [fingerprint.hash])
        row = cursor.fetchone()
        if row is not None:
            self.learn_group(fingerprint, row[0])
            return row[0], False
        seen = self.moment(error.timestamp)
        cursor.execute(
            f"INSERT INTO {GROUP} (fingerprint, grouping_version, fingerprint_parts, title,"
            " exception_type, culprit, app, severity, count, shed_count, first_seen, last_seen,"
            " first_release, last_release, resolved, resolved_in_next_release, resolved_release,"
            " is_muted) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, 0, %s, %s, %s, %s, %s, %s,"
            " '', %s) ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
            [
                fingerprint.hash,
                fingerprint.version,
                json.dumps(list(fingerprint.parts)),
                key.title,
                key.exception_type,
                key.culprit[:CULPRIT_LENGTH],
                error.app or "",
                error.severity,
                seen,
                seen,
                error.release or "",
                error.release or "",
                False,
                False,
                False,
            ],
        )
        row = cursor.fetchone()
        if row is not None:
            self.learn_group(fingerprint, row[0])
            return row[0], True
        # Created by a writer that committed while we waited on the unique index.
        cursor.execute(f"SELECT id FROM {GROUP} WHERE fingerprint = %s", [fingerprint.hash])
        group_id = cursor.fetchone()[0]
        self.learn_group(fingerprint, group_id)
        return group_id, False

    def learn_group(self, fingerprint: Fingerprint, group_id: int) -> None:
        """Remember the group's id, but only in a transaction of our own: inside the
        caller's, the row may be one it created and will roll back. Ours failing empties
        what was learnt (errors.services.store_app_error)."""
        if len(self.connection.atomic_blocks) == 1:
            if len(_group_ids) >= LEARNT_LIMIT:
                _group_ids.clear()
            _group_ids[(self.connection.alias, fingerprint.hash)] = group_id

    def count_and_bump(
        self, cursor, group_id: int, hour: datetime.datetime, error: AppError, *, stored: bool
    ) -> tuple[int, "Bump"]:
        """Count the occurrence in its hour, for its job and user, and on its group, whose
        row is locked and read as it was; returns the rows stored in the hour so far and
        what the occurrence does to the group. On PostgreSQL the statements travel in one
        round trip: these are the rows every writer of the failure queues on."""
        statements = [self.hour_upsert(group_id, hour, stored=stored)]
        for kind, subject in ((SubjectKind.JOB, error.job_id), (SubjectKind.USER, error.user_id)):
            if subject is not None:
                statements.append(self.subject_upsert(group_id, kind, subject, error.timestamp))
        statements.append(self.group_update(group_id, error, stored=stored))
        if self.is_postgresql:
            cursor.execute(
                "; ".join(sql for sql, _ in statements),
                [param for _, params in statements for param in params],
            )
            stored_now = cursor.fetchone()[0]
            while cursor.nextset():
                last = cursor.fetchone() if cursor.description else None
            old = last
        else:
            stored_now = None
            for sql, params in statements[:-1]:
                cursor.execute(sql, params)
                if stored_now is None:
                    stored_now = cursor.fetchone()[0]
            cursor.execute(*statements[-1])
            old = cursor.fetchone()
        if old is None:
            raise GroupVanished(group_id)
        return stored_now, self.decide(cursor, group_id, error, old)

    def hour_upsert(self, group_id: int, hour: datetime.datetime, *, stored: bool) -> tuple:
        """The hour's count, returning the rows stored in that hour so far."""
        return (
            f"INSERT INTO {HOURLY} (group_id, hour, count, stored) VALUES (%s, %s, 1, %s)"
            f" ON CONFLICT (group_id, hour) DO UPDATE SET count = {HOURLY}.count + 1,"
            f" stored = {HOURLY}.stored + excluded.stored RETURNING stored",
            [group_id, self.moment(hour), int(stored)],
        )

    def subject_upsert(self, group_id: int, kind: str, subject, seen) -> tuple:
        return (
            f"INSERT INTO {SUBJECT} (group_id, kind, subject_id, count, last_seen)"
            " VALUES (%s, %s, %s, 1, %s) ON CONFLICT (kind, subject_id, group_id) DO UPDATE"
            f" SET count = {SUBJECT}.count + 1,"
            f" last_seen = {self.greatest}({SUBJECT}.last_seen, excluded.last_seen)",
            [group_id, str(kind), self.uuid(subject), self.moment(seen)],
        )

    def group_update(self, group_id: int, error: AppError, *, stored: bool) -> tuple:
        """The figures every occurrence moves. On PostgreSQL the row is locked and read as
        it was before in the same statement, so two writers never see the same old state."""
        assignments, params = self.bump_assignments(error, stored=stored)
        if not self.is_postgresql:
            # One writer at a time: the row as the update leaves it is the row as it was,
            # but for the count, since the update moves none of the fields read.
            sets = ", ".join(assignments).replace("g.", "")
            return (
                f"UPDATE {GROUP} SET {sets} WHERE id = %s RETURNING resolved,"
                " resolved_in_next_release, resolved_timestamp, is_muted, muted_until,"
                " mute_remaining, count - 1",
                [*params, group_id],
            )
        return (
            f"WITH old AS (SELECT id, resolved, resolved_in_next_release, resolved_timestamp,"
            f" is_muted, muted_until, mute_remaining, count FROM {GROUP} WHERE id = %s"
            f" FOR NO KEY UPDATE) UPDATE {GROUP} AS g SET {', '.join(assignments)} FROM old"
            " WHERE g.id = old.id RETURNING old.resolved, old.resolved_in_next_release,"
            " old.resolved_timestamp, old.is_muted, old.muted_until, old.mute_remaining,"
            " old.count",
            [group_id, *params],
        )

    def bump_assignments(self, error: AppError, *, stored: bool) -> tuple[list[str], list]:
        """The SET list of the group row (``g``) for one occurrence, and its parameters.

        PostgreSQL's one round trip bumps a group through a copy of this in PL/pgSQL
        (errors_group_count_occurrence, migration 0017): a change here needs a migration
        replacing that function too (tests/test_single_trip.py compares the two paths)."""
        assignments = [
            "count = g.count + 1",
            f"shed_count = g.shed_count + {0 if stored else 1}",
            f"last_seen = {self.greatest}(g.last_seen, %s)",
            f"first_seen = {self.least}(g.first_seen, %s)",
            f"severity = {self.greatest}(g.severity, %s)",
        ]
        params: list[Any] = [self.moment(error.timestamp)] * 2 + [error.severity]
        if error.release:
            assignments += [
                "last_release = %s",
                "first_release = CASE WHEN g.first_release = '' THEN %s ELSE g.first_release END",
            ]
            params += [error.release, error.release]
        return assignments, params

    def decide(self, cursor, group_id: int, error: AppError, old: tuple) -> "Bump":
        """What the occurrence does to its group, from the group as it was before it: reopen
        it (a regression), keep it resolved (resolved in the next release), end its snooze
        or count it down. Applied under the lock the count took."""
        resolved, next_release, resolved_at, muted, muted_until, remaining, count = old
        bump = Bump(group_id=group_id, count=count + 1)
        resolved_at = self.read_moment(resolved_at)
        muted_until = self.read_moment(muted_until)
        assignments: list[str] = []
        params: list[Any] = []
        if resolved:
            if next_release and not self.is_later_release(cursor, error.release, resolved_at):
                bump.stays_resolved = True
                bump.resolved_by_id, bump.resolved_timestamp = self.resolver(cursor, group_id)
            else:
                bump.is_regression = True
                assignments += [
                    "resolved = %s",
                    "resolved_by_id = NULL",
                    "resolved_timestamp = NULL",
                    "resolved_in_next_release = %s",
                    "resolved_release = ''",
                    "regressed_at = %s",
                ]
                params += [False, False, self.moment(error.timestamp)]
        if muted:
            if (muted_until is not None and muted_until <= error.timestamp) or remaining == 1:
                bump.snooze_ended = True
                assignments += ["is_muted = %s", "muted_until = NULL", "mute_remaining = NULL"]
                params.append(False)
            else:
                bump.is_muted = True
                if remaining is not None:
                    assignments.append("mute_remaining = mute_remaining - 1")
        if assignments:
            cursor.execute(
                f"UPDATE {GROUP} SET {', '.join(assignments)} WHERE id = %s", [*params, group_id]
            )
        return bump

    def unstore(self, cursor, error: AppError, group_id: int, hour: datetime.datetime) -> None:
        """Take back a row the storm limit turned out to shed; the instance is unsaved again."""
        error._state.adding = True
        cursor.execute(
            f"DELETE FROM {AppError._meta.db_table} WHERE id = %s",
            [AppError._meta.pk.get_db_prep_value(error.pk, self.connection)],
        )
        cursor.execute(
            f"UPDATE {HOURLY} SET stored = stored - 1 WHERE group_id = %s AND hour = %s",
            [group_id, self.moment(hour)],
        )
        cursor.execute(f"UPDATE {GROUP} SET shed_count = shed_count + 1 WHERE id = %s", [group_id])

    def remember_release(self, cursor, release: str, seen: datetime.datetime) -> None:
        """Note when a release was first seen (once per process and database)."""
        key = (self.connection.alias, release)
        if key in _known_releases:
            return
        cursor.execute(
            f"INSERT INTO {RELEASE} (version, first_seen) VALUES (%s, %s)"
            " ON CONFLICT (version) DO NOTHING",
            [release, self.moment(seen)],
        )
        if len(self.connection.atomic_blocks) == 1:  # not the caller's, which may roll back
            _known_releases.add(key)

    def release_first_seen(self, cursor, release: str) -> datetime.datetime | None:
        cursor.execute(f"SELECT first_seen FROM {RELEASE} WHERE version = %s", [release])
        row = cursor.fetchone()
        if row is None:
            return None
        return self.read_moment(row[0])

    def read_moment(self, value: Any) -> datetime.datetime | None:
        """A datetime read with a raw cursor: SQLite hands back its naive UTC text."""
        if value is None:
            return None
        if not isinstance(value, datetime.datetime):
            value = datetime.datetime.fromisoformat(str(value))
        return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)

    def is_later_release(self, cursor, release: str | None, resolved_at) -> bool:
        """Whether ``release`` was first seen after the resolve; an occurrence without a
        release cannot be placed after it."""
        if not release or resolved_at is None:
            return False
        first_seen = self.release_first_seen(cursor, release)
        return first_seen is None or first_seen > resolved_at

    def resolver(self, cursor, group_id: int) -> tuple[Any, Any]:
        cursor.execute(
            f"SELECT resolved_by_id, resolved_timestamp FROM {GROUP} WHERE id = %s", [group_id]
        )
        return cursor.fetchone()

    def close_row(self, cursor, error: AppError, bump: "Bump") -> None:
        """An occurrence of a group resolved in the next release, from a release that does
        not reopen it: stored as resolved, like the rest of the group."""
        cursor.execute(
            f"UPDATE {AppError._meta.db_table} SET resolved = %s, resolved_by_id = %s,"
            " resolved_timestamp = %s WHERE id = %s",
            [
                True,
                bump.resolved_by_id,
                bump.resolved_timestamp,
                AppError._meta.pk.get_db_prep_value(error.pk, self.connection),
            ],
        )
        error.resolved = True

    def record_turning_points(self, cursor, change: "Bump", when: datetime.datetime) -> None:
        kinds = []
        if change.is_regression:
            kinds.append(ActivityKind.REGRESSED)
        if change.snooze_ended:
            kinds.append(ActivityKind.UNMUTED)
        for kind in kinds:
            cursor.execute(
                f'INSERT INTO {ACTIVITY} (group_id, kind, who_id, "when", details)'
                " VALUES (%s, %s, NULL, %s, %s)",
                [change.group_id, str(kind), self.moment(when), "{}"],
            )


@dataclasses.dataclass
class Bump(GroupChange):
    stays_resolved: bool = False
    resolved_by_id: Any = None
    resolved_timestamp: Any = None
