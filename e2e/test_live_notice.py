"""The live notice in Chromium: errors stored while a list is open are announced at the next
poll (the page's timers fast-forwarded by Playwright's clock, not waited for), "show" brings
them in, and a hidden tab does not poll."""

import re

import pytest
from playwright.sync_api import expect

from dashboard.live_notice import LIVE_POLL_SECONDS
from e2e.test_dashboard_triage import settled_swap, sign_in
from errors.services import persist_app_error
from tests.factories import AppErrorFactory
from tests.group_records import occur

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

POLL = f"00:{LIVE_POLL_SECONDS + 1:02d}"  # just past one poll interval
NEWS = re.compile(r"/news/\?")


class PayoutFailed(Exception):
    pass


def record(message: str, *, app: str) -> None:
    try:
        raise PayoutFailed(message)
    except PayoutFailed as exc:
        persist_app_error(exc, app=app)


def open_list(page, live_server, staff_member, path: str) -> None:
    sign_in(page.context, live_server, staff_member)
    page.clock.install()
    page.goto(f"{live_server.url}{path}")


def polled(page) -> None:
    """Fast-forward past one poll and return once its answer is swapped in."""
    with page.expect_response(NEWS):
        page.clock.fast_forward(POLL)
    page.wait_for_function("() => !document.querySelector('#live-notice.htmx-request')")


def test_new_matching_errors_are_announced_and_show_brings_them_in(page, live_server, staff_member):
    AppErrorFactory(message="Payout to bank declined", app="payments", age_hours=2)
    open_list(page, live_server, staff_member, "/errors/?app=payments")
    notice = page.locator("#live-notice")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    top = page.locator("#results").bounding_box()["y"]

    polled(page)
    expect(notice).to_be_empty()  # nothing new yet
    expect(notice).to_be_hidden()

    record("Payout 1 to bank declined", app="payments")
    record("Payout 2 to bank declined", app="payments")
    record("Newsletter bounced", app="mail")  # another app: not this list's news
    polled(page)

    expect(notice).to_have_text("2 new since you opened this page — show")
    expect(notice).to_be_visible()
    assert page.locator("#results").bounding_box()["y"] == top  # nothing moved
    expect(rows).to_have_count(1)

    settled_swap(page, lambda: notice.get_by_role("link", name="show").click())

    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Payout")
    expect(page).to_have_url(re.compile(r"/errors/\?app=payments$"))
    expect(page.locator("#live-notice")).to_be_empty()  # a fresh page counts from now


def test_a_group_with_new_occurrences_is_announced_on_the_group_list(
    page, live_server, staff_member
):
    occur("xero-sync")
    open_list(page, live_server, staff_member, "/")
    expect(page.locator("#group-results tbody tr[id^=group-]")).to_have_count(1)

    occur("billing-run", app="billing")
    polled(page)

    notice = page.locator("#live-notice")
    expect(notice).to_have_text("1 new since you opened this page — show")
    settled_swap(page, lambda: notice.get_by_role("link", name="show").click())
    expect(page.locator("#group-results tbody tr[id^=group-]")).to_have_count(2)


def test_a_hidden_tab_does_not_poll_and_polls_again_when_shown(page, live_server, staff_member):
    open_list(page, live_server, staff_member, "/errors/")
    page.evaluate(
        """() => {
            window.livePolls = 0;
            document.body.addEventListener("htmx:beforeRequest", (event) => {
                if (event.detail.elt.id === "live-notice") window.livePolls += 1;
            });
            window.tabState = "hidden";
            Object.defineProperty(document, "visibilityState", {
                configurable: true, get: () => window.tabState,
            });
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    record("Payout declined while nobody looked", app="payments")

    for _ in range(4):
        page.clock.fast_forward(POLL)
    assert page.evaluate("window.livePolls") == 0

    with page.expect_response(NEWS):
        page.evaluate(
            """() => {
                window.tabState = "visible";
                document.dispatchEvent(new Event("visibilitychange"));
            }"""
        )
    expect(page.locator("#live-notice")).to_have_text("1 new since you opened this page — show")
