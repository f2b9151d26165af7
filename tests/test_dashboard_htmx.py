"""htmx: the same URLs answer with the fragment a swap targets, never with a redirect."""

import re

import pytest
from django.urls import reverse

from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")

LIST = reverse("error_list")
ROW_ID = re.compile(r'<tr id="error-([0-9a-f-]{36})"')


def htmx_get(client, target: str, params=None, **headers):
    return client.get(LIST, params or {}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target, **headers)


def test_full_page_has_every_region_and_htmx_wiring(staff_client):
    AppErrorFactory()
    html = staff_client.get(LIST).content.decode()
    assert "<html" in html
    for region in ('id="dashboard-body"', 'id="listing"', 'id="summary"', 'id="results"'):
        assert region in html
    assert 'hx-push-url="true"' in html
    assert 'hx-trigger="errors-changed from:body"' in html
    assert 'id="trend-data"' in html
    assert "dashboard/vendor/chart.js-4.6.1/chart.umd.min.js" in html


@pytest.mark.parametrize(
    ("target", "present", "absent"),
    [
        ("results", 'id="results"', 'id="summary"'),
        ("summary", 'id="summary"', 'id="results"'),
        ("listing", 'id="summary"', 'id="filters"'),
        ("dashboard-body", 'id="filters"', "<html"),
    ],
)
def test_htmx_requests_get_only_their_partial(staff_client, target, present, absent):
    AppErrorFactory()
    response = htmx_get(staff_client, target)
    html = response.content.decode()
    assert response.status_code == 200
    assert present in html
    assert absent not in html
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_history_restore_gets_the_full_page(staff_client):
    AppErrorFactory()
    response = htmx_get(staff_client, "results", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_partial_and_full_page_show_the_same_rows(staff_client):
    AppErrorFactory(message="a", app="xero")
    AppErrorFactory(message="b", app="billing")
    params = {"app": "xero", "ordering": "severity"}
    full = ROW_ID.findall(staff_client.get(LIST, params).content.decode())
    part = ROW_ID.findall(htmx_get(staff_client, "results", params).content.decode())
    assert full == part
    assert len(full) == 1


def test_summary_counts_follow_the_filter(staff_client):
    AppErrorFactory(app="xero")
    AppErrorFactory(app="xero")
    AppErrorFactory(app="billing")
    html = htmx_get(staff_client, "summary", {"app": "xero"}).content.decode()
    assert 'data-total="2"' in html
    assert 'data-unresolved="2"' in html


def test_logged_out_htmx_request_is_redirected_with_a_header_not_a_302(client):
    response = client.get(LIST, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("login") + "?next=")
