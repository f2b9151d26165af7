"""A staff member triages errors on the dashboard in Chromium: filters, shares the URL, sorts,
pages, resolves inline and in bulk, stores spooled errors, reads the charts; hostile text
stays text."""

import contextlib
import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.test import Client
from playwright.sync_api import expect

from e2e.conftest import log_in
from errors.models import AppError
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

ROOT = Path(__file__).resolve().parent.parent
ROWS = "#results tbody tr"


def sign_in(context, live_server, user) -> None:
    """Give a browser context the session of a signed-in user (the login form itself is
    exercised once, in the first journey)."""
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def settled_swap(page, action) -> None:
    """Do ``action`` (which makes htmx swap the dashboard) and return once htmx has settled
    the new content. htmx pushes the new URL before it swaps, and gives the new elements
    their triggers only when it settles: a select changed in between changes nothing. The
    swaps a page makes on its own (the charts it asks for once loaded, the live notice's
    poll) are not the action's and are let pass."""
    page.evaluate(
        """() => {
            window.dashboardSettled = false;
            const own = ["summary", "group-summary", "live-notice"];
            const settled = (event) => {
                const target = event.detail && event.detail.target;
                if (target && own.includes(target.id)) return;
                window.dashboardSettled = true;
                document.body.removeEventListener("htmx:afterSettle", settled);
            };
            document.body.addEventListener("htmx:afterSettle", settled);
        }"""
    )
    action()
    page.wait_for_function("() => window.dashboardSettled === true")


@contextlib.contextmanager
def signed_in_page(browser, live_server, staff_member, **options):
    """A page of a browser context of its own (``options`` as ``browser.new_context`` takes
    them, ``java_script_enabled=False`` for a browser without JavaScript), signed in."""
    context = browser.new_context(**options)
    try:
        sign_in(context, live_server, staff_member)
        yield context.new_page()
    finally:
        context.close()


@contextlib.contextmanager
def opened_by_a_colleague(browser, live_server, staff_member, url: str):
    """``url`` opened in a browser context of its own (another person's session), as a
    pasted link is."""
    with signed_in_page(browser, live_server, staff_member) as other:
        other.goto(url)
        yield other


def apply_without_javascript(page, list_url: str, **fields: str) -> None:
    """Choose ``fields`` in the filter bar of the list at ``list_url`` and press Apply, as a
    browser without JavaScript does (a plain GET of the whole form); wait for the list at
    its clean URL, which carries only the chosen fields."""
    page.goto(list_url)
    for name, value in fields.items():
        page.select_option(f"select[name={name}]", value)
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{list_url}?{urlencode(fields)}")


def row_ids(page) -> list[str]:
    return page.locator(ROWS).evaluate_all("rows => rows.map(row => row.id)")


def seed_triage_mix() -> None:
    for hour in range(6):
        AppErrorFactory(message=f"Xero contact sync failed #{hour}", app="xero", age_hours=hour + 1)
    AppErrorFactory(message="Xero token expired", app="xero", severity="critical", age_hours=2)
    AppErrorFactory(message="Xero rate limited", app="xero", severity="warning", age_hours=3)
    AppErrorFactory(message="Billing run aborted", app="billing", severity="critical", age_hours=4)
    AppErrorFactory(message="Report timed out", app="reports", severity="error", age_hours=30)


