"""The filter bar in Chromium: date-time pickers, quick ranges, filters that apply on change,
shared URLs that carry only the filters in use (with and without JavaScript), dates read as
dates, every count right after a resolve, messages after htmx actions, and the charts'
numbers as a table without JavaScript."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from e2e.test_dashboard_triage import (
    ROWS,
    apply_without_javascript,
    newest_critical_bar,
    opened_by_a_colleague,
    seed_triage_mix,
    settled_swap,
    sign_in,
    signed_in_page,
)
from tests.factories import AppErrorFactory
from tests.group_records import occur

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

GROUP_ROWS = "#group-results tbody tr[id^=group-]"
CHART_TOTAL = (
    "id => { const c = Chart.getChart(document.getElementById(id)); return c ? "
    "c.data.datasets.reduce((n, s) => n + s.data.reduce((a, b) => a + b, 0), 0) : -1; }"
)


def query_of(url: str) -> str:
    return url.split("?", 1)[1] if "?" in url else ""


def test_a_date_picker_narrows_the_list_at_once_and_its_chip_reads_as_a_date(
    page, live_server, staff_member
):
    AppErrorFactory(message="recent", age_hours=2)
    AppErrorFactory(message="last week", age_hours=24 * 7)
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/")
    expect(page.locator(ROWS)).to_have_count(2)

    picker = page.locator("input[name=timestamp__gte]")
    expect(picker).to_have_attribute("type", "datetime-local")
    since = timezone.localtime() - datetime.timedelta(days=1)
    settled_swap(page, lambda: picker.fill(f"{since:%Y-%m-%dT%H:%M}"))

    expect(page).to_have_url(re.compile(rf"timestamp__gte={since:%Y-%m-%dT%H}%3A{since:%M}$"))
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS).first).to_contain_text("recent")
    chip = page.locator(".chips time")
    expect(chip).to_have_text(f"{since.day} {since:%b} {since:%H:%M}")
    expect(chip).to_have_attribute("title", re.compile(rf"{since.year} {since:%H:%M}:00 UTC"))
    expect(page.locator("input[name=timestamp__gte]")).to_have_value(f"{since:%Y-%m-%dT%H:%M}")


def test_a_quick_range_is_a_shareable_relative_link(page, browser, live_server, staff_member):
    AppErrorFactory(message="just now", age_hours=0.2)
    AppErrorFactory(message="this morning", age_hours=5)
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/")

    settled_swap(page, lambda: page.get_by_role("link", name="Last hour").click())
    expect(page).to_have_url(f"{live_server.url}/errors/?range=1h")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.get_by_role("link", name="Last hour")).to_have_attribute("aria-current", "true")
    expect(page.locator("select[name=range]")).to_have_value("1h")

    with opened_by_a_colleague(browser, live_server, staff_member, page.url) as other:
        expect(other.locator(ROWS)).to_have_count(1)
        expect(other.locator(ROWS).first).to_contain_text("just now")


def test_every_filter_applies_on_change_and_the_url_keeps_only_what_is_in_use(
    page, live_server, staff_member
):
    seed_triage_mix()
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/")

    settled_swap(page, lambda: page.select_option("select[name=per_page]", "100"))
    expect(page).to_have_url(f"{live_server.url}/errors/?per_page=100")
    settled_swap(page, lambda: page.select_option("select[name=resolved]", "false"))
    expect(page).to_have_url(f"{live_server.url}/errors/?resolved=false&per_page=100")
    settled_swap(page, lambda: page.select_option("select[name=per_page]", "50"))
    expect(page).to_have_url(f"{live_server.url}/errors/?resolved=false")  # 50 is the default
    settled_swap(page, lambda: page.select_option("select[name=resolved]", ""))
    expect(page).to_have_url(f"{live_server.url}/errors/")
    expect(page.locator(ROWS)).to_have_count(10)

    occur("sync", app="xero")
    page.goto(f"{live_server.url}/")
    expect(page.locator("select[name=app] option")).to_have_text(
        ["Any app", "billing", "reports", "xero"]
    )
    settled_swap(page, lambda: page.select_option("select[name=status]", "all"))
    expect(page).to_have_url(f"{live_server.url}/?status=all")
    settled_swap(page, lambda: page.select_option("select[name=app]", "xero"))
    expect(page).to_have_url(f"{live_server.url}/?status=all&app=xero")
    settled_swap(page, lambda: page.select_option("select[name=status]", "unresolved"))
    expect(page).to_have_url(f"{live_server.url}/?app=xero")  # unresolved is the default


@pytest.mark.parametrize(
    ("path", "rows", "app_cells", "count"),
    [
        ("/errors/", ROWS, "td[data-label=App]", 9),
        # Xero's groups: the contact sync (its numbers normalised away), the expired token,
        # the rate limit and "sync"; billing's and reports' are gone.
        ("/", GROUP_ROWS, ".col-app", 4),
    ],
    ids=["occurrence list", "group list"],
)
def test_without_javascript_apply_lands_on_the_clean_url(
    browser, live_server, staff_member, path, rows, app_cells, count
):
    seed_triage_mix()
    occur("sync", app="xero")
    with signed_in_page(browser, live_server, staff_member, java_script_enabled=False) as page:
        apply_without_javascript(page, f"{live_server.url}{path}", app="xero")
        expect(page.locator(rows)).to_have_count(count)
        expect(page.locator(f"{rows} {app_cells}")).to_have_text(["xero"] * count)


def test_a_resolve_brings_every_count_on_the_page_up_to_date(page, live_server, staff_member):
    first = AppErrorFactory(message="first", app="xero", age_hours=1)
    AppErrorFactory(message="second", app="xero", age_hours=2)
    AppErrorFactory(message="third", app="xero", age_hours=3)
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/?resolved=false")
    page.evaluate("window.stillThisPage = true")
    expect(page.locator("#match-count")).to_have_text("3")
    expect(page.locator("#unresolved-count")).to_have_text("3")
    expect(page.locator("#resolve-all")).to_have_text("Resolve all 3 matching")
    page.wait_for_function(f"() => ({CHART_TOTAL})('chart-severity') === 3")

    page.locator(f"#error-{first.pk}").get_by_role("button", name="Resolve").click()

    expect(page.locator("#messages")).to_have_text("Resolved 1 error.")
    expect(page.locator("#match-count")).to_have_text("2")
    expect(page.locator("#unresolved-count")).to_have_text("2")
    expect(page.locator("#resolve-all")).to_have_text("Resolve all 2 matching")
    expect(page.locator("#resolve-all")).to_have_attribute(
        "hx-confirm", "Resolve all 2 errors matching this filter?"
    )
    page.wait_for_function(f"() => ({CHART_TOTAL})('chart-severity') === 2")
    page.wait_for_function(f"() => ({CHART_TOTAL})('chart-app') === 2")
    assert page.evaluate("window.stillThisPage") is True


def test_a_search_counts_after_its_results_and_a_resolve_brings_the_counts_up_to_date(
    page, live_server, staff_member
):
    first = AppErrorFactory(message="invoice push failed", app="xero", age_hours=1)
    AppErrorFactory(message="invoice sync failed", app="xero", age_hours=2)
    AppErrorFactory(message="contact sync failed", app="xero", age_hours=3)
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/?search=invoice")
    page.evaluate("window.stillThisPage = true")
    expect(page.locator(ROWS)).to_have_count(2)
    expect(page.locator("#match-count")).to_have_text("2")
    # Asked for once the page has loaded: the unresolved count and the charts.
    expect(page.locator("#unresolved-count")).to_have_text("2")
    page.wait_for_function(f"() => ({CHART_TOTAL})('chart-severity') === 2")

    page.locator(f"#error-{first.pk}").get_by_role("button", name="Resolve").click()

    expect(page.locator("#messages")).to_have_text("Resolved 1 error.")
    expect(page.locator("#unresolved-count")).to_have_text("1")
    expect(page.locator("#match-count")).to_have_text("2")
    page.wait_for_function(f"() => ({CHART_TOTAL})('chart-app') === 2")
    assert page.evaluate("window.stillThisPage") is True


def test_a_group_resolve_updates_the_count_and_says_so(page, live_server, staff_member):
    group = occur("first", times=2)
    occur("second")
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/")
    page.evaluate("window.stillThisPage = true")
    expect(page.locator("#group-count")).to_have_text("2")
    page.wait_for_function(f"() => ({CHART_TOTAL})('chart-severity') === 3")

    page.locator(f"#group-{group.pk}").get_by_role("button", name="Resolve").click()

    expect(page.locator("#messages")).to_have_text("Resolved: InvoiceSyncError: first failed.")
    expect(page.locator("#group-count")).to_have_text("1")
    page.wait_for_function(f"() => ({CHART_TOTAL})('chart-severity') === 1")
    assert page.evaluate("window.stillThisPage") is True

    page.goto(f"{live_server.url}/groups/{group.pk}/")
    page.locator("#group-triage").get_by_role("button", name="Unresolve").click()
    expect(page.locator("#messages")).to_have_text("Unresolved: InvoiceSyncError: first failed.")
    page.locator("input[name=for_occurrences]").fill("0")
    page.locator("input[name=for_occurrences]").evaluate("input => input.removeAttribute('min')")
    page.get_by_role("button", name="Mute").last.click()
    expect(page.locator("#messages .message-error")).to_have_text(
        "Not muted: the mute could not be read."
    )


def test_a_chart_bar_narrows_to_its_hour_with_dates_read_as_dates(page, live_server, staff_member):
    seed_triage_mix()
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/?range=24h")
    expect(page.locator("#chart-severity")).to_be_visible()
    labels = page.evaluate("() => Chart.getChart(document.getElementById('chart-app')).data.labels")
    assert labels and not any("T" in label for label in labels)
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d\d:00", labels[-1])

    bar = newest_critical_bar(page)
    page.locator("#chart-severity").click(position=bar)
    expect(page).to_have_url(re.compile(r"timestamp__lte="))
    chips = page.locator(".chips")
    expect(chips.locator("time")).to_have_count(2)
    expect(chips).not_to_contain_text(re.compile(r"\d{4}-\d\d-\d\dT"))
    expect(chips.locator("time").last).to_have_text(re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d\d:59$"))
    # The pickers show the bar's hour, so changing another filter keeps it.
    expect(page.locator("input[name=timestamp__gte]")).to_have_value(re.compile(r"T\d\d:00$"))
    expect(page.locator(ROWS)).to_have_count(1)
    settled_swap(page, lambda: page.select_option("select[name=app]", "xero"))
    expect(page).to_have_url(re.compile(r"timestamp__lte="))
    expect(page.locator(ROWS)).to_have_count(1)


def test_without_javascript_the_charts_are_tables_of_the_same_numbers(
    browser, page, live_server, staff_member
):
    seed_triage_mix()
    with signed_in_page(browser, live_server, staff_member, java_script_enabled=False) as plain:
        plain.goto(f"{live_server.url}/errors/")
        table = plain.locator("table.chart-table").first
        expect(table).to_be_visible()
        expect(plain.locator(".chart-box").first).to_be_hidden()
        expect(table.locator("caption")).to_have_text("Errors by severity")
        assert chart_table_total(table) == 10

    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/")
    expect(page.locator(".charts figure").first).to_have_class(re.compile(r"\bis-drawn\b"))
    expect(page.locator(".chart-box").first).to_be_visible()
    box = page.locator(".chart-table-wrap").first.evaluate(
        "t => { const r = t.getBoundingClientRect(); return [r.width, r.height]; }"
    )
    assert box == [1, 1]  # kept for screen readers, out of sight


def chart_table_total(table) -> int:
    return sum(int(total) for total in table.locator("tbody tr td:last-child").all_text_contents())


def test_without_javascript_a_link_brings_the_summaries_the_page_would_ask_for(
    browser, live_server, staff_member
):
    seed_triage_mix()
    occur("sync", app="xero")
    with signed_in_page(browser, live_server, staff_member, java_script_enabled=False) as page:
        page.goto(f"{live_server.url}/")
        expect(page.locator("table.chart-table")).to_have_count(0)
        page.get_by_role("link", name="Show the charts as tables").click()
        expect(page).to_have_url(f"{live_server.url}/?summary=inline")
        table = page.locator("table.chart-table").first
        expect(table.locator("caption")).to_have_text("Occurrences by severity")
        expect(page.locator(".chart-box").first).to_be_hidden()
        # Every error of the mix is in an open group, "sync" too.
        assert chart_table_total(table) == 11
        # A plain Apply keeps them in the page.
        page.select_option("select[name=app]", "billing")
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(f"{live_server.url}/?app=billing&summary=inline")
        expect(page.locator(GROUP_ROWS)).to_have_count(1)
        assert chart_table_total(page.locator("table.chart-table").first) == 1

        page.goto(f"{live_server.url}/errors/?search=xero")
        expect(page.locator(ROWS)).to_have_count(8)
        expect(page.locator("#unresolved-count")).to_have_count(0)
        page.get_by_role("link", name="show the unresolved count and the charts").click()
        expect(page).to_have_url(f"{live_server.url}/errors/?search=xero&summary=inline")
        expect(page.locator("#match-count")).to_have_text("8")
        expect(page.locator("#unresolved-count")).to_have_text("8")
        assert chart_table_total(page.locator("table.chart-table").first) == 8


def test_with_javascript_a_filter_change_leaves_the_inline_summary_out_of_the_url(
    page, live_server, staff_member
):
    seed_triage_mix()
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/?summary=inline")  # a link made without JavaScript
    page.wait_for_function(f"() => ({CHART_TOTAL})('chart-severity') === 10")
    expect(page.get_by_role("link", name="Show the charts as tables")).to_have_count(0)

    settled_swap(page, lambda: page.select_option("select[name=app]", "xero"))

    expect(page).to_have_url(f"{live_server.url}/?app=xero")
    page.wait_for_function(f"() => ({CHART_TOTAL})('chart-severity') === 8")
