"""Writes on groups: resolve and unresolve (with their occurrences), mute and unmute.

A group resolve closes every open occurrence of the group. A big group has 100,000 of them,
and one UPDATE that size holds the errors database's write lock for seconds (SQLite has one
writer; on PostgreSQL the totals triggers of same-day rows queue on one row), stalling every
``persist_app_error`` meanwhile. So the occurrences are closed in batches, each its own short
transaction, and writers slip in between; the call returns once all are closed.
"""

import contextlib
import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connections, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from errors.batch_pacing import BatchPacer
from errors.bulk_resolution import set_resolution
from errors.conf import app_errors_setting
from errors.models import ActivityKind, AppError, ErrorGroup, ErrorGroupActivity
from errors.routers import errors_alias
from errors.write_queue import writer_turn

# What a resolve or unresolve of a group writes on the group's row.
RESOLUTION_FIELDS = [
    "resolved",
    "resolved_by",
    "resolved_timestamp",
    "resolved_in_next_release",
    "resolved_release",
    "regressed_at",
]
# The most rows a batch closes; errors.batch_pacing sizes each batch to its lock budget.
RESOLVE_BATCH = 2000


def resolve_error_group(
    *, group: ErrorGroup, by: Any, in_next_release: bool = False, batch_size: int = RESOLVE_BATCH
) -> ErrorGroup:
    """Resolve a group and every open occurrence it has, now. With ``in_next_release``,
    only an occurrence from a release first seen after this moment reopens it. Resolving a
    resolved group changes nothing."""
    alias = errors_alias()
    with _write(alias):
        group = _locked(group.pk)
        if group.resolved:
            return group
        now = timezone.now()
        release = app_errors_setting("RELEASE") or ""
        group.resolved, group.resolved_by, group.resolved_timestamp = True, by, now
        group.resolved_in_next_release = bool(in_next_release)
        group.resolved_release = str(release)[:100] if in_next_release else ""
        group.regressed_at = None
        group.save(update_fields=RESOLUTION_FIELDS)
        details = {"in_next_release": True, "release": group.resolved_release}
        _record(group, ActivityKind.RESOLVED, by, now, details if in_next_release else {})
    close_occurrences(group=group, by=by, at=now, batch_size=batch_size)
    return group


def close_occurrences(
    *, group: ErrorGroup, by: Any, at: datetime.datetime, batch_size: int = RESOLVE_BATCH
) -> int:
    """Resolve the group's occurrences recorded up to ``at`` that are still open, in
    batches; returns how many. Occurrences recorded later (a regression racing the resolve)
    stay open."""
    alias = errors_alias()
    by_id = getattr(by, "pk", by)
    closed, after = 0, None
    pacer = BatchPacer(alias, batch_size)
    while True:
        # Read before taking the write turn: only the update holds the lock, and it skips
        # a row resolved meanwhile. resolved__in, not resolved=False: Django writes the
        # latter as NOT resolved on SQLite, which its planner cannot match to
        # apperror_group_resolved. Each batch starts past the last one (timestamp, id):
        # on PostgreSQL the entries of rows just closed stay in the index's open range
        # until a vacuum, and a scan from the start would step over all of them again.
        rows = AppError.objects.using(alias).filter(
            group_id=group.pk, resolved__in=[False], timestamp__lte=at
        )
        if after is not None:
            rows = rows.filter(timestamp__gte=after[0]).exclude(
                timestamp=after[0], id__lte=after[1]
            )
        page = list(rows.order_by("timestamp", "id").values_list("timestamp", "pk")[: pacer.size])
        if not page:
            return closed
        after = page[-1]
        with pacer.batch():
            closed += set_resolution(alias, [pk for _, pk in page], resolved=True, by=by_id, at=at)


def unresolve_error_group(
    *, group: ErrorGroup, by: Any, batch_size: int = RESOLVE_BATCH
) -> ErrorGroup:
    """Reopen a resolved group and the occurrences its resolve closed (those resolved at
    the group's resolve time); occurrences resolved one by one before it stay resolved."""
    alias = errors_alias()
    with _write(alias):
        group = _locked(group.pk)
        if not group.resolved:
            return group
        closed_at = group.resolved_timestamp
        group.resolved, group.resolved_by, group.resolved_timestamp = False, None, None
        group.resolved_in_next_release, group.resolved_release = False, ""
        group.save(update_fields=RESOLUTION_FIELDS)
        _record(group, ActivityKind.UNRESOLVED, by, timezone.now())
    reopen_occurrences(group=group, closed_at=closed_at, batch_size=batch_size)
    return group


