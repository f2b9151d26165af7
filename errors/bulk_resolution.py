"""Resolving or reopening a batch of errors in one statement, with the totals moved by one
statement per table instead of by the per-row update triggers.

A group resolve closes up to 100,000 rows in batches. With the per-row triggers every
closed row ran four upserts on the totals (hourly and daily, out of one state and into the
other), mostly on the same few rows; here the UPDATE returns each changed row's periods,
app and severity, and a batch moves them with one multi-row upsert per table whatever its
size (reading the changed rows again for their keys cost a quarter of the batch: app and
severity sit behind the multi-KB data). The update triggers stand aside only inside this transaction
(errors/count_triggers.py, migration 0014_bulk_change_totals says how), so every other
writer keeps counting row by row meanwhile.
"""

import datetime
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import connections

from errors.count_triggers import (
    BULK_CHANGE_SETTING,
    BULK_CHANGE_TABLE,
    DAILY,
    HOURLY,
    bulk_adjustment,
    returned_period,
)
from errors.models import AppError, AppErrorCount

TABLE = AppError._meta.db_table


def set_resolution(
    alias: str,
    ids: Sequence[Any],
    *,
    resolved: bool,
    by: Any = None,
    at: datetime.datetime | None = None,
    closed_at: datetime.datetime | None = None,
) -> int:
    """Resolve (``resolved``, by ``by`` at ``at``) or reopen the errors ``ids`` that are not
    in that state yet (reopening, with ``closed_at``, only those resolved at that moment);
    returns how many changed. Runs inside the caller's transaction, whose rollback also
    undoes the triggers' standing aside."""
    if not ids:
        return 0
    connection = connections[alias]
    vendor = connection.vendor
    meta = AppError._meta
    params = [
        resolved,
        meta.get_field("resolved_by").target_field.get_db_prep_value(by, connection)
        if by is not None
        else None,
        meta.get_field("resolved_timestamp").get_db_prep_value(at, connection),
        *(meta.pk.get_db_prep_value(pk, connection) for pk in ids),
        not resolved,
    ]
    closed_at_only = ""
    if closed_at is not None:
        closed_at_only = " AND resolved_timestamp = %s"
        params.append(meta.get_field("resolved_timestamp").get_db_prep_value(closed_at, connection))
    placeholders = ", ".join(["%s"] * len(ids))
    periods = ", ".join(returned_period(counts, vendor) for counts in (HOURLY, DAILY))
    with connection.cursor() as cursor:
        _stand_aside(cursor, vendor, True)
        cursor.execute(
            f"UPDATE {TABLE} SET resolved = %s, resolved_by_id = %s, resolved_timestamp = %s"
            f" WHERE id IN ({placeholders}) AND resolved = %s{closed_at_only}"
            f" RETURNING {periods}, coalesce(app, ''), severity",
            params,
        )
        changed = cursor.fetchall()
        if changed:
            shard = "0" if vendor == "sqlite" else f"pg_backend_pid() % {AppErrorCount.SHARDS}"
            for position, counts in enumerate((HOURLY, DAILY)):
                moves = _moves(changed, position, resolved)
                cursor.execute(bulk_adjustment(counts, shard, len(moves) // 5), moves)
        _stand_aside(cursor, vendor, False)
    return len(changed)


def _moves(changed: list[tuple], position: int, resolved: bool) -> list[Any]:
    """The totals rows a batch moves, flattened as ``bulk_adjustment`` takes them: per
    (period, app, severity) of the changed rows, minus their number from the state they
    left and plus it to the one they reached. ``position`` is the period's column in
    ``changed`` (hour, day, app, severity)."""
    tally = Counter((row[position], row[2], row[3]) for row in changed)
    moves: list[Any] = []
    for (period, app, severity), n in tally.items():
        moves += [period, app, severity, not resolved, -n, period, app, severity, resolved, n]
    return moves


def _stand_aside(cursor: Any, vendor: str, on: bool) -> None:
    """Tell the totals' update triggers to leave this transaction's updates alone (or to
    count them again)."""
    if vendor == "postgresql":
        cursor.execute(f"SET LOCAL {BULK_CHANGE_SETTING} = {'on' if on else 'off'}")
    elif on:
        cursor.execute(f"INSERT INTO {BULK_CHANGE_TABLE} (id) VALUES (1)")
    else:
        cursor.execute(f"DELETE FROM {BULK_CHANGE_TABLE}")
