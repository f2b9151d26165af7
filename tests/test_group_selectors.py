"""Group reads: sparklines for a page in one query, trends summed from the hourly counts of
the filtered groups, who a group hit most, where an occurrence stands, what is not grouped."""

import datetime
import uuid

import pytest
from django.utils import timezone

from errors.group_selectors import (
    build_sparklines,
    count_group_over_time,
    count_groups_over_time,
    count_stored_occurrences,
    count_ungrouped_app_errors,
    filter_error_groups,
    find_occurrence_position,
    group_trend_window,
    list_top_subjects,
)
from errors.models import AppError, ErrorGroupHourlyCount
from tests.group_records import occur

pytestmark = pytest.mark.django_db(databases="__all__")


def move_counts(group, *, days_ago: int) -> None:
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    ErrorGroupHourlyCount.objects.filter(group_id=group.pk).update(
        hour=hour - datetime.timedelta(days=days_ago)
    )


def test_sparklines_of_a_page_of_groups_take_one_query(count_queries):
    recent = occur("recent", times=3)
    older = occur("older", times=2)
    move_counts(older, days_ago=5)
    forgotten = occur("forgotten")
    move_counts(forgotten, days_ago=20)

    with count_queries() as queries:
        lines = build_sparklines([recent.pk, older.pk, forgotten.pk])

    assert queries == [1]
    assert lines[recent.pk].counts[-1] == 3 and lines[recent.pk].total == 3
    assert lines[older.pk].counts[-6] == 2 and lines[older.pk].total == 2
    assert lines[forgotten.pk].total == 0 and len(lines[forgotten.pk].counts) == 14
    points = lines[recent.pk].points.split()
    assert len(points) == 14 and points[-1].endswith(",1.0") and points[0].endswith(",19.0")


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_sparklines_put_each_hour_on_its_day_in_the_site_time_zone(settings, zone):
    """Hours are placed by the site's calendar, not UTC's: four days back in both zones
    here, where UTC's calendar says five."""
    settings.TIME_ZONE = zone
    group = occur("late")
    now = datetime.datetime(2026, 6, 15, 5, tzinfo=datetime.UTC)
    late = datetime.datetime(2026, 6, 10, 23, tzinfo=datetime.UTC)
    ErrorGroupHourlyCount.objects.filter(group_id=group.pk).update(hour=late, count=5)

    with timezone.override(zone):
        series = build_sparklines([group.pk], now=now)[group.pk].counts
        local = timezone.localtime(late).date()
        today = timezone.localtime(now).date()

    assert (today - local).days == 4
    assert series[-5] == 5 and sum(series) == 5


def test_the_trend_sums_only_the_filtered_groups_by_severity_and_app():
    occur("xero-sync", app="xero", times=4)
    occur("billing-run", app="billing", severity="critical", times=2)
    filterset = filter_error_groups({"app": "billing"})
    assert filterset.is_valid()

    trend = count_groups_over_time(filterset.qs, group_trend_window(filterset))

    assert trend["total"] == 2
    assert sum(trend["by_severity"]["CRITICAL"]) == 2 and "ERROR" not in trend["by_severity"]
    assert list(trend["by_app"]) == ["billing"]
    assert trend["bucket"] == "day" and len(trend["labels"]) >= 30


def test_the_trend_window_follows_the_time_filter():
    filterset = filter_error_groups({"range": "24h"})
    assert filterset.is_valid()

    window = group_trend_window(filterset)

    assert window.bucket == "hour"
    assert datetime.timedelta(hours=23) < window.end - window.start <= datetime.timedelta(hours=25)


def test_a_group_trend_counts_its_own_occurrences_by_hour():
    group = occur("xero-sync", times=5)
    occur("other", times=7)

    trend = count_group_over_time(group)

    assert trend["bucket"] == "hour" and trend["total"] == 5


def test_top_jobs_are_the_ones_hit_most():
    busy, quiet = uuid.uuid4(), uuid.uuid4()
    group = occur("xero-sync", job_id=quiet)
    occur("xero-sync", job_id=busy, times=3)

    top = list_top_subjects(group, "job")

    assert [(subject.subject_id, subject.count) for subject in top] == [(busy, 3), (quiet, 1)]
    assert list_top_subjects(group, "user") == []


def test_occurrence_n_of_n_and_the_stored_count():
    group = occur("xero-sync", times=3)
    rows = list(AppError.objects.filter(group_id=group.pk).order_by("timestamp", "id"))

    assert [find_occurrence_position(row) for row in rows] == [(1, 3), (2, 3), (3, 3)]
    AppError.objects.filter(pk=rows[0].pk).delete()
    assert find_occurrence_position(rows[2]) == (2, 2)
    assert count_stored_occurrences(group) == 2
    rows[1].group_id = None
    assert find_occurrence_position(rows[1]) is None


def test_errors_not_grouped_yet_are_counted_up_to_a_cap():
    occur("xero-sync", times=4)
    assert count_ungrouped_app_errors() == (0, True)

    AppError.objects.update(group=None)

    assert count_ungrouped_app_errors() == (4, True)
    assert count_ungrouped_app_errors(cap=3) == (3, False)