def test_filter_then_share_the_url_with_a_colleague(page, browser, live_server, staff_member):
    seed_triage_mix()
    log_in(page, live_server, "erin", "erin-password", next_path="/errors/")
    expect(page.locator("#results")).to_be_visible()
    expect(page.locator(ROWS)).to_have_count(10)

    settled_swap(page, lambda: page.select_option("select[name=app]", "xero"))
    expect(page).to_have_url(re.compile(r"[?&]app=xero"))
    page.select_option("select[name=severity__gte]", "40")
    expect(page).to_have_url(re.compile(r"[?&]severity__gte=40"))
    expect(page.locator(ROWS)).to_have_count(7)
    expect(page.locator("#match-count")).to_have_attribute("data-total", "7")
    assert "search=" not in page.url  # empty fields stay out of the shared link
    filtered = row_ids(page)

    page.screenshot(path=str(ROOT / "test-results" / "dashboard-list.png"), full_page=True)

    page.reload()
    expect(page.locator(ROWS)).to_have_count(7)
    assert row_ids(page) == filtered
    expect(page.locator("select[name=app]")).to_have_value("xero")

    with opened_by_a_colleague(browser, live_server, staff_member, page.url) as other:
        expect(other.locator(ROWS)).to_have_count(7)
        assert row_ids(other) == filtered

    page.go_back()
    expect(page).not_to_have_url(re.compile(r"severity__gte"))
    expect(page.locator(ROWS)).to_have_count(8)


def test_sort_and_page(page, live_server, staff_member):
    for hour in range(30):
        severity = "warning" if hour % 3 else "critical"
        AppErrorFactory(message=f"failure {hour}", severity=severity, age_hours=hour + 1)
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/?per_page=25")
    expect(page.locator(ROWS)).to_have_count(25)

    page.get_by_role("link", name="Severity").click()
    expect(page).to_have_url(re.compile(r"ordering=-severity"))
    expect(page.locator(f"{ROWS} td:has(> .badge)").first).to_have_text("Critical")
    page.get_by_role("link", name="Severity").click()
    expect(page).to_have_url(re.compile(r"ordering=severity"))
    expect(page.locator(f"{ROWS} td:has(> .badge)").first).to_have_text("Warning")

    page.get_by_role("link", name=re.compile(r"^Older")).click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator(ROWS)).to_have_count(5)
    expect(page.locator(".pager")).to_contain_text("Page 2 of 2")
    expect(page.locator(f"{ROWS} td:has(> .badge)").last).to_have_text("Critical")


def test_a_rows_filter_link_narrows_in_place_and_its_message_opens_the_error(
    page, live_server, staff_member
):
    seed_triage_mix()
    billing = AppError.objects.get(app="billing")
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/")
    page.evaluate("window.stillThisPage = true")

    link = page.locator(f"#error-{billing.pk}").get_by_role("link", name="billing", exact=True)
    settled_swap(page, link.click)
    expect(page).to_have_url(re.compile(r"/errors/\?app=billing$"))
    assert row_ids(page) == [f"error-{billing.pk}"]
    expect(page.locator("#filters select[name=app]")).to_have_value("billing")
    assert page.evaluate("window.stillThisPage") is True  # swapped by htmx, not reloaded

    page.locator(f"#error-{billing.pk}").get_by_role("link", name="Billing run aborted").click()
    expect(page).to_have_url(f"{live_server.url}/errors/{billing.pk}/")
    expect(page.locator("h1")).to_contain_text("Billing run aborted")
    assert page.evaluate("window.stillThisPage") is None  # a page of its own, not a swap


def test_resolve_and_unresolve_inline_without_a_page_load(page, live_server, staff_member):
    first = AppErrorFactory(message="first failure", age_hours=1)
    AppErrorFactory(message="second failure", age_hours=2)
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/")
    page.evaluate("window.stillThisPage = true")
    expect(page.locator("#unresolved-count")).to_have_text("2")

    row = page.locator(f"#error-{first.pk}")
    row.get_by_role("button", name="Resolve").click()
    expect(row).to_contain_text("Resolved by Erin")
    expect(page.locator("#unresolved-count")).to_have_text("1")  # HX-Trigger refreshed it
    assert page.evaluate("window.stillThisPage") is True
    first.refresh_from_db()
    assert first.resolved and first.resolved_by_id == staff_member.pk

    row.get_by_role("button", name="Unresolve").click()
    expect(row.get_by_role("button", name="Resolve")).to_be_visible()
    expect(page.locator("#unresolved-count")).to_have_text("2")
    assert page.evaluate("window.stillThisPage") is True
    first.refresh_from_db()
    assert not first.resolved and first.resolved_by_id is None


