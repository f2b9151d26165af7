"""Keyboard shortcuts on the lists and the group page, in Chromium: every shortcut, that none
fires while typing in a field, Escape, and the help dialog."""

import re

import pytest
from playwright.sync_api import expect

from e2e.test_dashboard_triage import settled_swap, sign_in
from errors.models import AppError, ErrorGroup
from tests.factories import AppErrorFactory
from tests.group_records import occur

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

ERROR_ROWS = "#results tbody tr"
GROUP_ROWS = "#group-results tbody tr[id^=group-]"
SELECTED = "tr[aria-current=true]"


def three_errors() -> list[AppError]:
    """Three errors, newest first as the list shows them."""
    return [
        AppErrorFactory(message=f"Xero contact sync failed #{n}", app="xero", age_hours=n + 1)
        for n in range(3)
    ]


def selected_id(page) -> str:
    expect(page.locator(SELECTED)).to_have_count(1)
    return page.locator(SELECTED).get_attribute("id")


def shortcuts_ready(page):
    """The help button, which the shortcuts' script reveals once it listens: a key pressed
    before a new page's deferred script has run would do nothing."""
    return page.get_by_role("button", name="Keyboard shortcuts")


@pytest.fixture
def errors_page(page, live_server, staff_member):
    errors = three_errors()
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/")
    expect(page.locator(ERROR_ROWS)).to_have_count(3)
    return page, errors


def test_j_and_k_move_a_visible_announced_selection_and_enter_opens_it(errors_page, live_server):
    page, errors = errors_page
    expect(page.locator(SELECTED)).to_have_count(0)

    page.keyboard.press("j")
    assert selected_id(page) == f"error-{errors[0].pk}"
    expect(page.locator(f"#error-{errors[0].pk}")).to_have_class(re.compile("is-key-selected"))
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")  # stays on the last row
    assert selected_id(page) == f"error-{errors[2].pk}"
    page.keyboard.press("k")
    assert selected_id(page) == f"error-{errors[1].pk}"

    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/errors/{errors[1].pk}/")


def test_slash_focuses_search_and_no_shortcut_fires_while_typing_until_escape(errors_page):
    page, errors = errors_page
    search = page.locator("#filters input[name=search]")

    page.keyboard.press("/")
    expect(search).to_be_focused()
    page.keyboard.type("jkx?r")
    expect(search).to_have_value("jkx?r")  # typed, not taken as shortcuts
    expect(page.locator(SELECTED)).to_have_count(0)
    expect(page.locator("#keyboard-help")).not_to_be_visible()
    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")  # leave the filter as it was: no change to apply

    page.keyboard.press("Escape")
    expect(search).not_to_be_focused()
    page.keyboard.press("j")
    assert selected_id(page) == f"error-{errors[0].pk}"

    page.keyboard.press("/")
    page.keyboard.type("#1")
    settled_swap(page, lambda: page.keyboard.press("Escape"))  # left as typed, so applied
    expect(search).not_to_be_focused()
    expect(search).to_have_value("#1")
    expect(page).to_have_url(re.compile(r"[?&]search=%231"))
    expect(page.locator(ERROR_ROWS)).to_have_count(1)
    assert selected_id(page) == f"error-{errors[1].pk}"  # the row now at the selected place

    page.locator("select[name=per_page]").focus()
    page.keyboard.press("k")  # a select is a field too: the selection stays
    page.keyboard.press("?")
    expect(page.locator("#keyboard-help")).not_to_be_visible()
    assert selected_id(page) == f"error-{errors[1].pk}"


def test_r_resolves_and_unresolves_the_selected_row_through_its_button(errors_page):
    page, errors = errors_page
    page.evaluate("window.stillThisPage = true")
    page.keyboard.press("j")
    page.keyboard.press("j")
    row = page.locator(f"#error-{errors[1].pk}")

    settled_swap(page, lambda: page.keyboard.press("r"))

    expect(row.get_by_role("button", name="Unresolve")).to_be_visible()
    expect(page.locator("#unresolved-count")).to_have_text("2")
    assert AppError.objects.get(pk=errors[1].pk).resolved
    assert selected_id(page) == f"error-{errors[1].pk}"  # kept after the swap

    settled_swap(page, lambda: page.keyboard.press("r"))
    expect(row.get_by_role("button", name="Resolve")).to_be_visible()
    expect(page.locator("#unresolved-count")).to_have_text("3")
    assert not AppError.objects.get(pk=errors[1].pk).resolved
    assert page.evaluate("window.stillThisPage") is True


