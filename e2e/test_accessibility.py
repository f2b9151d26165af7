"""Accessibility of every dashboard page: axe-core (injected from node_modules) finds no
serious or critical violation in the light theme, the dark theme the system asks for, and the
dark theme picked with the toggle; every control is reached by Tab and works from the keyboard,
the copy button beside an id included."""

import pytest
from playwright.sync_api import expect

from e2e.layout_pages import (
    JOB_ID,
    open_bulk_confirmation,
    serious_axe_violations,
)
from e2e.test_dashboard_triage import sign_in
from errors.models import AppError

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def pick_theme(page, live_server, theme: str) -> None:
    """``light`` or ``dark`` as the system's scheme, or ``toggled dark``: a light system with
    dark picked on the toggle (remembered for the rest of the test)."""
    page.emulate_media(color_scheme="dark" if theme == "dark" else "light")
    if theme == "toggled dark":
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_role("button", name="Dark theme").click()
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")


@pytest.mark.parametrize("theme", ["light", "dark", "toggled dark"])
def test_no_serious_axe_violation_on_any_page(
    page, browser, live_server, staff_member, scenario, theme
):
    signed_out = browser.new_page()
    pick_theme(signed_out, live_server, theme)
    signed_out.goto(f"{live_server.url}/accounts/login/")
    found = {"login": serious_axe_violations(signed_out)}
    signed_out.close()

    sign_in(page.context, live_server, staff_member)
    pick_theme(page, live_server, theme)
    for name, path in scenario.paths().items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        found[name] = serious_axe_violations(page)
    open_bulk_confirmation(page, live_server.url)
    found["bulk confirmation"] = serious_axe_violations(page)
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_every_control_is_reached_by_tab(page, live_server, staff_member, scenario):
    """Tabbing through each page focuses every link, button and field it shows, in turn."""
    sign_in(page.context, live_server, staff_member)
    page.set_viewport_size({"width": 1440, "height": 900})
    missed = {}
    for name, path in scenario.paths().items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        count = page.evaluate(
            """() => {
                const controls = Array.from(document.querySelectorAll(
                    "a[href], button, input:not([type=hidden]), select, textarea"
                )).filter((control) => control.getClientRects().length && !control.disabled);
                controls.forEach((control, index) => { control.dataset.tabProbe = index; });
                window.tabbed = new Set();
                document.addEventListener("focusin", (event) => {
                    const probe = event.target.dataset.tabProbe;
                    if (probe) window.tabbed.add(probe);
                });
                return controls.length;
            }"""
        )
        # A date and time field takes a Tab per part (day, month, year, hour, ...), so one
        # press per control may not reach the end: press on while each round reaches more.
        reached = 0
        while True:
            for _ in range(count + 2):
                page.keyboard.press("Tab")
            now_reached = page.evaluate("() => window.tabbed.size")
            if now_reached in (reached, count):
                break
            reached = now_reached
        unreached = page.evaluate(
            """() => Array.from(document.querySelectorAll("[data-tab-probe]"))
                .filter((control) => !window.tabbed.has(control.dataset.tabProbe))
                .map((control) => control.outerHTML.slice(0, 120))"""
        )
        if unreached:
            missed[name] = unreached
    assert missed == {}


def test_resolve_and_copy_an_id_from_the_keyboard(page, live_server, staff_member, scenario):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/?resolved=false")
    row = page.locator(f"#error-{scenario.error.pk}")
    copy = row.locator('td[data-label="Job"]').get_by_role("button", name=f"Copy job {JOB_ID}")
    expect(row.locator('td[data-label="Job"] .id-value')).to_have_attribute("title", str(JOB_ID))

    copy.focus()
    page.keyboard.press("Enter")
    expect(copy).to_have_text("Copied")
    expect(page.locator("#copy-status")).to_have_text(f"Copied: {JOB_ID}")
    assert page.evaluate("navigator.clipboard.readText()") == str(JOB_ID)

    resolve = row.get_by_role("button", name="Resolve", exact=True)
    resolve.focus()
    page.keyboard.press("Enter")
    expect(row.get_by_role("button", name="Unresolve")).to_be_visible()
    assert AppError.objects.get(pk=scenario.error.pk).resolved
