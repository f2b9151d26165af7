"""A group resolve moves the error totals with one grouped statement per batch, not with the
per-row triggers: the totals stay exact, and the triggers count every other update again."""

import datetime
from collections import Counter

import pytest
from django.db import connections, transaction
from django.db.models import Sum
from django.utils import timezone

from errors.bulk_resolution import set_resolution
from errors.group_services import resolve_error_group, unresolve_error_group
from errors.models import (
    AppError,
    AppErrorDailyCount,
    AppErrorHourlyCount,
    ErrorGroup,
    Severity,
)
from errors.routers import errors_alias
from errors.services import persist_app_error, resolve_app_error

pytestmark = pytest.mark.django_db(databases="__all__")

NOW = timezone.now()


def counted(period: str) -> Counter:
    """The totals as counted from the errors themselves, by UTC hour or day."""
    totals: Counter = Counter()
    for row in AppError.objects.values("timestamp", "app", "severity", "resolved"):
        moment = row["timestamp"].astimezone(datetime.UTC)
        key = moment.replace(minute=0, second=0, microsecond=0)
        if period == "day":
            key = key.date()
        totals[(key, row["app"] or "", row["severity"], row["resolved"])] += 1
    return totals


def kept(model, period: str) -> Counter:
    """The totals as the table keeps them, summed over the shards."""
    rows = model.objects.values(period, "app", "severity", "resolved").annotate(n=Sum("total"))
    totals: Counter = Counter()
    for row in rows:
        key = row[period]
        if isinstance(key, datetime.datetime):
            key = key.astimezone(datetime.UTC)
        if row["n"]:
            totals[(key, row["app"], row["severity"], row["resolved"])] = row["n"]
    return totals


def assert_totals_exact() -> None:
    assert kept(AppErrorHourlyCount, "hour") == counted("hour")
    assert kept(AppErrorDailyCount, "day") == counted("day")


@pytest.fixture
def big_group() -> ErrorGroup:
    """One group with 60 occurrences spread over hours, days, apps and severities, a few
    of them resolved one by one, beside an error of another group."""
    groups = {}
    for fingerprint in ("bulk", "other"):
        try:
            raise RuntimeError(fingerprint)
        except RuntimeError as exc:
            groups[fingerprint] = persist_app_error(exc, fingerprint=[fingerprint]).group_id
    group = ErrorGroup.objects.get(pk=groups["bulk"])
    for number in range(59):
        AppError(
            message=f"bulk {number}",
            timestamp=NOW - datetime.timedelta(minutes=53 * number + 7),
            app=["xero", None, "jobs"][number % 3],
            severity=[Severity.ERROR, Severity.WARNING, Severity.CRITICAL][number % 3],
            group=group,
        ).save()
    return group


def test_resolve_and_unresolve_of_a_group_keep_the_totals_exact(big_group, staff):
    for error in AppError.objects.filter(group=big_group)[:5]:
        resolve_app_error(error=error, by=staff)
    assert_totals_exact()

    resolve_error_group(group=big_group, by=staff, batch_size=7)

    assert not AppError.objects.filter(group=big_group, resolved=False).exists()
    assert AppError.objects.filter(resolved=False).count() == 1  # the other group's
    assert_totals_exact()

    unresolve_error_group(group=big_group, by=staff, batch_size=7)

    assert AppError.objects.filter(group=big_group, resolved=True).count() == 5
    assert_totals_exact()


def test_a_batch_changes_only_rows_not_yet_in_that_state(big_group, staff):
    rows = list(AppError.objects.filter(group=big_group).values_list("pk", flat=True)[:10])
    alias = errors_alias()
    with transaction.atomic(using=alias):
        assert set_resolution(alias, rows[:4], resolved=True, by=staff.pk, at=NOW) == 4
        assert set_resolution(alias, rows, resolved=True, by=staff.pk, at=NOW) == 6
        assert set_resolution(alias, rows[:3], resolved=False) == 3
    assert AppError.objects.filter(pk__in=rows, resolved=True).count() == 7
    assert set(
        AppError.objects.filter(pk__in=rows, resolved=True).values_list("resolved_by", flat=True)
    ) == {staff.pk}
    assert_totals_exact()


def test_after_a_batch_the_triggers_count_updates_row_by_row_again(big_group, staff):
    rows = list(AppError.objects.filter(group=big_group).values_list("pk", flat=True)[:4])
    alias = errors_alias()
    with transaction.atomic(using=alias):
        set_resolution(alias, rows[:2], resolved=True, by=staff.pk, at=NOW)
        # Same transaction, an ordinary update after the batch: counted by the triggers.
        AppError.objects.filter(pk=rows[2]).update(resolved=True, severity=Severity.DEBUG)
    AppError.objects.filter(pk=rows[3]).update(app="moved")
    assert_totals_exact()
    if connections[alias].vendor == "sqlite":
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM errors_apperror_bulk_change")
            assert cursor.fetchone()[0] == 0
