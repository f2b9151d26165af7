"""Resolving or reopening a batch of errors in one statement, with the totals moved by a
grouped statement per table instead of by the per-row update triggers.

A group resolve closes up to 100,000 rows in batches. With the per-row triggers every
closed row ran four upserts on the totals (hourly and daily, out of one state and into the
other), mostly on the same few rows; here a batch moves them with four grouped upserts
whatever its size. The update triggers stand aside only inside this transaction
(errors/count_triggers.py, migration 0014_bulk_change_totals says how), so every other
writer keeps counting row by row meanwhile.
"""

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import connections

from errors.count_triggers import (
    BULK_CHANGE_SETTING,
    BULK_CHANGE_TABLE,
    DAILY,
    HOURLY,
    bulk_adjustment,
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
    with connection.cursor() as cursor:
        _stand_aside(cursor, vendor, True)
        cursor.execute(
            f"UPDATE {TABLE} SET resolved = %s, resolved_by_id = %s, resolved_timestamp = %s"
            f" WHERE id IN ({placeholders}) AND resolved = %s{closed_at_only} RETURNING id",
            params,
        )
        changed = [row[0] for row in cursor.fetchall()]
        if changed:
            shard = "0" if vendor == "sqlite" else f"pg_backend_pid() % {AppErrorCount.SHARDS}"
            for counts in (HOURLY, DAILY):
                statement = bulk_adjustment(counts, vendor, shard, len(changed))
                cursor.execute(statement, [not resolved, -1, *changed])
                cursor.execute(statement, [resolved, 1, *changed])
        _stand_aside(cursor, vendor, False)
    return len(changed)


def _stand_aside(cursor: Any, vendor: str, on: bool) -> None:
    """Tell the totals' update triggers to leave this transaction's updates alone (or to
    count them again)."""
    if vendor == "postgresql":
        cursor.execute(f"SET LOCAL {BULK_CHANGE_SETTING} = {'on' if on else 'off'}")
    elif on:
        cursor.execute(f"INSERT INTO {BULK_CHANGE_TABLE} (id) VALUES (1)")
    else:
        cursor.execute(f"DELETE FROM {BULK_CHANGE_TABLE}")