def test_errors_spooled_during_an_outage_are_stored_from_the_banner(
    page, live_server, staff_member, isolated_error_spool, settings
):
    from errors.spool import append_to_spool

    # The button, not the replay after a write, is what this journey is about.
    settings.APP_ERRORS = {**settings.APP_ERRORS, "SPOOL_AUTO_REPLAY_SECONDS": None}
    AppErrorFactory(message="stored at the time", age_hours=1)
    append_to_spool(AppError(message="spooled while the database was away", data={}))
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/")
    page.evaluate("window.stillThisPage = true")
    expect(page.locator("#unresolved-count")).to_have_text("1")
    banner = page.locator("#spool-banner")
    expect(banner).to_contain_text("1 error could not be written to the database")

    banner.get_by_role("button", name="Store it now").click()
    expect(banner).to_contain_text("Stored 1 error(s); 0 were already stored; 0 line(s) kept.")
    expect(banner).not_to_contain_text("waiting in the spool")
    expect(page.locator("#unresolved-count")).to_have_text("2")  # HX-Trigger refreshed it
    assert page.evaluate("window.stillThisPage") is True
    assert AppError.objects.filter(message="spooled while the database was away").exists()


def test_bulk_resolve_selected_and_all_matching(page, live_server, staff_member):
    picked = [AppErrorFactory(message=f"picked {n}", app="xero", age_hours=n + 1) for n in range(2)]
    AppErrorFactory(message="left alone", app="xero", age_hours=5)
    billing = [
        AppErrorFactory(message=f"billing {n}", app="billing", age_hours=n + 1) for n in range(3)
    ]
    AppErrorFactory(message="elsewhere", app="reports", age_hours=1)
    sign_in(page.context, live_server, staff_member)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))

    page.goto(f"{live_server.url}/errors/?app=xero")
    for error in picked:
        page.locator(f"#error-{error.pk} input[name=ids]").check()
    page.get_by_role("button", name="Resolve selected").click()
    expect(page.locator("#messages")).to_have_text("Resolved 2 errors.")
    assert dialogs == ["Resolve the selected errors?"]
    assert set(AppError.objects.filter(resolved=True).values_list("pk", flat=True)) == {
        error.pk for error in picked
    }

    page.goto(f"{live_server.url}/errors/?app=billing")
    page.get_by_role("button", name=re.compile(r"Resolve all 3 matching")).click()
    expect(page.locator("#messages")).to_have_text("Resolved 3 errors.")
    assert dialogs[-1] == "Resolve all 3 errors matching this filter?"
    assert AppError.objects.filter(pk__in=[e.pk for e in billing], resolved=True).count() == 3
    assert AppError.objects.filter(resolved=False).count() == 2


def chart_data(page) -> dict:
    return json.loads(page.locator("#trend-data").text_content())


def test_charts_show_the_totals_of_the_current_filter(page, live_server, staff_member):
    seed_triage_mix()
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/")
    expect(page.locator("#chart-severity")).to_be_visible()
    assert chart_data(page)["total"] == 10
    drawn = (
        "id => { const c = Chart.getChart(document.getElementById(id)); return c ? "
        "c.data.datasets.reduce((n, s) => n + s.data.reduce((a, b) => a + b, 0), 0) : -1; }"
    )
    assert page.evaluate(drawn, "chart-severity") == 10
    assert page.evaluate(drawn, "chart-app") == 10

    page.select_option("select[name=app]", "xero")
    expect(page.locator(".charts")).to_have_attribute("data-total", "8")
    assert chart_data(page)["total"] == 8
    # Redrawn after the swap, from the new data.
    page.wait_for_function(f"() => ({drawn})('chart-app') === 8")
    labels = page.evaluate(
        "() => Chart.getChart(document.getElementById('chart-app')).data.datasets.map(s => s.label)"
    )
    assert labels == ["xero"]