def reopen_occurrences(
    *, group: ErrorGroup, closed_at: datetime.datetime | None, batch_size: int = RESOLVE_BATCH
) -> int:
    """Reopen the occurrences a group resolve closed at ``closed_at``, walking the group's
    resolved occurrences once in (timestamp, id) order, in batches."""
    if closed_at is None:
        return 0
    alias = errors_alias()
    reopened, after = 0, None
    pacer = BatchPacer(alias, batch_size)
    while True:
        # Read outside the write turn; the update reopens only rows still closed at
        # ``closed_at``, and a page with none of them takes no lock at all.
        rows = AppError.objects.using(alias).filter(group_id=group.pk, resolved__in=[True])
        if after is not None:
            rows = rows.filter(timestamp__gte=after[0]).exclude(
                timestamp=after[0], id__lte=after[1]
            )
        page = list(
            rows.order_by("timestamp", "id").values_list("timestamp", "id", "resolved_timestamp")[
                : pacer.size
            ]
        )
        if not page:
            return reopened
        after = page[-1][:2]
        closed = [pk for _, pk, at in page if at == closed_at]
        if closed:
            with pacer.batch():
                reopened += set_resolution(alias, closed, resolved=False, closed_at=closed_at)


def resolve_error_groups(*, groups: Iterable[ErrorGroup], by: Any) -> int:
    """Resolve each group (and its open occurrences) as ``resolve_error_group`` does, one
    group at a time so no write waits on a long transaction; returns how many changed."""
    changed = 0
    for group in groups:
        if not group.resolved:
            changed += resolve_error_group(group=group, by=by).resolved
    return changed


def unresolve_error_groups(*, groups: Iterable[ErrorGroup], by: Any) -> int:
    """Reopen each resolved group and the occurrences its resolve closed; returns how many
    changed."""
    changed = 0
    for group in groups:
        if group.resolved:
            changed += not unresolve_error_group(group=group, by=by).resolved
    return changed


def mute_error_group(
    *,
    group: ErrorGroup,
    by: Any,
    until: datetime.datetime | None = None,
    for_occurrences: int | None = None,
) -> ErrorGroup:
    """Mute a group: for good, until a moment, or for its next ``for_occurrences``
    occurrences (the last of them ends the mute). Muting again replaces the terms."""
    if for_occurrences is not None and for_occurrences < 1:
        raise ValueError("for_occurrences must be at least 1")
    alias = errors_alias()
    with _write(alias):
        group = _locked(group.pk)
        group.is_muted, group.muted_until, group.mute_remaining = True, until, for_occurrences
        group.save(update_fields=["is_muted", "muted_until", "mute_remaining"])
        details = {
            key: value
            for key, value in (
                ("until", until.isoformat() if until else None),
                ("for_occurrences", for_occurrences),
            )
            if value is not None
        }
        _record(group, ActivityKind.MUTED, by, timezone.now(), details)
    return group


def unmute_error_group(*, group: ErrorGroup, by: Any) -> ErrorGroup:
    """Unmute by hand: recorded, and no alert is sent (a snooze that ends on its own is
    recorded by the write path and does alert)."""
    alias = errors_alias()
    with _write(alias):
        group = _locked(group.pk)
        if not group.is_muted:
            return group
        group.is_muted, group.muted_until, group.mute_remaining = False, None, None
        group.save(update_fields=["is_muted", "muted_until", "mute_remaining"])
        _record(group, ActivityKind.UNMUTED, by, timezone.now())
    return group


def settle_groups_of(*, group_ids: set[int], by: Any) -> None:
    """After occurrences were resolved or reopened one by one: a group whose last open
    occurrence was just resolved is resolved, a resolved group with an open occurrence
    again is reopened, each with its activity entry."""
    if not group_ids:
        return
    alias = errors_alias()
    now = timezone.now()
    with _write(alias):
        # One query for the groups and whether each still has an open occurrence (an
        # EXISTS that stops at the first), not one query a group.
        still_open = AppError.objects.using(alias).filter(
            group_id=OuterRef("pk"), resolved__in=[False]
        )
        groups = (
            ErrorGroup.objects.using(alias)
            .filter(pk__in=group_ids)
            .annotate(has_open=Exists(still_open))
            .order_by("pk")
        )
        for group in groups:
            has_open = group.has_open
            if group.resolved == (not has_open):
                continue
            if has_open:
                group.resolved, group.resolved_by, group.resolved_timestamp = False, None, None
                kind = ActivityKind.UNRESOLVED
            else:
                group.resolved, group.resolved_by, group.resolved_timestamp = True, by, now
                group.regressed_at = None
                kind = ActivityKind.RESOLVED
            group.resolved_in_next_release, group.resolved_release = False, ""
            group.save(update_fields=RESOLUTION_FIELDS)
            _record(group, kind, by, now)


@contextlib.contextmanager
def _write(alias: str) -> Iterator[None]:
    """One short write transaction on the errors database, queued with SQLite's writers."""
    with writer_turn(connections[alias]), transaction.atomic(using=alias):
        yield


def _locked(pk: int) -> ErrorGroup:
    return ErrorGroup.objects.using(errors_alias()).select_for_update().get(pk=pk)


def _record(
    group: ErrorGroup, kind: str, by: Any, when: datetime.datetime, details: dict | None = None
) -> None:
    ErrorGroupActivity.objects.using(errors_alias()).create(
        group=group, kind=kind, who_id=getattr(by, "pk", by), when=when, details=details or {}
    )
