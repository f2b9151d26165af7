import pytest

from errors.selectors import (
    count_app_errors_over_time,
    filter_app_errors,
    list_app_errors,
    list_app_names,
)
from errors.services import resolve_app_error
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")


def test_list_is_newest_first_with_a_unique_tie_breaker():
    older, newer = (
        AppErrorFactory(message="older", age_hours=5),
        AppErrorFactory(message="newer", age_hours=1),
    )
    filterset = filter_app_errors({})
    assert filterset.is_valid()
    rows = list(list_app_errors(filterset))
    assert [r.pk for r in rows] == [newer.pk, older.pk]
    assert list_app_errors(filterset).query.order_by[-1] == "-id"


def test_ordering_parameter_keeps_the_tie_breaker():
    AppErrorFactory(message="a", severity="warning")
    AppErrorFactory(message="b", severity="critical")
    filterset = filter_app_errors({"ordering": "-severity"})
    assert filterset.is_valid()
    queryset = list_app_errors(filterset)
    assert [r.message for r in queryset] == ["b", "a"]
    assert queryset.query.order_by[-1] == "-id"


@pytest.mark.parametrize(
    "params",
    [
        {"job_id": "JOB-1"},
        {"timestamp__gte": "yesterday"},
        {"severity": "loud"},
        {"resolved": "maybe"},
        {"ordering": "password"},
        {"range": "1y"},
    ],
)
def test_bad_parameters_are_form_errors(params):
    filterset = filter_app_errors(params)
    assert not filterset.is_valid()
    assert set(filterset.errors) == set(params)


def test_severity_filters_accept_names_and_numbers():
    AppErrorFactory(message="w", severity="warning")
    AppErrorFactory(message="c", severity="critical")
    for params in ({"severity__gte": "error"}, {"severity__gte": "40"}):
        filterset = filter_app_errors(params)
        assert filterset.is_valid()
        assert [r.message for r in filterset.qs] == ["c"]


@pytest.mark.parametrize("rows", [1, 6])
def test_resolver_is_fetched_in_one_query_for_any_number_of_rows(staff, count_queries, rows):
    for n in range(rows):
        resolve_app_error(error=AppErrorFactory(message=str(n)), by=staff)
    filterset = filter_app_errors({})
    filterset.is_valid()
    with count_queries() as queries:
        names = [str(error.resolved_by) for error in list_app_errors(filterset)]
    assert names == ["Alice"] * rows
    assert queries == [2]


def test_app_names_are_distinct_and_sorted():
    AppErrorFactory(message="1", app="xero")
    AppErrorFactory(message="2", app="job")
    AppErrorFactory(message="3", app="xero")
    assert list_app_names() == ["job", "xero"]


def test_trend_counts_match_the_filter_by_severity_and_app():
    AppErrorFactory(message="1", app="xero", severity="error", age_hours=2)
    AppErrorFactory(message="2", app="xero", severity="warning", age_hours=30)
    AppErrorFactory(message="3", app="job", severity="error", age_hours=50)
    AppErrorFactory(
        message="4", app="job", severity="error", age_hours=24 * 40
    )  # outside the default 30 days
    filterset = filter_app_errors({})
    filterset.is_valid()
    trend = count_app_errors_over_time(filterset)
    assert trend["bucket"] == "day" and trend["total"] == 3
    assert {k: sum(v) for k, v in trend["by_severity"].items()} == {"ERROR": 2, "WARNING": 1}
    assert {k: sum(v) for k, v in trend["by_app"].items()} == {"xero": 2, "job": 1}
    assert len(trend["labels"]) in (31, 32)


def test_trend_is_hourly_for_short_ranges_and_folds_small_apps_into_other():
    for n, app in enumerate(["a", "b", "c", "d", "e", "f", "g"]):
        for _ in range(7 - n):
            AppErrorFactory(message=app, app=app, age_hours=3)
    filterset = filter_app_errors({"range": "24h"})
    filterset.is_valid()
    trend = count_app_errors_over_time(filterset)
    assert trend["bucket"] == "hour"
    totals = {k: sum(v) for k, v in trend["by_app"].items()}
    assert totals == {"a": 7, "b": 6, "c": 5, "d": 4, "e": 3, "other": 3}
