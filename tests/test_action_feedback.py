"""After an action the page says what happened (Django messages, out of band after an htmx
swap) and the counts it shows refresh: the summary, the "Resolve all N" button, the number
of groups listed."""

import json
import re

import pytest
from django.urls import reverse

from tests.factories import AppErrorFactory
from tests.group_records import occur

pytestmark = pytest.mark.django_db(databases="__all__")

ERRORS = reverse("error_list")
GROUPS = reverse("group_list")
OOB_MESSAGES = re.compile(
    r'<div id="messages" class="messages-region" hx-swap-oob="true">(.*?)</div>', re.S
)


def htmx(**headers):
    return {"HTTP_HX_REQUEST": "true", **headers}


def oob_messages(html: str) -> str:
    match = OOB_MESSAGES.search(html)
    assert match, "no out-of-band messages region"
    return match.group(1)


def test_an_inline_resolve_says_so_out_of_band(staff_client):
    error = AppErrorFactory()
    response = staff_client.post(
        reverse("error_resolve", args=[error.pk]),
        **htmx(HTTP_HX_CURRENT_URL="http://testserver/errors/?resolved=false"),
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="error-{error.pk}"')
    assert '<li role="status" class="message-success">Resolved 1 error.</li>' in oob_messages(html)
    assert "errors-changed" in json.loads(response["HX-Trigger"])
    # Shown once: the next page does not repeat it.
    assert "Resolved 1 error." not in staff_client.get(ERRORS).content.decode()

    undone = staff_client.post(reverse("error_unresolve", args=[error.pk]), **htmx())
    assert "Unresolved 1 error." in oob_messages(undone.content.decode())


def test_a_plain_resolve_shows_its_message_on_the_page_it_returns_to(staff_client):
    error = AppErrorFactory()
    response = staff_client.post(
        reverse("error_resolve", args=[error.pk]), {"next": f"{ERRORS}?app=xero"}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"{ERRORS}?app=xero"
    assert '<div id="messages" class="messages-region">' in html
    assert "Resolved 1 error." in html


def test_bulk_resolve_reports_success_and_refusal_as_messages(staff_client):
    AppErrorFactory(app="xero")
    AppErrorFactory(app="xero")
    done = staff_client.post(
        f"{reverse('error_bulk_resolve')}?app=xero",
        {"scope": "all", "confirmed": "on"},
        **htmx(HTTP_HX_TARGET="results"),
    )
    assert "Resolved 2 errors." in oob_messages(done.content.decode())

    refused = staff_client.post(
        reverse("error_bulk_resolve"), {"scope": "selected", "confirmed": "on"}, **htmx()
    )
    assert refused.status_code == 200
    assert (
        '<li role="alert" class="message-error">Select at least one error to resolve.</li>'
        in oob_messages(refused.content.decode())
    )
    plain = staff_client.post(reverse("error_bulk_resolve"), {"scope": "all", "confirmed": "on"})
    assert plain.status_code == 400
    assert "Narrow the filter first" in plain.content.decode()


def test_the_summary_refresh_brings_the_resolve_all_count_up_to_date(staff_client):
    first = AppErrorFactory(app="xero")
    AppErrorFactory(app="xero")
    AppErrorFactory(app="xero")
    page = staff_client.get(ERRORS, {"resolved": "false"}).content.decode()
    assert ">Resolve all 3 matching</button>" in page

    staff_client.post(reverse("error_resolve", args=[first.pk]), **htmx())
    summary = staff_client.get(
        ERRORS, {"resolved": "false"}, **htmx(HTTP_HX_TARGET="summary")
    ).content.decode()
    assert '<strong id="match-count" data-total="2">2</strong>' in summary
    button = summary[summary.index('id="resolve-all"') :]
    assert button.startswith('id="resolve-all" hx-swap-oob="true"')
    assert (
        'hx-confirm="Resolve all 2 errors matching this filter?">Resolve all 2 matching' in button
    )


def test_a_group_resolve_refreshes_the_group_count_and_says_so(staff_client):
    group = occur("sync")
    occur("other")
    assert '<strong id="group-count">2</strong>' in staff_client.get(GROUPS).content.decode()

    row = staff_client.post(
        reverse("group_resolve", args=[group.pk]),
        **htmx(HTTP_HX_TARGET=f"group-{group.pk}", HTTP_HX_CURRENT_URL="http://testserver/"),
    )
    assert "groups-changed" in json.loads(row["HX-Trigger"])
    assert "Resolved: InvoiceSyncError: sync failed." in oob_messages(row.content.decode())

    summary = staff_client.get(GROUPS, **htmx(HTTP_HX_TARGET="group-summary")).content.decode()
    assert (
        '<p class="counts" id="group-counts" hx-swap-oob="true">'
        '<strong id="group-count">1</strong> group</p>' in summary
    )
    assert 'id="trend-data"' in summary


@pytest.mark.parametrize(
    ("action", "data", "said"),
    [
        ("group_mute", {"duration": "1h"}, "Muted: InvoiceSyncError: sync failed."),
        (
            "group_resolve",
            {"in_next_release": "on"},
            "Resolved in the next release: InvoiceSyncError: sync failed.",
        ),
    ],
)
def test_group_page_actions_say_what_they_did(staff_client, action, data, said):
    group = occur("sync")
    response = staff_client.post(
        reverse(action, args=[group.pk]), data, **htmx(HTTP_HX_TARGET="group-triage")
    )
    html = response.content.decode()
    assert 'id="group-triage"' in html
    assert said in oob_messages(html)


def test_a_mute_that_cannot_be_read_is_an_error_message(staff_client):
    group = occur("sync")
    response = staff_client.post(
        reverse("group_mute", args=[group.pk]),
        {"for_occurrences": "-3"},
        **htmx(HTTP_HX_TARGET="group-triage"),
    )
    assert 'class="message-error">Not muted: the mute could not be read.' in oob_messages(
        response.content.decode()
    )
    plain = staff_client.post(reverse("group_mute", args=[group.pk]), {"for_occurrences": "x"})
    assert plain.status_code == 400


def test_messages_are_escaped(staff_client):
    group = occur("<script>alert(1)</script>", message="<script>alert(1)</script>")
    response = staff_client.post(
        reverse("group_unresolve", args=[group.pk]), **htmx(HTTP_HX_TARGET="group-triage")
    )
    region = oob_messages(response.content.decode())
    assert "<script>" not in region and "&lt;script&gt;alert(1)&lt;/script&gt;" in region
