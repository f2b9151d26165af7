"""Deleting old errors, so the table does not grow for ever.

A batch at a time, oldest first along the time index, each batch its own short transaction on
the errors alias (on SQLite in the writers' queue): error writes wait at most one batch, and a
run cut short leaves whole batches done. The triggers keep the hourly and daily totals and the
search index in step with every deleted row, as for any delete.
"""

import datetime

from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from errors.models import AppError
from errors.routers import errors_alias
from errors.write_queue import writer_turn

DEFAULT_BATCH_SIZE = 200  # on SQLite a batch holds error writers back about 60 ms


def app_errors_older_than(cutoff: datetime.datetime, *, resolved_only: bool) -> QuerySet:
    """The errors a prune with this cutoff deletes."""
    rows = AppError.objects.using(errors_alias()).filter(timestamp__lt=cutoff)
    return rows.filter(resolved=True) if resolved_only else rows


def prune_app_errors(
    cutoff: datetime.datetime,
    *,
    resolved_only: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Delete the errors recorded before ``cutoff`` (only the resolved ones, if asked);
    returns how many were deleted."""
    alias = errors_alias()
    connection = connections[alias]
    doomed = app_errors_older_than(cutoff, resolved_only=resolved_only).order_by("timestamp", "id")
    deleted = 0
    after = doomed
    while True:
        batch = list(after.values_list("timestamp", "pk")[:batch_size])
        if not batch:
            return deleted
        with writer_turn(connection), transaction.atomic(using=alias):
            ids = [pk for _, pk in batch]
            deleted += AppError.objects.using(alias).filter(pk__in=ids).delete()[0]
        # Onwards from the last row deleted, not from the start of the index again, where
        # PostgreSQL would step over the dead entries of every earlier batch until a vacuum.
        last_time, last_id = batch[-1]
        # (A range on the time and a filter, not an OR, which SQLite would answer by sorting.)
        after = doomed.filter(timestamp__gte=last_time).exclude(
            timestamp=last_time, id__lte=last_id
        )


def cutoff_for(days: int, *, now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=days)
