"""Trend data for the charts: per-bucket totals, the filter a click applies, exact ranges."""

import datetime

import pytest
from django.utils import timezone

from dashboard.charts import bucket_ranges, build_trend_charts
from errors.selectors import count_app_errors_over_time, filter_app_errors
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")


def test_charts_stack_by_severity_and_app_with_click_filters():
    AppErrorFactory(app="xero", severity="error", age_hours=1)
    AppErrorFactory(app="xero", severity="critical", age_hours=1)
    AppErrorFactory(app="billing", severity="warning", age_hours=3)
    filterset = filter_app_errors({"range": "24h"})
    assert filterset.is_valid()
    charts = build_trend_charts(count_app_errors_over_time(filterset))
    assert charts["bucket"] == "hour"
    assert charts["total"] == 3
    assert sum(sum(s["data"]) for s in charts["by_severity"]) == 3
    assert sum(sum(s["data"]) for s in charts["by_app"]) == 3
    labels = [s["label"] for s in charts["by_severity"]]
    assert labels == ["Critical", "Error", "Warning"]
    assert charts["by_severity"][0]["filter"] == {"severity": "50"}
    assert {s["label"]: s["filter"] for s in charts["by_app"]}["billing"] == {"app": "billing"}
    assert len(charts["ranges"]) == len(charts["labels"])


def test_charts_follow_the_filter():
    AppErrorFactory(app="xero")
    AppErrorFactory(app="billing")
    filterset = filter_app_errors({"app": "xero"})
    assert filterset.is_valid()
    charts = build_trend_charts(count_app_errors_over_time(filterset))
    assert charts["total"] == 1
    assert [s["label"] for s in charts["by_app"]] == ["xero"]


def test_bucket_ranges_cover_exactly_one_day_or_hour(settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    timezone.activate("Pacific/Auckland")
    try:
        [[start, end]] = bucket_ranges(["2026-03-01"], "day")
        start_at = datetime.datetime.fromisoformat(start)
        end_at = datetime.datetime.fromisoformat(end)
        assert start.startswith("2026-03-01T00:00:00+13:00")
        assert end_at - start_at == datetime.timedelta(days=1, microseconds=-1)
        [[start, _end]] = bucket_ranges(["2026-03-01T14:00"], "hour")
        assert start == "2026-03-01T14:00:00+13:00"
    finally:
        timezone.deactivate()


def test_a_chart_over_centuries_draws_the_newest_year_up_to_now():
    now = timezone.now()
    AppErrorFactory(age_hours=3)
    AppErrorFactory(age_hours=800 * 24)
    filterset = filter_app_errors(
        {"timestamp__gte": "1900-01-01T00:00:00Z", "timestamp__lte": "9999-12-31T23:59:59Z"}
    )
    trend = count_app_errors_over_time(filterset)
    start = datetime.datetime.fromisoformat(trend["start"])
    end = datetime.datetime.fromisoformat(trend["end"])
    assert end - start == datetime.timedelta(days=366)
    assert now <= end <= now + datetime.timedelta(days=1, minutes=1)
    assert trend["bucket"] == "day" and trend["total"] == 1
