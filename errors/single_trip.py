"""An occurrence of a known group stored in one round trip on PostgreSQL.

The full write (errors.group_writes.write_occurrence) talks to PostgreSQL four times: BEGIN,
the INSERT, the counts, COMMIT. Each is a wait on the network and a wake-up of the server
process, and they cost as much as the work itself. Almost every occurrence, though, asks
nothing of its group but to be counted: the group is already known, open and not muted, its
hour is below the storm limit, and no threshold rule it counts for becomes due. Such an
occurrence is sent as one simple-query message, ``BEGIN; SET LOCAL statement_timeout;
INSERT; counts; COMMIT`` (psycopg's client-side binding allows several statements in one
execute); while threshold rules watch it, the statement that counts its minute and checks
their windows (``threshold_check``) comes before the COMMIT. The counts and the check are
calls of PL/pgSQL functions (migration 0017): PostgreSQL plans their statements once per
connection, where literal SQL was parsed and planned again for every message.

Whether the group is that simple is only known under the group row's lock, inside the
transaction. So the counting statement checks it there, and when the group turns out to
need a decision (resolved, muted, gone, its hour past the storm limit, or a threshold alert
due) the statement fails on purpose with ``NEEDS_FULL_PATH``: PostgreSQL skips the rest of
the message, COMMIT included, the transaction is rolled back and the occurrence takes the
full path, which decides under the same lock. Nothing of the failed attempt stays. Any
other failure is the caller's to handle (errors.services spools the error), as with the full
path.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import DatabaseError, connections

from errors.alerts.due import minute_of
from errors.alerts.rules import LiveRule, live_rules
from errors.conf import app_errors_setting
from errors.group_writes import (
    GroupChange,
    GroupKey,
    Statements,
    group_is_deciding,
    hour_is_full,
    learnt_group_id,
    release_is_known,
    remember_full_hour,
)
from errors.inserts import PreparedInsert
from errors.models import AppError

NEEDS_FULL_PATH = "app-errors: this occurrence needs the full write path, group "
# Created by migration 0017 (PostgreSQL only).
COUNT_OCCURRENCE = "errors_group_count_occurrence"
THRESHOLD_CHECK = "errors_alert_threshold_check"


def write_in_one_trip(
    error: AppError, key: GroupKey, insert: PreparedInsert, alias: str
) -> GroupChange | None:
    """Store ``error`` and count it in its group in one round trip; the change it made, or
    None when it must take the full path (nothing was written then)."""
    connection = connections[alias]
    group_id = learnt_group_id(alias, key)
    hour = error.timestamp.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)
    limit = app_errors_setting("GROUP_ROWS_PER_HOUR")
    full = (alias, group_id, hour, limit)
    if (
        group_id is None
        or not may_send_in_one_trip(connection, insert)
        or not release_is_known(alias, error.release)
        or (limit is not None and hour_is_full(full))
        or group_is_deciding(alias, group_id)
    ):
        return None
    error.group_id = group_id
    sql, params = message(Statements(connection), insert, error, group_id, hour, limit)
    counting = threshold_rules_watching(alias, error)
    if counting:
        check_sql, check_params = threshold_check(connection, error, group_id, counting)
        sql, params = f"{sql.removesuffix('; COMMIT')}; {check_sql}; COMMIT", params + check_params
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while cursor.description is None and cursor.nextset():
                pass  # past BEGIN, SET and INSERT, to the counts' one row
            stored_now, old_count = cursor.fetchone()
    except DatabaseError as failure:
        roll_back(connection)
        if NEEDS_FULL_PATH in str(failure):
            error.group_id = None
            return None
        raise
    insert.mark_saved()
    if limit is not None and stored_now >= limit:
        remember_full_hour(full)
    return GroupChange(group_id=group_id, count=old_count + 1)


def may_send_in_one_trip(connection: Any, insert: PreparedInsert) -> bool:
    """PostgreSQL in autocommit with the compiled INSERT and its timeout: inside a
    transaction of the caller's the write must stay in a savepoint of it."""
    return (
        connection.vendor == "postgresql"
        and not insert.full_save
        and insert.times_out
        and connection.get_autocommit()
        and not connection.in_atomic_block
    )


def threshold_rules_watching(alias: str, error: AppError) -> list[LiveRule]:
    """The threshold rules that count this occurrence (errors.alerts.due). Rules for new
    groups, regressions and snoozes need nothing from an occurrence of a known, open,
    unmuted group."""
    return [rule for rule in live_rules(alias) if rule.watches_threshold and rule.matches(error)]


def threshold_check(
    connection: Any, error: AppError, group_id: int, rules: list[LiveRule]
) -> tuple[str, list[Any]]:
    """The statement that counts the occurrence in its minute for threshold rules and
    fails with NEEDS_FULL_PATH when that makes one of them due (its window's count reached,
    no threshold alert of it for the group within the window): the full path then counts
    again and records the alert (errors.alerts.due.reached_thresholds decides the same).

    The work is a PL/pgSQL function (migration 0017), so PostgreSQL plans it once per
    connection rather than once per occurrence. It runs after the counts, with the group
    row locked, so it sees every earlier writer of the group."""
    moment = connection.ops.adapt_datetimefield_value
    return (
        f"SELECT {THRESHOLD_CHECK}(%s, %s, %s, %s::bigint[], %s::bigint[], %s::integer[], %s)",
        [
            group_id,
            moment(minute_of(error.timestamp)),
            moment(error.timestamp),
            array_text(rule.id for rule in rules),
            array_text(rule.threshold_count for rule in rules),
            array_text(rule.threshold_minutes for rule in rules),
            NEEDS_FULL_PATH,
        ],
    )


def array_text(numbers: Iterable[int]) -> str:
    """An integer array as PostgreSQL's text form, cast in the statement: psycopg's list
    adaptation took longer than the rest of the parameters together."""
    return "{" + ",".join(str(int(number)) for number in numbers) + "}"


def message(
    ops: Statements,
    insert: PreparedInsert,
    error: AppError,
    group_id: int,
    hour: datetime.datetime,
    limit: int | None,
) -> tuple[str, list[Any]]:
    """``BEGIN; <the INSERT>; <the counts>; COMMIT`` and its parameters. The counts are one
    call of a PL/pgSQL function (migration 0017), planned once per connection: the hour, the
    job and the user upserted, the group bumped only if it is open and not muted (locked
    first, so it is read as the last writer left it), failing with NEEDS_FULL_PATH unless
    the group was bumped and the hour is within the storm limit. Its figures are those of
    errors.group_writes for a stored occurrence; tests/test_single_trip.py compares the two."""
    counts = f"SELECT * FROM {COUNT_OCCURRENCE}(%s, %s, %s, %s, %s, %s::uuid, %s::uuid, %s, %s)"
    subjects = [
        None if subject is None else ops.uuid(subject) for subject in (error.job_id, error.user_id)
    ]
    params = [
        group_id,
        ops.moment(hour),
        ops.moment(error.timestamp),
        error.severity,
        error.release or "",
        *subjects,
        None if limit is None else int(limit),
        NEEDS_FULL_PATH,
    ]
    return f"BEGIN; {insert.sql}; {counts}; COMMIT", [*insert.values(), *params]


def roll_back(connection: Any) -> None:
    """End the transaction the failed message left open; a connection too broken for that
    is Django's to replace (the failure that got here is raised all the same)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")
    except DatabaseError:
        pass
