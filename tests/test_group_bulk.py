"""Resolving and unresolving the ticked groups of the list at /, with htmx (the results
swapped, the charts told) and without JavaScript (a form post and a message)."""

import pytest
from django.urls import reverse

from errors.models import AppError, ErrorGroup
from tests.group_records import occur

pytestmark = pytest.mark.django_db(databases="__all__")

BULK = reverse("group_bulk")


def test_the_list_offers_a_checkbox_per_group_and_the_bulk_form(staff_client):
    group = occur("xero-sync")

    html = staff_client.get(reverse("group_list"), {"app": "xero"}).content.decode()

    assert f'<input type="checkbox" name="ids" value="{group.pk}" form="group-bulk-form"' in html
    form = '<form id="group-bulk-form" class="bulk" method="post" action="/groups/bulk/?app=xero"'
    assert form in html


def test_staff_who_may_not_resolve_get_no_bulk_form_and_cannot_post(client, viewer):
    group = occur("xero-sync")
    client.force_login(viewer)

    assert 'id="group-bulk-form"' not in client.get(reverse("group_list")).content.decode()
    assert client.post(BULK, {"ids": [group.pk], "change": "resolve"}).status_code == 403
    group.refresh_from_db()
    assert not group.resolved


def test_htmx_resolves_the_ticked_groups_and_swaps_the_results(staff_client):
    ticked = [occur("xero-sync", times=2), occur("billing-run", app="billing")]
    untouched = occur("mail-out", app="mail")

    response = staff_client.post(
        BULK + "?app__icontains=i",
        {"ids": [group.pk for group in ticked], "change": "resolve"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="group-results",
    )

    html = response.content.decode()
    assert response.status_code == 200 and "groups-changed" in response["HX-Trigger"]
    assert html.lstrip().startswith('<section id="group-results"')
    assert "Resolved 2 groups." in html
    assert f'id="group-{untouched.pk}"' in html  # still open, still listed (mail has an i)
    assert not any(f'id="group-{group.pk}"' in html for group in ticked)
    assert set(ErrorGroup.objects.filter(resolved=True).values_list("pk", flat=True)) == {
        group.pk for group in ticked
    }
    assert not AppError.objects.filter(group_id__in=[g.pk for g in ticked], resolved=False).exists()


def test_without_javascript_unresolve_posts_and_returns_to_the_list_with_a_message(
    staff_client, staff
):
    from errors.group_services import resolve_error_group

    group = occur("xero-sync", times=2)
    resolve_error_group(group=group, by=staff)

    response = staff_client.post(
        BULK + "?status=resolved", {"ids": [group.pk], "change": "unresolve"}, follow=True
    )

    assert response.redirect_chain == [("/?status=resolved", 302)]
    assert "Unresolved 1 group." in response.content.decode()
    group.refresh_from_db()
    assert not group.resolved
    assert AppError.objects.filter(group_id=group.pk, resolved=False).count() == 2


@pytest.mark.parametrize(
    "data",
    [
        {"change": "resolve"},
        {"ids": ["seven"], "change": "resolve"},
        {"ids": ["99999999999999999999999"], "change": "resolve"},
        {"ids": ["1"], "change": "explode"},
    ],
)
def test_a_bad_selection_is_refused_with_a_message_never_a_500(staff_client, data):
    plain = staff_client.post(BULK, data, follow=True)
    swapped = staff_client.post(
        BULK, data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="group-results"
    ).content.decode()

    assert plain.redirect_chain == [("/", 302)]
    assert '<ul class="messages">' in plain.content.decode()
    # htmx swaps the results and, out of band, the messages region with the refusal.
    assert 'id="group-results"' in swapped
    assert '<li role="alert" class="message-error">' in swapped
    assert not ErrorGroup.objects.filter(resolved=True).exists()
