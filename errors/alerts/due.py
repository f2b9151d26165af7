"""What the write path calls, inside the transaction that stored an occurrence, to record
the alerts that occurrence makes due (rows in the outbox; never any network).

Threshold rules ("N occurrences of a group within M minutes") count occurrences per group
and UTC minute in a small table of their own (errors_alert_group_minute): one upsert per
occurrence, and one read summing at most M rows (the longest window's minutes) into a count
per rule, however many occurrences the window holds. The stored rows could not serve: the
storm limit sheds occurrences, and a storm is exactly when a threshold must see them. The
counting is only done while an enabled threshold rule watches the occurrence. A threshold
fires at most once per group and rule per window: not again while its last threshold alert
is younger than M minutes. The group row is locked (errors.group_writes.bump_group), so
concurrent writers of one group decide in turn. On PostgreSQL an occurrence that makes no
alert due is counted and checked the same way inside its one round trip, by a PL/pgSQL
function (errors.single_trip.threshold_check, migration 0017)."""

import datetime
import json
from typing import Any

from errors.alerts.models import AlertDelivery, AlertGroupMinute, DeliveryStatus, Event
from errors.alerts.rules import LiveRule, live_rules
from errors.models import AppError

DELIVERY = AlertDelivery._meta.db_table
MINUTE = AlertGroupMinute._meta.db_table


def record_due_alerts(*, cursor: Any, connection: Any, change: Any, error: AppError) -> None:
    """Record the alerts ``change`` (an errors.group_writes.GroupChange) makes due.

    Called for every stored or shed occurrence, after the group row is updated and still
    under its lock, in the same transaction. Costs nothing but a look at the cached rules
    when no rule watches the occurrence."""
    rules = [rule for rule in live_rules(connection.alias) if rule.matches(error)]
    if not rules:
        return
    events = [
        event
        for event, happened in (
            (Event.NEW_GROUP, change.is_new),
            (Event.REGRESSION, change.is_regression),
            (Event.UNMUTED, change.snooze_ended),
        )
        if happened
    ]
    counting = [rule for rule in rules if rule.watches_threshold]
    # A muted group is silent, and its occurrences meanwhile count towards no threshold.
    if change.is_muted or not (events or counting):
        return
    now = error.timestamp
    due = [(rule, event, {}) for rule in rules for event in events if event in rule.triggers]
    if counting:
        due += reached_thresholds(cursor, connection, counting, change.group_id, now)
    if due:
        insert_deliveries(cursor, connection, change.group_id, due, now)


def reached_thresholds(
    cursor: Any,
    connection: Any,
    rules: list[LiveRule],
    group_id: int,
    now: datetime.datetime,
) -> list[tuple[LiveRule, str, dict]]:
    """Count the occurrence in its minute; the threshold rules it takes over their count
    and that have not fired for this group within their window."""
    moment = connection.ops.adapt_datetimefield_value
    minute = minute_of(now)
    cursor.execute(*count_minute(connection, group_id, minute))
    cursor.fetchone()
    # One read of the longest window's minutes serves every rule: a sum per window.
    sums_sql, sums_params = window_sums(connection, group_id, minute, rules)
    cursor.execute(f"SELECT {sums_sql}", sums_params)
    sums = cursor.fetchone()
    reached = []
    for rule, count in zip(rules, sums, strict=True):
        count = count or 0
        if count < rule.threshold_count:
            continue
        cursor.execute(
            f"SELECT 1 FROM {DELIVERY} WHERE group_id = %s AND rule_id = %s AND event = %s"
            " AND due_at > %s LIMIT 1",
            [
                group_id,
                rule.id,
                str(Event.THRESHOLD),
                moment(now - datetime.timedelta(minutes=rule.threshold_minutes)),
            ],
        )
        if cursor.fetchone() is None:
            details = {"count": int(count), "minutes": rule.threshold_minutes}
            reached.append((rule, Event.THRESHOLD, details))
    return reached


def minute_of(now: datetime.datetime) -> datetime.datetime:
    return now.astimezone(datetime.UTC).replace(second=0, microsecond=0)


def count_minute(connection: Any, group_id: int, minute: datetime.datetime) -> tuple[str, list]:
    """The upsert that counts one occurrence in its group's minute, returning the count."""
    return (
        f"INSERT INTO {MINUTE} (group_id, minute, count) VALUES (%s, %s, 1)"
        f" ON CONFLICT (group_id, minute) DO UPDATE SET count = {MINUTE}.count + 1"
        " RETURNING count",
        [group_id, connection.ops.adapt_datetimefield_value(minute)],
    )


def window_sums(
    connection: Any, group_id: int, minute: datetime.datetime, rules: list[LiveRule]
) -> tuple[str, list]:
    """A subquery per rule, in order, summing the group's occurrences within its window
    (the last ``threshold_minutes`` minutes up to ``minute``); from the one index range of
    the longest window."""
    moment = connection.ops.adapt_datetimefield_value
    starts = [minute - datetime.timedelta(minutes=rule.threshold_minutes - 1) for rule in rules]
    sums = ", ".join(["SUM(count) FILTER (WHERE minute >= %s)"] * len(rules))
    params: list[Any] = [moment(start) for start in starts] + [group_id, moment(min(starts))]
    return f"{sums} FROM {MINUTE} WHERE group_id = %s AND minute >= %s", params


def read_moment(value: Any) -> datetime.datetime:
    """A datetime read with a raw cursor: SQLite hands back its naive UTC text."""
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.fromisoformat(str(value))
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


def insert_deliveries(
    cursor: Any,
    connection: Any,
    group_id: int,
    due: list[tuple[LiveRule, str, dict]],
    now: datetime.datetime,
) -> None:
    """One outbox row per rule, event and channel, due at once."""
    moment = connection.ops.adapt_datetimefield_value(now)
    rows = [
        (rule.id, group_id, str(event), str(channel), moment, json.dumps(details))
        for rule, event, details in due
        for channel in rule.channels
    ]
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, 0, '')"] * len(rows))
    params: list[Any] = []
    for rule_id, group, event, channel, when, details in rows:
        params += [rule_id, group, event, channel, str(DeliveryStatus.PENDING), when, when]
        params.append(details)
    cursor.execute(
        f"INSERT INTO {DELIVERY} (rule_id, group_id, event, channel, status, due_at,"
        f" next_attempt_at, details, attempts, last_error) VALUES {values}",
        params,
    )