def test_x_ticks_the_selected_row_for_the_bulk_resolve(errors_page):
    page, errors = errors_page
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("x")  # and unticks it

    boxes = page.locator(f"{ERROR_ROWS} input[name=ids]")
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).not_to_be_checked()
    expect(boxes.nth(2)).not_to_be_checked()

    page.once("dialog", lambda dialog: dialog.accept())
    settled_swap(page, lambda: page.get_by_role("button", name="Resolve selected").click())
    expect(page.locator("#messages")).to_have_text("Resolved 1 error.")
    assert list(AppError.objects.filter(resolved=True).values_list("pk", flat=True)) == [
        errors[0].pk
    ]


def test_g_g_and_g_e_switch_lists_keeping_the_filters(page, live_server, staff_member):
    three_errors()
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/?app=xero&resolved=false")

    page.keyboard.press("g")
    page.keyboard.press("g")
    expect(page).to_have_url(re.compile(r"^[^?]+/\?app=xero$"))  # unresolved: the default
    expect(page.locator("#group-body")).to_be_visible()
    expect(shortcuts_ready(page)).to_be_visible()

    page.keyboard.press("g")
    page.keyboard.press("e")
    expect(page).to_have_url(re.compile(r"/errors/\?app=xero&resolved=false$"))
    expect(shortcuts_ready(page)).to_be_visible()

    page.keyboard.press("e")  # without g first, nothing
    page.keyboard.press("g")
    page.keyboard.press("x")  # g then another key: no switch, the prefix is spent
    page.keyboard.press("e")
    expect(page).to_have_url(re.compile(r"/errors/\?app=xero&resolved=false$"))


def test_question_mark_opens_the_help_which_keeps_focus_and_escape_closes(errors_page):
    page, _ = errors_page
    dialog = page.locator("#keyboard-help")
    expect(dialog).not_to_be_visible()

    page.keyboard.press("?")

    expect(dialog).to_be_visible()
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    for key in ("/", "j", "Enter", "r", "x", "g", "?", "Esc"):
        expect(
            dialog.locator("kbd", has_text=re.compile(f"^{re.escape(key)}$")).first
        ).to_be_visible()
    close = dialog.get_by_role("button", name="Close")
    expect(close).to_be_focused()
    page.keyboard.press("Tab")
    expect(close).to_be_focused()  # focus stays in the dialog
    page.keyboard.press("Shift+Tab")
    expect(close).to_be_focused()
    page.keyboard.press("j")  # shortcuts wait while the help is open
    expect(page.locator(SELECTED)).to_have_count(0)

    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()

    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()
    close.click()
    expect(dialog).not_to_be_visible()


def test_shortcuts_keep_working_after_htmx_swaps_the_table(errors_page):
    page, errors = errors_page
    page.keyboard.press("j")

    time_header = page.locator("#results thead").get_by_role("link", name="Time")
    settled_swap(page, time_header.click)  # newest first: the order it was
    settled_swap(page, time_header.click)  # oldest first

    expect(page.locator(f"{ERROR_ROWS}").first).to_have_id(f"error-{errors[2].pk}")
    assert selected_id(page) == f"error-{errors[0].pk}"  # the same row, now the last
    page.keyboard.press("k")
    assert selected_id(page) == f"error-{errors[1].pk}"


def test_group_list_shortcuts_resolve_and_tick_groups(page, live_server, staff_member):
    first, second = occur("first-sync"), occur("second-sync")
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/?status=all")
    expect(page.locator(GROUP_ROWS)).to_have_count(2)

    page.keyboard.press("j")
    assert selected_id(page) == f"group-{second.pk}"
    settled_swap(page, lambda: page.keyboard.press("r"))
    expect(page.locator(f"#group-{second.pk} .badge.state-resolved")).to_be_visible()
    assert ErrorGroup.objects.get(pk=second.pk).resolved

    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator(f"#group-{first.pk} input[name=ids]")).to_be_checked()
    resolve_selected = page.get_by_role("button", name="Resolve selected", exact=True)
    settled_swap(page, resolve_selected.click)
    expect(page.locator("#messages")).to_have_text("Resolved 1 group.")
    assert ErrorGroup.objects.get(pk=first.pk).resolved

    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/groups/\d+/$"))


def test_the_group_page_moves_through_its_occurrences(page, live_server, staff_member):
    group = occur("xero-sync", times=2)
    newest = AppError.objects.filter(group_id=group.pk).order_by("-timestamp", "-id").first()
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/groups/{group.pk}/")

    page.keyboard.press("j")
    expect(page.locator("#occurrences tr[aria-current=true]")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/errors/{newest.pk}/")

    page.go_back()
    page.keyboard.press("g")
    page.keyboard.press("e")
    expect(page).to_have_url(f"{live_server.url}/errors/?group={group.pk}")