def test_hostile_text_renders_as_text_and_runs_nothing(page, live_server, staff_member):
    payload = "<img src=x onerror=alert(1)>"
    error = AppErrorFactory(
        message=payload, app=payload, function=payload, context={"note": payload}
    )
    sign_in(page.context, live_server, staff_member)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"{live_server.url}/errors/")
    expect(page.locator(f"#error-{error.pk} .col-message")).to_have_text(payload)
    expect(page.locator(f'#error-{error.pk} td[data-label="App"]')).to_have_text(payload)
    assert page.locator("#results img").count() == 0
    page.locator(f"#error-{error.pk} .col-message a").click()
    expect(page.locator("h1.message")).to_have_text(payload)
    expect(page.locator("pre.context")).to_contain_text(payload)
    assert page.locator("article img").count() == 0
    assert dialogs == []


def test_non_staff_are_refused(page, live_server, django_user_model):
    django_user_model.objects.create_user("nick", password="nick-password")
    AppErrorFactory()
    page.goto(f"{live_server.url}/errors/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/"))
    log_in(page, live_server, "nick", "nick-password")
    expect(page.locator("body")).to_contain_text("Forbidden")
    assert page.locator(ROWS).count() == 0


def test_everything_works_with_javascript_off(browser, live_server, staff_member):
    error = AppErrorFactory(message="no script here", app="xero")
    AppErrorFactory(message="billing", app="billing")
    with signed_in_page(browser, live_server, staff_member, java_script_enabled=False) as page:
        apply_without_javascript(page, f"{live_server.url}/errors/", app="xero")
        expect(page.locator(ROWS)).to_have_count(1)
        page.locator(f"#error-{error.pk}").get_by_role("button", name="Resolve").click()
        expect(page.locator(f"#error-{error.pk}")).to_contain_text("Resolved by Erin")
        expect(page).to_have_url(re.compile(r"app=xero"))
    assert AppError.objects.get(pk=error.pk).resolved


def newest_critical_bar(page) -> dict:
    """Where to click the severity chart's newest bar of critical errors."""
    return page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById('chart-severity'));
            const set = chart.data.datasets.findIndex(s => s.label === 'Critical');
            const bucket = chart.data.datasets[set].data.findLastIndex(n => n > 0);
            const point = chart.getDatasetMeta(set).data[bucket].getCenterPoint();
            return {x: point.x, y: point.y};
        }"""
    )


def test_clicking_the_charts_narrows_the_table(page, live_server, staff_member):
    seed_triage_mix()
    sign_in(page.context, live_server, staff_member)
    page.goto(f"{live_server.url}/errors/")
    expect(page.locator("#chart-app")).to_be_visible()
    legend_entry = page.evaluate(
        """label => {
            const chart = Chart.getChart(document.getElementById('chart-app'));
            const index = chart.legend.legendItems.findIndex(item => item.text === label);
            const box = chart.legend.legendHitBoxes[index];
            return {x: box.left + box.width / 2, y: box.top + box.height / 2};
        }""",
        "billing",
    )
    page.locator("#chart-app").click(position=legend_entry)
    expect(page).to_have_url(re.compile(r"[?&]app=billing"))
    expect(page.locator(ROWS)).to_have_count(1)

    page.goto(f"{live_server.url}/errors/")
    bar = newest_critical_bar(page)
    page.locator("#chart-severity").click(position=bar)
    expect(page).to_have_url(re.compile(r"[?&]severity=50"))
    expect(page).to_have_url(re.compile(r"timestamp__gte="))
    expect(page.locator(ROWS).first).to_be_visible()
    severities = page.locator(f"{ROWS} td:has(> .badge)").all_text_contents()
    assert severities and set(severities) == {"Critical"}
