"""A search's summary on the error list: asked for once the page has loaded, read from the
search's newest matches in one query, exact when those are all of them, and saying what it
left out when they are not."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from errors import newest_errors
from errors.newest_errors import count_newest_app_errors_over_time, read_newest_app_errors
from errors.selectors import count_app_errors_over_time, filter_app_errors
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")

LIST = reverse("error_list")


def summary_of(client, params) -> str:
    response = client.get(LIST, params, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="summary")
    assert response.status_code == 200
    return response.content.decode()


def resolved(error):
    type(error).objects.filter(pk=error.pk).update(resolved=True)
    return error


def hours_ago(moment: datetime.datetime) -> float:
    return (timezone.now() - moment).total_seconds() / 3600


def test_search_page_lists_its_results_and_asks_for_its_summary_once_loaded(staff_client):
    AppErrorFactory(message="invoice push failed")
    AppErrorFactory(message="contact sync failed")
    html = staff_client.get(LIST, {"search": "invoice"}).content.decode()
    assert 'hx-trigger="load, errors-changed from:body"' in html
    assert 'data-total="1"' in html  # the count the pager needs comes with the results
    assert 'id="unresolved-count"' not in html
    assert 'id="trend-data"' not in html
    assert "<noscript>· <a href=" in html  # to the same page with them (test_inline_summary)
    assert "invoice" in html.split('id="results"', 1)[1]

    part = summary_of(staff_client, {"search": "invoice"})
    assert 'data-unresolved="1">1</strong> unresolved' in part
    assert 'id="trend-data"' in part
    assert 'hx-trigger="errors-changed from:body"' in part
    assert "among the newest" not in part
    assert "older ones are not drawn" not in part


def test_list_without_a_search_keeps_its_summary_in_the_page(staff_client):
    AppErrorFactory(message="invoice push failed")
    html = staff_client.get(LIST, {"app": "xero"}).content.decode()
    assert 'hx-trigger="errors-changed from:body"' in html
    assert 'data-unresolved="1">1</strong>' in html
    assert 'id="trend-data"' in html


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_trend_of_all_newest_matches_equals_the_counted_trend(zone):
    for age, severity, app in [
        (0.4, "error", "xero"),
        (1.7, "warning", "xero"),
        (5.2, "error", "billing"),
        (30, "critical", "billing"),
        (24 * 10 + 0.6, "info", "jobs"),
        (24 * 40, "error", "xero"),  # before the 30-day chart
    ]:
        AppErrorFactory(message="invoice push failed", age_hours=age, severity=severity, app=app)
    AppErrorFactory(message="contact sync failed", age_hours=2)
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for params in ({"search": "invoice"}, {"search": "invoice", "range": "24h"}):
            filterset = filter_app_errors(params)
            assert filterset.is_valid()
            newest = read_newest_app_errors(filterset)
            assert newest.is_complete
            trend = count_newest_app_errors_over_time(filterset, newest)
            counted = count_app_errors_over_time(filterset)
            for key in ("bucket", "labels", "by_severity", "by_app", "total"):
                assert trend[key] == counted[key], (params, key)
            assert trend["newest"] is None


def test_search_matching_more_than_it_reads_says_so_and_charts_only_whole_hours(
    staff_client, monkeypatch
):
    monkeypatch.setattr(newest_errors, "SUMMARY_ROWS", 3)
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - datetime.timedelta(hours=26)
    at = {minutes: hours_ago(hour + datetime.timedelta(minutes=minutes)) for minutes in (10, 50)}
    AppErrorFactory(message="invoice a", age_hours=hours_ago(hour) + 30)  # older still
    AppErrorFactory(message="invoice b", age_hours=at[10])  # the newest left out
    AppErrorFactory(message="invoice c", age_hours=at[50])  # read, but its hour is partial
    resolved(AppErrorFactory(message="invoice d", age_hours=3))
    AppErrorFactory(message="invoice e", age_hours=2, severity="warning")

    part = summary_of(staff_client, {"search": "invoice"})
    assert 'data-total="5">5</strong> errors match' in part
    assert 'data-unresolved="2">2</strong> unresolved among the newest 3' in part
    assert "the newest 3 matches; older ones are not drawn" in part
    # Two bars: the errors of hours the three newest matches hold whole.
    assert 'class="charts" data-chart-source="trend-data" data-total="2"' in part

    filterset = filter_app_errors({"search": "invoice"})
    assert filterset.is_valid()
    trend = count_newest_app_errors_over_time(filterset, read_newest_app_errors(filterset))
    assert trend["bucket"] == "hour"
    assert trend["newest"]["since"] == hour + datetime.timedelta(hours=1)
    assert trend["labels"][0] == timezone.localtime(hour + datetime.timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:00"
    )
    totals = {name: sum(series) for name, series in trend["by_severity"].items()}
    assert totals == {"ERROR": 1, "WARNING": 1}
