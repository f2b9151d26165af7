"""Dates at the edges of what Python and the databases can hold, in every date parameter of
every page and endpoint that takes one: an answer the user can act on (the page with a form
error, or a 4xx naming the field), never a 500.

Python's datetime spans years 1 to 9999; PostgreSQL's timestamptz goes further, SQLite keeps
text. An offset can push a date Python can parse past those edges once it is read in UTC or
in the site's time zone: ``0001-01-01T00:00:00+05:00`` is in year 0 in UTC.
"""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")

# Dates every database holds and the charts can reach a year back from.
HOLDABLE = [
    "1900-01-01T00:00:00Z",
    "1900-01-01T00:00:00-05:00",
    "1970-01-01",
    "9999-12-31",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999999+00:00",
    "9999-12-31T23:59:59+05:00",
]
# Years Python holds but the filters refuse (before 1900), dates an offset pushes out of
# Python's range once read in UTC, and text that is no date.
OUT_OF_RANGE = [
    "0001-01-01",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "0001-01-01T00:00:00+14:00",
    "0500-01-01",
    "0999-12-31",
    "1899-12-31T23:59:59.999999Z",
    "1900-01-01T00:00:00+00:01",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59.999999-00:01",
    "0000-01-01",
    "0000-12-31T23:59:59Z",
    "10000-01-01",
    "-0001-01-01",
    "9999-12-32",
]
DATE_PARAMETERS = ["timestamp__gte", "timestamp__lte"]
LIST = reverse("error_list")
BULK_RESOLVE = reverse("error_bulk_resolve")
API_LIST = "/api/app-errors/"


def edge_queries(value: str) -> list[dict[str, str]]:
    """The value in each date parameter, and in both at once (a window of no width)."""
    return [*({name: value} for name in DATE_PARAMETERS), dict.fromkeys(DATE_PARAMETERS, value)]


def form_error_names(response) -> list[str]:
    html = response.content.decode()
    return [name for name in DATE_PARAMETERS if f"<code>{name}</code>" in html]


def dashboard_answers(client, query: dict[str, str]) -> list:
    """The list page, its htmx partial (table and charts), and the bulk resolve of
    everything the filter matches, asked first and then confirmed."""
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "dashboard-body"}
    bulk_url = f"{BULK_RESOLVE}?{urlencode(query)}"
    return [
        client.get(LIST, query),
        client.get(LIST, query, **htmx),
        client.post(bulk_url, {"scope": "all"}),
        client.post(bulk_url, {"scope": "all", "confirmed": "on"}),
    ]


def api_answers(client, query: dict[str, str]) -> list:
    """The API's list, its trends, and its bulk resolve of everything the filter matches."""
    return [
        client.get(API_LIST, query),
        client.get(f"{API_LIST}trends/", query),
        client.post(
            f"{API_LIST}bulk_resolve/?{urlencode(query)}", {}, content_type="application/json"
        ),
    ]


@pytest.mark.parametrize("value", HOLDABLE)
def test_dates_every_database_holds_are_answered_on_every_page(staff_client, value):
    AppErrorFactory()
    for query in edge_queries(value):
        for response in dashboard_answers(staff_client, query):
            assert response.status_code in (200, 302), (query, response.status_code)
            assert form_error_names(response) == [], query
        for response in api_answers(staff_client, query):
            assert response.status_code in (200, 400), (query, response.status_code)
            if response.status_code == 400:  # a trend wider than a year, not a bad date
                assert "at most" in str(response.json()), (query, response.json())


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_dates_past_the_edges_are_form_errors_and_400s(staff_client, value):
    AppErrorFactory()
    for query in edge_queries(value):
        page, partial, ask, confirm = dashboard_answers(staff_client, query)
        for response in (page, partial):
            assert response.status_code == 200, query
            assert form_error_names(response) == list(query), query
        for response in (ask, confirm):
            assert response.status_code == 400, query
            assert "Fix the filter" in response.content.decode()
        for response in api_answers(staff_client, query):
            assert response.status_code == 400, (query, response.status_code)
            assert set(response.json()) == set(query), response.json()


@pytest.mark.parametrize("time_zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
@pytest.mark.parametrize("value", ["1900-01-01", "1900-01-01T00:00:00Z", "9999-12-31"])
def test_dates_at_the_edges_in_a_site_time_zone_far_from_utc(
    staff_client, settings, time_zone, value
):
    """A date-only value is midnight in the site's time zone, which can be the day before
    in UTC; chart buckets are labelled in local time."""
    settings.TIME_ZONE = time_zone
    AppErrorFactory()
    for query in edge_queries(value):
        for response in dashboard_answers(staff_client, query):
            assert response.status_code in (200, 302, 400), (query, response.status_code)
        for response in api_answers(staff_client, query):
            assert response.status_code in (200, 400), (query, response.status_code)
