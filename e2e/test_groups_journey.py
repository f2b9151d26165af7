"""A staff member triages error groups in Chromium: many occurrences are one row with their
count, the group page resolves inline, and a new occurrence shows the group regressed."""

import pytest
from playwright.sync_api import expect

from e2e.test_dashboard_triage import sign_in
from errors.models import ErrorGroup
from tests.group_records import occur

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

ROWS = "#group-results tbody tr[id^=group-]"


def test_many_occurrences_are_one_group_resolved_inline_then_regressed(
    page, live_server, staff_member
):
    group = occur("xero-sync", times=12, message="Invoice for job 4711 not synced")
    sign_in(page.context, live_server, staff_member)

    page.goto(f"{live_server.url}/")
    expect(page.locator(ROWS)).to_have_count(1)
    row = page.locator(f"#group-{group.pk}")
    expect(row.locator(".col-count")).to_have_text("12")
    expect(row.locator("svg.sparkline")).to_be_visible()

    row.get_by_role("link", name="InvoiceSyncError: Invoice for job 4711 not synced").click()
    expect(page).to_have_url(f"{live_server.url}/groups/{group.pk}/")
    expect(page.locator("#group-count")).to_have_text("12")
    page.evaluate("window.stillThisPage = true")

    triage = page.locator("#group-triage")
    triage.get_by_role("button", name="Resolve", exact=True).click()
    expect(triage.locator(".badge.state-resolved")).to_have_text("Resolved")
    expect(triage.locator("#activity")).to_contain_text("Resolved by Erin")
    assert page.evaluate("window.stillThisPage") is True  # swapped in place, no page load
    assert ErrorGroup.objects.get(pk=group.pk).resolved

    occur("xero-sync", message="Invoice for job 4712 not synced")
    page.reload()
    expect(page.locator("#group-count")).to_have_text("13")
    expect(page.locator("#group-triage .badge.state-regressed")).to_have_text("Regressed")
    expect(page.locator("#activity li").first).to_contain_text("Regressed")

    page.goto(f"{live_server.url}/")
    expect(page.locator(f"#group-{group.pk} .badge.state-regressed")).to_be_visible()


def test_resolve_from_the_list_swaps_only_the_row(page, live_server, staff_member):
    first = occur("first")
    second = occur("second")
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/?status=all")
    page.evaluate("window.stillThisPage = true")

    page.locator(f"#group-{first.pk}").get_by_role("button", name="Resolve").click()

    expect(page.locator(f"#group-{first.pk} .badge.state-resolved")).to_be_visible()
    expect(
        page.locator(f"#group-{second.pk}").get_by_role("button", name="Resolve")
    ).to_be_visible()
    assert page.evaluate("window.stillThisPage") is True
    assert page.url == f"{live_server.url}/?status=all"
