"""Dark mode: the dashboard follows the system's colour scheme, and the top bar's toggle
overrides it for this browser, remembered across pages and reloads and applied before the
page is first painted; the charts draw in the theme's colours."""

import pytest
from playwright.sync_api import expect

from e2e.test_dashboard_triage import sign_in
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

# What <html> says about its theme at the moment <body> is created: a theme applied later
# (a deferred script, a script at the end of the page) would be painted light first.
RECORD_THEME_AT_BODY = """
    new MutationObserver((changes, observer) => {
        if (!document.body) return;
        window.themeAtBody = {
            theme: document.documentElement.dataset.theme || null,
            background: getComputedStyle(document.documentElement).backgroundColor,
        };
        observer.disconnect();
    }).observe(document, { childList: true, subtree: true });
"""


def luminance(page, selector: str = "body", prop: str = "backgroundColor") -> float:
    """The relative luminance (0 black .. 1 white) of a computed colour on the page."""
    return page.evaluate(
        """([selector, prop]) => {
            const probe = document.createElement("canvas").getContext("2d");
            probe.fillStyle = getComputedStyle(document.querySelector(selector))[prop];
            probe.fillRect(0, 0, 1, 1);
            const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
            const linear = (c) => (c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
            return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
        }""",
        [selector, prop],
    )


@pytest.fixture
def signed_in(page, live_server, staff_member):
    AppErrorFactory(message="Xero contact sync failed", app="xero", age_hours=2)
    AppErrorFactory(message="Billing run aborted", app="billing", severity="critical")
    sign_in(page.context, live_server, staff_member)
    return page


def test_the_theme_follows_the_systems_colour_scheme(signed_in, live_server):
    page = signed_in
    toggle = page.get_by_role("button", name="Dark theme")
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live_server.url}/errors/")
    assert luminance(page) < 0.05
    assert luminance(page, "body", "color") > 0.6
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.documentElement.dataset.theme") is None  # nothing chosen

    page.emulate_media(color_scheme="light")  # the system changes while the page is open
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert luminance(page) > 0.8


def test_the_toggle_is_remembered_and_applied_before_the_first_paint(signed_in, live_server):
    page = signed_in
    page.emulate_media(color_scheme="light")
    page.add_init_script(RECORD_THEME_AT_BODY)
    page.goto(f"{live_server.url}/errors/")
    toggle = page.get_by_role("button", name="Dark theme")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    light_axis = page.evaluate("Chart.defaults.color")
    edge = "Chart.getChart(document.getElementById('chart-severity')).data.datasets[0].borderColor"
    light_edge = page.evaluate(edge)

    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert luminance(page) < 0.05
    # The charts were redrawn with the dark theme's axis colour, light on dark.
    assert page.evaluate("Chart.defaults.color") != light_axis
    assert page.evaluate(edge) != light_edge  # bars outlined so dark ones show on dark
    assert page.evaluate("Chart.getChart(document.getElementById('chart-app')) !== undefined")
    assert luminance(page, ".chart-box", "color") > 0.35

    page.reload()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.themeAtBody.theme") == "dark"
    assert luminance(page) < 0.05

    page.goto(f"{live_server.url}/")  # another page of the dashboard
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")

    page.emulate_media(color_scheme="dark")  # a choice of light wins over a dark system too
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    page.reload()
    assert page.evaluate("window.themeAtBody.theme") == "light"
    assert luminance(page) > 0.8


def test_the_toggle_works_from_the_keyboard(signed_in, live_server):
    page = signed_in
    page.emulate_media(color_scheme="light")
    page.goto(f"{live_server.url}/errors/")
    toggle = page.get_by_role("button", name="Dark theme")
    for _ in range(10):
        page.keyboard.press("Tab")
        if toggle.evaluate("(button) => button === document.activeElement"):
            break
    expect(toggle).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
