"""The dashboard on small and large phones, a tablet, a laptop and a wide screen: no page
scrolls sideways, every link, button and field is within reach, both lists show every column
at 1440 px, and on a phone each row is a card of labelled facts whose actions work."""

import pytest
from playwright.sync_api import expect

from e2e.layout_pages import (
    JOB_ID,
    WIDTHS,
    controls_out_of_reach,
    horizontal_overflow,
    open_bulk_confirmation,
)
from e2e.test_dashboard_triage import sign_in
from errors.models import AppError

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_no_page_scrolls_sideways_and_every_control_is_in_reach(
    page, browser, live_server, staff_member, scenario
):
    sign_in(page.context, live_server, staff_member)
    signed_out = browser.new_page()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        signed_out.set_viewport_size({"width": width, "height": 900})
        visits = [
            (name, page, lambda p=path: page.goto(live_server.url + p))
            for name, path in scenario.paths().items()
        ]
        visits.append(
            ("bulk confirmation", page, lambda: open_bulk_confirmation(page, live_server.url))
        )
        visits.append(
            ("login", signed_out, lambda: signed_out.goto(f"{live_server.url}/accounts/login/"))
        )
        for name, tab, visit in visits:
            visit()
            tab.wait_for_load_state("networkidle")
            assert horizontal_overflow(tab) <= 0, f"{name} scrolls sideways at {width} px"
            assert controls_out_of_reach(tab) == [], f"{name} at {width} px"
    signed_out.close()


@pytest.mark.parametrize("path", ["/errors/", "/?status=all"])
def test_every_column_of_both_lists_is_visible_at_1440(
    page, live_server, staff_member, scenario, path
):
    sign_in(page.context, live_server, staff_member)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(live_server.url + path)
    table = page.locator("table.errors").first
    expect(table.locator("tbody tr").first).to_be_visible()
    columns = table.evaluate(
        """(table) => {
            const frame = table.closest(".table-wrap").getBoundingClientRect();
            return Array.from(table.tHead.rows[0].cells).map((cell) => {
                const box = cell.getBoundingClientRect();
                const shown = box.width > 0 && box.right <= frame.right + 1;
                return { name: cell.className, shown };
            });
        }"""
    )
    assert len(columns) >= 9
    assert [column for column in columns if not column["shown"]] == []
    assert table.evaluate(
        "(table) => table.scrollWidth <= table.closest('.table-wrap').clientWidth"
    )
    status = table.locator("tbody tr").first.locator("td").last
    expect(status.get_by_role("button").first).to_be_in_viewport()


def test_on_a_phone_rows_are_labelled_cards_and_resolve_inline(
    page, live_server, staff_member, scenario
):
    sign_in(page.context, live_server, staff_member)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/errors/?resolved=false")
    row = page.locator(f"#error-{scenario.error.pk}")
    cell = row.locator('td[data-label="App"]')
    assert cell.evaluate("(cell) => getComputedStyle(cell).display") != "table-cell"
    assert cell.evaluate("(cell) => getComputedStyle(cell, '::before').content") == '"App"'
    # A badge speaks for itself: its cell carries no label.
    badge = row.locator("td:has(> .badge)")
    assert badge.evaluate("(cell) => getComputedStyle(cell, '::before').content") == "none"
    assert row.evaluate("(row) => row.getBoundingClientRect().width <= innerWidth")
    job = row.locator('td[data-label="Job"] .id-value')
    expect(job).to_have_text(str(JOB_ID))  # whole, not cut
    expect(page.locator("table.errors thead").get_by_role("link", name="Time")).to_be_visible()

    before = int(page.locator("#unresolved-count").get_attribute("data-unresolved"))
    row.get_by_role("button", name="Resolve", exact=True).click()
    expect(row.locator(".resolved-by")).to_contain_text("Resolved by Erin")
    unresolve = row.get_by_role("button", name="Unresolve")
    expect(unresolve).to_be_in_viewport()
    expect(page.locator("#unresolved-count")).to_have_attribute("data-unresolved", str(before - 1))
    assert AppError.objects.get(pk=scenario.error.pk).resolved

    unresolve.click()
    expect(row.get_by_role("button", name="Resolve", exact=True)).to_be_visible()
    assert not AppError.objects.get(pk=scenario.error.pk).resolved


def test_the_unresolve_button_reads_as_a_button_apart_from_its_text(
    page, live_server, staff_member, scenario
):
    sign_in(page.context, live_server, staff_member)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/errors/?resolved=true")
    status = page.locator("#results tbody tr td:has(> .status)").first
    button = status.get_by_role("button", name="Unresolve")
    look = button.evaluate(
        """(button) => {
            const style = getComputedStyle(button);
            const status = button.closest(".status");
            const text = status.querySelector(".resolved-by").getBoundingClientRect();
            const box = button.getBoundingClientRect();
            const apart = box.left - text.right >= 4 || box.top - text.bottom >= 2;
            return { border: style.borderTopWidth, apart, colour: style.color };
        }"""
    )
    assert look["border"] != "0px" and look["apart"], look
    # The text colour is the page's text colour, not a pale tint.
    assert look["colour"] == status.evaluate("(cell) => getComputedStyle(document.body).color")
