"""The hourly totals behind the trend chart stay exact: the chart drawn from them equals the
chart counted from the errors, through inserts, resolves, edits and deletes."""

import datetime

import pytest
from django.db import connections
from django.utils import timezone

from errors import selectors
from errors.hourly_counts import count_from_daily_totals, count_from_hourly_totals
from errors.models import (
    AppError,
    AppErrorCount,
    AppErrorDailyCount,
    AppErrorHourlyCount,
    Severity,
)
from errors.services import persist_app_error, resolve_app_errors

pytestmark = pytest.mark.django_db(databases="__all__")

NOW = timezone.now()


def counted_from_errors(params: dict) -> dict:
    """The chart as grouped straight from the errors (the hourly totals bypassed)."""
    filterset = selectors.filter_app_errors(params)
    assert filterset.is_valid()
    window = selectors.trend_window_for(filterset)
    tz = timezone.get_current_timezone()
    severity_rows, app_rows = selectors._count_grouped_errors(filterset, window, tz)
    totals: dict = {}
    for row in severity_rows:
        totals[("severity", row["label"], row["severity"])] = row["n"]
    for row in app_rows:
        totals[("app", row["label"], row["app"] or None)] = row["n"]
    return totals


def counted_from_hourly_totals(params: dict) -> dict:
    filterset = selectors.filter_app_errors(params)
    assert filterset.is_valid()
    window = selectors.trend_window_for(filterset)
    tz = timezone.get_current_timezone()
    counted = count_from_hourly_totals(
        filterset, window, lambda moment: selectors.bucket_label(moment, window.bucket, tz)
    )
    assert counted is not None, "this filter should be answered by the hourly totals"
    severity_rows, app_rows = counted
    totals: dict = {}
    for row in severity_rows:
        totals[("severity", row["label"], row["severity"])] = row["n"]
    for row in app_rows:
        totals[("app", row["label"], row["app"])] = row["n"]
    return {key: n for key, n in totals.items() if n}


@pytest.fixture
def errors_over_days():
    """Errors every 97 minutes over 40 days, so every bucket edge falls mid-hour."""
    apps = ["xero", "jobs", None, "reports"]
    severities = [Severity.ERROR, Severity.WARNING, Severity.CRITICAL, Severity.INFO]
    rows = [
        AppError(
            message=f"failure {number}",
            timestamp=NOW - datetime.timedelta(minutes=97 * number + 3),
            app=apps[number % 4],
            severity=severities[number % 3],
            resolved=number % 5 == 0,
        )
        for number in range(600)
    ]
    for row in rows:
        row.save()
    return rows


PARAMS = [
    {},
    {"range": "90d"},
    {"range": "7d"},
    {"app": "xero"},
    {"severity": "40", "resolved": "false"},
    {"severity__gte": "40", "app": "jobs"},
    {"timestamp__gte": (NOW - datetime.timedelta(days=10, minutes=17)).isoformat()},
]


@pytest.mark.parametrize("params", PARAMS)
def test_chart_from_hourly_totals_equals_counting_the_errors(errors_over_days, params):
    assert counted_from_hourly_totals(params) == counted_from_errors(params)


def test_totals_follow_resolves_edits_and_deletes(errors_over_days, staff):
    resolve_app_errors(errors=AppError.objects.filter(app="xero"), by=staff)
    moved = errors_over_days[1]
    moved.severity = Severity.DEBUG
    moved.timestamp -= datetime.timedelta(hours=5)
    moved.save()
    AppError.objects.filter(app="reports", severity=Severity.ERROR).delete()
    for params in ({}, {"range": "90d"}, {"resolved": "true"}, {"severity": "10"}):
        assert counted_from_hourly_totals(params) == counted_from_errors(params)
    for totals in (AppErrorHourlyCount, AppErrorDailyCount):
        assert sum(totals.objects.values_list("total", flat=True)) == AppError.objects.count()


