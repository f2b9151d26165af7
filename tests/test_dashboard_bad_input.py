"""Every bad value in the list's URL is a form error on a 200 page, never a 500; and every
piece of user-controlled text is escaped."""

import pytest
from django.urls import reverse

from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")

LIST = reverse("error_list")
PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"job_id": "not-a-uuid"}, "job_id"),
        ({"user_id": "42"}, "user_id"),
        ({"severity": "catastrophic"}, "severity"),
        ({"severity__gte": "-1"}, "severity__gte"),
        ({"severity__lte": "x"}, "severity__lte"),
        ({"timestamp__gte": "yesterday"}, "timestamp__gte"),
        ({"timestamp__lte": "2026-13-45"}, "timestamp__lte"),
        ({"resolved": "maybe"}, "resolved"),
        ({"range": "forever"}, "range"),
        ({"ordering": "message"}, "ordering"),
        ({"ordering": "-password"}, "ordering"),
        ({"per_page": "1000000"}, "per_page"),
        ({"page": "-3"}, "page"),
        ({"page": "two"}, "page"),
    ],
)
def test_bad_values_are_form_errors_on_a_200_page(staff_client, params, field):
    AppErrorFactory()
    for headers in ({}, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "dashboard-body"}):
        response = staff_client.get(LIST, params, **headers)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="filter-errors"' in html
        assert f"<code>{field}</code>" in html


def test_a_bad_filter_lists_nothing_rather_than_ignoring_it(staff_client):
    AppErrorFactory()
    html = staff_client.get(LIST, {"job_id": "nope"}).content.decode()
    assert '<tr id="error-' not in html
    assert "Nothing is listed until the filter errors above are fixed." in html


def test_a_bad_page_size_falls_back_but_still_lists(staff_client):
    AppErrorFactory()
    html = staff_client.get(LIST, {"per_page": "7"}).content.decode()
    assert '<tr id="error-' in html


def test_sql_looking_values_are_just_values(staff_client):
    AppErrorFactory(app="xero")
    response = staff_client.get(LIST, {"app": "xero' OR '1'='1", "search": "'; DROP TABLE x; --"})
    assert response.status_code == 200
    assert '<tr id="error-' not in response.content.decode()


def test_unknown_error_id_is_a_404(staff_client):
    assert staff_client.get("/errors/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert staff_client.get("/errors/not-a-uuid/").status_code == 404


def hostile_error():
    return AppErrorFactory(
        message=PAYLOAD, app=PAYLOAD, function=PAYLOAD, context={"note": PAYLOAD, PAYLOAD: "key"}
    )


def test_hostile_text_is_escaped_in_the_list_and_charts(staff_client):
    hostile_error()
    html = staff_client.get(LIST).content.decode()
    assert PAYLOAD not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # Chart labels travel in json_script, where < is escaped as \u003C.
    assert "\\u003Cimg src=x onerror=alert(1)\\u003E" in html
    html = staff_client.get(LIST, {"search": "onerror"}).content.decode()
    assert PAYLOAD not in html


def test_hostile_text_is_escaped_on_the_detail_page(staff_client):
    error = hostile_error()
    html = staff_client.get(reverse("error_detail", args=[error.pk])).content.decode()
    assert PAYLOAD not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"timestamp__gte": "0001-01-01T00:00:00+05:00"}, "timestamp__gte"),
        ({"timestamp__lte": "9999-12-31T23:59:59-05:00"}, "timestamp__lte"),
    ],
)
def test_dates_no_database_can_hold_are_form_errors(staff_client, params, field):
    AppErrorFactory()
    response = staff_client.get(LIST, params)
    assert response.status_code == 200
    assert f"<code>{field}</code>" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"timestamp__gte": "1900-01-01T00:00:00Z"},
        {"timestamp__lte": "9999-12-31T23:59:59Z"},
        {"timestamp__gte": "9999-12-31T00:00:00Z"},
    ],
)
def test_extreme_but_valid_dates_list_without_error(staff_client, params):
    AppErrorFactory()
    response = staff_client.get(LIST, params)
    assert response.status_code == 200
    assert 'id="filter-errors"' not in response.content.decode()
