"""Rebuilding groups from their rows (``rebuild_groups_of``).

A group's figures are kept on write, so rows changed afterwards behind the groups' back (a
bulk ``UPDATE`` of timestamps or resolutions: an import, a fix-up, back-dated sample data)
leave the groups describing rows that no longer exist. Rebuilding empties those groups and
counts their rows into them again as they are now, with the grouping backfill's arithmetic
(errors.group_backfill), so a rebuilt group holds what grouping its rows from scratch gives.

Rows stay in the group they were captured into: the backfill reads a culprit back from trace
text, which names a method without its class and knows no custom fingerprint, so grouping
them again could split a group the live capture keeps whole. Groups are emptied, never
deleted: their ids stay valid for links, alerts, activity, mutes and the ids writers have
learnt (errors.group_writes). Everything only rows can tell is recounted: count, first and
last seen, severity, releases, hourly counts, jobs and users, resolution and regression.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connections, transaction

from errors.group_backfill import BATCH_SIZE, GroupFigures, add_group_figures
from errors.group_writes import Statements
from errors.models import AppError, ErrorGroup, ErrorGroupHourlyCount, ErrorGroupSubject
from errors.routers import errors_alias
from errors.write_queue import writer_turn

# add_group_figures adds with LEAST/GREATEST, so an empty group holds the values those leave
# to the first rows counted: the latest possible first sighting and the earliest last one.
EMPTY_FIRST_SEEN = datetime.datetime.max.replace(tzinfo=datetime.UTC)
EMPTY_LAST_SEEN = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)
ROW_FIELDS = (
    "id",
    "group_id",
    "timestamp",
    "severity",
    "release",
    "job_id",
    "user_id",
    "resolved",
    "resolved_timestamp",
    "resolved_by_id",
)


def rebuild_groups_of(*, error_ids: Iterable[Any]) -> int:
    """Recount, from their rows, every group holding one of the errors ``error_ids`` (all
    of each group's rows, not only those given), in one transaction; returns how many
    groups were rebuilt."""
    alias = errors_alias()
    connection = connections[alias]
    ids = list(error_ids)
    with writer_turn(connection), transaction.atomic(using=alias):
        group_ids: set[int] = set()
        for start in range(0, len(ids), BATCH_SIZE):  # within SQLite's limit of parameters
            group_ids.update(
                AppError.objects.using(alias)
                .filter(pk__in=ids[start : start + BATCH_SIZE], group__isnull=False)
                .order_by()
                .values_list("group_id", flat=True)
                .distinct()
            )
        if not group_ids:
            return 0
        _empty_groups(alias, group_ids)
        ops = Statements(connection)
        rows = AppError.objects.using(alias).filter(group_id__in=group_ids)
        batch: list[dict] = []
        for row in (
            rows.order_by("group_id", "timestamp", "id")
            .values(*ROW_FIELDS)
            .iterator(chunk_size=BATCH_SIZE)
        ):
            batch.append(row)
            if len(batch) == BATCH_SIZE:
                _count(ops, batch)
                batch = []
        if batch:
            _count(ops, batch)
    return len(group_ids)


def _empty_groups(alias: str, group_ids: set[int]) -> None:
    """Set these groups' figures to those of no row at all."""
    ErrorGroupHourlyCount.objects.using(alias).filter(group_id__in=group_ids).delete()
    ErrorGroupSubject.objects.using(alias).filter(group_id__in=group_ids).delete()
    ErrorGroup.objects.using(alias).filter(pk__in=group_ids).update(
        count=0,
        shed_count=0,
        first_seen=EMPTY_FIRST_SEEN,
        last_seen=EMPTY_LAST_SEEN,
        severity=0,
        first_release="",
        last_release="",
        resolved=False,
        resolved_timestamp=None,
        resolved_by=None,
        resolved_in_next_release=False,
        resolved_release="",
        regressed_at=None,
    )


def _count(ops: Statements, rows: list[dict]) -> None:
    """Add these rows (already in their groups) to their groups' figures."""
    members: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        members[row["group_id"]].append(row)
    add_group_figures(ops, {gid: GroupFigures.of(ops, rows) for gid, rows in members.items()})