def test_filters_the_totals_cannot_answer_count_the_errors(errors_over_days):
    filterset = selectors.filter_app_errors({"function": "push", "range": "90d"})
    assert filterset.is_valid()
    window = selectors.trend_window_for(filterset)
    assert count_from_hourly_totals(filterset, window, str) is None
    chart = selectors.count_app_errors_over_time(filterset)
    assert chart["total"] == 0


def test_chart_total_matches_the_list(errors_over_days):
    filterset = selectors.filter_app_errors({"range": "30d", "app": "xero"})
    assert filterset.is_valid()
    chart = selectors.count_app_errors_over_time(filterset)
    assert chart["total"] == filterset.qs.count()
    assert sum(sum(series) for series in chart["by_severity"].values()) == chart["total"]


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York"])
def test_chart_is_exact_in_a_time_zone_away_from_utc(errors_over_days, zone):
    with timezone.override(zone):
        for params in ({}, {"range": "7d", "app": "xero"}, {"range": "24h"}):
            assert counted_from_hourly_totals(params) == counted_from_errors(params)


def test_app_names_come_from_the_totals_and_drop_apps_with_no_errors_left(errors_over_days):
    assert selectors.list_app_names() == ["jobs", "reports", "xero"]
    AppError.objects.filter(app="reports").delete()
    assert selectors.list_app_names() == ["jobs", "xero"]


def own_shard() -> int:
    """The shard this test's errors connection writes its totals to."""
    connection = connections["errors"]
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_backend_pid() % {AppErrorCount.SHARDS}")
        return cursor.fetchone()[0]


def test_totals_written_by_other_connections_still_sum_exactly(errors_over_days, staff):
    """Rows another writer added sit in its shard; this connection's resolves, edits and
    deletes subtract in its own, driving some of its totals negative: the sums stay exact."""
    if connections["errors"].vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time and keeps one shard")
    other = (own_shard() + 1) % AppErrorCount.SHARDS
    for totals in (AppErrorHourlyCount, AppErrorDailyCount):
        totals.objects.update(shard=other)
    AppError.objects.create(message="late", app="xero", timestamp=NOW - datetime.timedelta(days=2))
    resolve_app_errors(errors=AppError.objects.filter(app="xero"), by=staff)
    AppError.objects.filter(app="jobs", severity=Severity.WARNING).update(severity=Severity.DEBUG)
    AppError.objects.filter(app="reports").delete()
    assert AppErrorHourlyCount.objects.filter(total__lt=0).exists()
    for params in ({}, {"range": "90d"}, {"resolved": "true"}, {"app": "xero"}, {"severity": "10"}):
        assert counted_from_hourly_totals(params) == counted_from_errors(params)
    for totals in (AppErrorHourlyCount, AppErrorDailyCount):
        assert sum(totals.objects.values_list("total", flat=True)) == AppError.objects.count()
    for data in ({}, {"app": "xero", "resolved": True}, {"severity": 10}):
        assert count_from_daily_totals(data) == AppError.objects.filter(**data).count()
    assert selectors.list_app_names() == ["jobs", "xero"]


def test_emptying_the_totals_then_the_errors_leaves_no_negative_totals(errors_over_days):
    """The order a test database's flush may take on SQLite: a DELETE of every table, the
    totals first. Removing errors whose totals are gone must not invent negative ones."""
    if connections["errors"].vendor != "sqlite":
        pytest.skip("PostgreSQL's flush truncates, and a TRUNCATE empties the totals too")
    for totals in (AppErrorHourlyCount, AppErrorDailyCount):
        totals.objects.all().delete()
    AppError.objects.all().delete()
    for totals in (AppErrorHourlyCount, AppErrorDailyCount):
        assert not totals.objects.filter(total__lt=0).exists()
    persist_app_error(ValueError("after the flush"), app="xero")
    assert count_from_daily_totals({}) == 1
