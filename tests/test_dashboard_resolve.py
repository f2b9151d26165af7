"""Resolving from the dashboard: inline, in bulk, and who may."""

import pytest
from django.urls import reverse

from errors.models import AppError
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")

LIST = reverse("error_list")


def test_inline_resolve_swaps_the_row_and_signals_the_page(staff_client, staff):
    error = AppErrorFactory()
    response = staff_client.post(
        reverse("error_resolve", args=[error.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/?app=xero",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<tr id="error-{error.pk}"')
    assert "Resolved by Alice" in html
    assert "Unresolve" in html
    assert response["HX-Trigger"] == '{"errors-changed": {}}'
    # The answer says where it goes: the error's row, replaced whole, the address kept.
    assert response["HX-Retarget"] == f"#error-{error.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    assert response["HX-Push-Url"] == "false"
    error.refresh_from_db()
    assert error.resolved and error.resolved_by_id == staff.pk and error.resolved_timestamp


def test_inline_unresolve_clears_the_resolution(staff_client, staff):
    error = AppErrorFactory()
    AppError.objects.filter(pk=error.pk).update(resolved=True, resolved_by=staff.pk)
    response = staff_client.post(
        reverse("error_unresolve", args=[error.pk]), HTTP_HX_REQUEST="true"
    )
    assert ">Resolve</button>" in response.content.decode()
    error.refresh_from_db()
    assert not error.resolved and error.resolved_by_id is None


def test_resolve_without_javascript_redirects_back(staff_client):
    error = AppErrorFactory()
    response = staff_client.post(reverse("error_resolve", args=[error.pk]), {"next": "/?app=xero"})
    assert response.status_code == 302 and response["Location"] == "/?app=xero"
    assert AppError.objects.get(pk=error.pk).resolved


def test_resolve_refuses_a_next_url_off_site(staff_client):
    error = AppErrorFactory()
    response = staff_client.post(
        reverse("error_resolve", args=[error.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("error_detail", args=[error.pk])


def test_resolve_needs_post_and_csrf(staff, client):
    error = AppErrorFactory()
    client.force_login(staff)
    assert client.get(reverse("error_resolve", args=[error.pk])).status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    assert strict.post(reverse("error_resolve", args=[error.pk])).status_code == 403
    assert not AppError.objects.get(pk=error.pk).resolved


def test_viewer_without_permission_gets_403_and_no_buttons(client, viewer):
    error = AppErrorFactory()
    client.force_login(viewer)
    html = client.get(LIST).content.decode()
    assert ">Resolve</button>" not in html
    assert "Resolve selected" not in html
    assert client.post(reverse("error_resolve", args=[error.pk])).status_code == 403
    assert client.post(reverse("error_bulk_resolve"), {"scope": "all"}).status_code == 403
    assert not AppError.objects.get(pk=error.pk).resolved


def test_resolving_a_missing_error_is_a_404(staff_client):
    missing = "00000000-0000-0000-0000-000000000000"
    assert staff_client.post(reverse("error_resolve", args=[missing])).status_code == 404


def test_bulk_resolve_selected_rows(staff_client, staff):
    first, second, untouched = (
        AppErrorFactory(message="1"),
        AppErrorFactory(message="2"),
        AppErrorFactory(message="3"),
    )
    response = staff_client.post(
        reverse("error_bulk_resolve") + "?app=xero",
        {"scope": "selected", "ids": [first.pk, second.pk], "confirmed": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Resolved 2 errors." in response.content.decode()
    assert response["HX-Trigger"] == '{"errors-changed": {}}'
    assert set(AppError.objects.filter(resolved=True).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert not AppError.objects.get(pk=untouched.pk).resolved


def test_bulk_resolve_all_matching_the_filter(staff_client):
    AppErrorFactory(app="xero")
    AppErrorFactory(app="xero")
    other = AppErrorFactory(app="billing")
    response = staff_client.post(
        reverse("error_bulk_resolve") + "?app=xero", {"scope": "all", "confirmed": "on"}
    )
    assert response.status_code == 302 and response["Location"] == "/errors/?app=xero"
    assert AppError.objects.filter(app="xero", resolved=True).count() == 2
    assert not AppError.objects.get(pk=other.pk).resolved


def test_bulk_resolve_asks_first_without_javascript(staff_client):
    error = AppErrorFactory(app="xero")
    response = staff_client.post(reverse("error_bulk_resolve") + "?app=xero", {"scope": "all"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Resolve 1 error?" in html
    assert 'name="confirmed" value="on"' in html
    assert not AppError.objects.get(pk=error.pk).resolved


@pytest.mark.parametrize(
    ("query", "data", "message"),
    [
        ("", {"scope": "all", "confirmed": "on"}, "Narrow the filter first"),
        ("", {"scope": "selected", "confirmed": "on"}, "Select at least one error"),
        ("", {"scope": "selected", "ids": ["not-a-uuid"], "confirmed": "on"}, "by their ids"),
        ("", {"scope": "everything"}, "Select a valid choice"),
        ("?severity=bogus", {"scope": "all", "confirmed": "on"}, "Fix the filter"),
    ],
)
def test_bulk_resolve_bad_input_is_refused_with_a_message(staff_client, query, data, message):
    error = AppErrorFactory()
    response = staff_client.post(reverse("error_bulk_resolve") + query, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    htmx = staff_client.post(reverse("error_bulk_resolve") + query, data, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and message in htmx.content.decode()
    assert not AppError.objects.get(pk=error.pk).resolved


def test_rows_after_a_bulk_action_return_to_the_list_not_the_action(staff_client):
    AppErrorFactory(message="1")
    AppErrorFactory(message="2")
    first = AppError.objects.first()
    response = staff_client.post(
        reverse("error_bulk_resolve") + "?app=xero",
        {"scope": "selected", "ids": [first.pk], "confirmed": "on"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert 'name="next" value="/errors/?app=xero"' in html
    assert 'name="next" value="/errors/bulk-resolve/' not in html
