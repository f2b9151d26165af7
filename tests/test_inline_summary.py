"""The summaries a list asks for once loaded (the group list's charts, a search's unresolved
count and charts), in the page for readers without JavaScript: the same numbers as the
chart selectors', offered by a link only a page without JavaScript shows, and nothing of
it computed for the page with JavaScript."""

import html
import re

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboard.charts import build_trend_charts, chart_rows
from errors.group_selectors import count_groups_over_time, filter_error_groups, group_trend_window
from errors.models import AppError
from errors.newest_errors import count_newest_app_errors_over_time, read_newest_app_errors
from errors.routers import errors_alias
from errors.selectors import count_app_errors_over_time, filter_app_errors
from tests.factories import AppErrorFactory
from tests.group_records import occur

pytestmark = pytest.mark.django_db(databases="__all__")

GROUPS = reverse("group_list")
ERRORS = reverse("error_list")
CHART_TABLE = re.compile(r'<table class="chart-table">.*?</table>', re.S)
ROW = re.compile(r'<tr><th scope="row">([^<]*)</th>((?:<td>[\d,]+</td>)+)</tr>')


def page(client, url: str, params: dict) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def tables_of(page_html: str) -> list[list[tuple[str, list[int]]]]:
    """Each chart table's rows: the bucket's title and its counts, the total last."""
    return [
        [
            (html.unescape(title), [int(n.replace(",", "")) for n in re.findall(r"[\d,]+", cells)])
            for title, cells in ROW.findall(table)
        ]
        for table in CHART_TABLE.findall(page_html)
    ]


def tables_from(charts: dict) -> list[list[tuple[str, list[int]]]]:
    """The rows ``{% chart_table %}`` draws from the chart selector's answer."""
    return [
        [
            (row["title"], [*row["counts"], row["total"]])
            for row in chart_rows(charts[series], charts["titles"])
        ]
        for series in ("by_severity", "by_app")
    ]


def seed_groups() -> None:
    occur("xero-sync", times=3, severity="error")
    occur("xero-token", times=2, severity="critical")
    occur("billing-run", app="billing", severity="warning")


def seed_search() -> None:
    AppErrorFactory(message="invoice push failed", app="xero", age_hours=1)
    AppErrorFactory(message="invoice sync failed", app="billing", severity="warning", age_hours=5)
    old = AppErrorFactory(message="invoice sync failed", app="xero", age_hours=30)
    AppError.objects.filter(pk=old.pk).update(resolved=True)
    AppErrorFactory(message="contact sync failed", app="xero", age_hours=2)


def test_the_group_list_offers_its_charts_numbers_without_javascript(staff_client):
    seed_groups()
    with CaptureQueriesContext(connections[errors_alias()]) as captured:
        deferred = page(staff_client, GROUPS, {"app": "xero"})

    assert 'hx-trigger="load, groups-changed from:body"' in deferred
    assert (
        '<noscript><a href="/?app=xero&amp;summary=inline">Show the charts as tables</a></noscript>'
        in deferred
    )
    assert 'id="trend-data"' not in deferred and not CHART_TABLE.search(deferred)
    charted = 'SUM("errors_errorgroup_hourly"."count")'  # the sparklines read it row by row
    assert not [q for q in captured.captured_queries if charted in q["sql"]]
    assert 'name="summary"' not in deferred  # the filter form keeps nothing of it

    with CaptureQueriesContext(connections[errors_alias()]) as captured:
        inline = page(staff_client, GROUPS, {"app": "xero", "summary": "inline"})
    assert [q for q in captured.captured_queries if charted in q["sql"]]

    filterset = filter_error_groups({"app": "xero", "status": "unresolved"})
    assert filterset.is_valid()
    charts = build_trend_charts(count_groups_over_time(filterset.qs, group_trend_window(filterset)))
    assert tables_of(inline) == tables_from(charts)
    assert sum(total for _, (*_, total) in tables_of(inline)[0]) == 5  # xero's five
    assert 'hx-trigger="groups-changed from:body"' in inline  # nothing left to ask for
    assert "Show the charts as tables" not in inline
    assert '<noscript><input type="hidden" name="summary" value="inline"></noscript>' in inline


def test_a_search_offers_its_unresolved_count_and_charts_without_javascript(staff_client):
    seed_search()
    deferred = page(staff_client, ERRORS, {"search": "invoice"})

    assert 'id="unresolved-count"' not in deferred and not CHART_TABLE.search(deferred)
    assert (
        '<noscript>· <a href="/errors/?search=invoice&amp;summary=inline">'
        "show the unresolved count and the charts</a></noscript>" in deferred
    )
    assert 'name="summary"' not in deferred

    inline = page(staff_client, ERRORS, {"search": "invoice", "summary": "inline"})

    filterset = filter_app_errors({"search": "invoice"})
    assert filterset.is_valid()
    newest = read_newest_app_errors(filterset)
    assert 'data-total="3">3</strong> errors match' in inline
    assert f'data-unresolved="{newest.unresolved}">2</strong> unresolved' in inline
    charts = build_trend_charts(count_newest_app_errors_over_time(filterset, newest))
    assert tables_of(inline) == tables_from(charts)
    # Every match was read: the same numbers as the chart of all of them.
    assert tables_of(inline) == tables_from(
        build_trend_charts(count_app_errors_over_time(filterset))
    )
    assert 'hx-trigger="errors-changed from:body"' in inline
    assert "show the unresolved count" not in inline
    assert '<noscript><input type="hidden" name="summary" value="inline"></noscript>' in inline


def test_a_plain_submit_keeps_the_summary_in_the_page_on_its_clean_url(staff_client):
    """The form without JavaScript sends every field, empty ones too: the clean URL it is
    redirected to keeps the ask for the summary."""
    response = staff_client.get(
        ERRORS, {"search": "invoice", "app": "", "per_page": "50", "summary": "inline"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{ERRORS}?search=invoice&summary=inline"


def test_any_other_value_leaves_the_summary_deferred(staff_client):
    seed_search()
    html_page = page(staff_client, ERRORS, {"search": "invoice", "summary": "yes"})
    assert 'id="unresolved-count"' not in html_page
    assert 'name="summary"' not in html_page
