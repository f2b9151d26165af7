"""The group list at /, the group page, inline resolve and mute (htmx and plain posts), the
toggle to the occurrence list at /errors/, and the error page's link to its group."""

import re
import uuid

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from errors.group_services import resolve_error_group
from errors.models import AppError, ErrorGroup
from errors.routers import errors_alias
from tests.group_records import occur

pytestmark = pytest.mark.django_db(databases="__all__")

LIST = reverse("group_list")
ROW = re.compile(r'<tr id="group-(\d+)"')


def row_ids(html: str) -> list[int]:
    return [int(pk) for pk in ROW.findall(html)]


def page(client, url: str = LIST, params=None, **headers) -> str:
    response = client.get(url, params or {}, **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_shows_one_row_per_group_with_its_count_and_sparkline(staff_client):
    big = occur("xero-sync", times=4, message="Invoice for job 4711 not synced")
    small = occur("billing-run", app="billing")

    html = page(staff_client)

    assert row_ids(html) == [small.pk, big.pk]
    row = html[html.index(f'id="group-{big.pk}"') :]
    assert 'class="col-count num" data-label="Count">4</td>' in row[:3000]
    assert "InvoiceSyncError: Invoice for job 4711 not synced" in row[:3000]
    assert '<svg class="sparkline"' in row and 'aria-label="4 in 14 days"' in row
    assert 'id="trend-data"' not in html  # the charts come once the page has loaded
    summary = page(staff_client, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="group-summary")
    assert summary.lstrip().startswith('<section id="group-summary"')
    assert 'id="trend-data"' in summary and 'id="group-results"' not in summary


def test_the_default_status_is_unresolved_and_all_lists_resolved_too(staff_client, staff):
    open_group = occur("open")
    fixed = resolve_error_group(group=occur("fixed"), by=staff)

    assert row_ids(page(staff_client)) == [open_group.pk]
    assert row_ids(page(staff_client, params={"status": "resolved"})) == [fixed.pk]
    assert set(row_ids(page(staff_client, params={"status": "all"}))) == {open_group.pk, fixed.pk}
    assert '<option value="all">All</option>' in page(staff_client)
    assert (
        '<option value="">'
        not in page(staff_client).split('name="status"')[1].split("</select>")[0]
    )


def test_filters_sort_and_bad_values(staff_client):
    job = uuid.uuid4()
    big = occur("big", times=3, job_id=job)
    small = occur("small", app="billing")

    assert row_ids(page(staff_client, params={"job_id": str(job)})) == [big.pk]
    assert row_ids(page(staff_client, params={"app": "billing"})) == [small.pk]
    assert row_ids(page(staff_client, params={"ordering": "-count"})) == [big.pk, small.pk]
    assert row_ids(page(staff_client, params={"ordering": "count"})) == [small.pk, big.pk]
    html = page(staff_client, params={"ordering": "-count"})
    assert 'href="?ordering=count"' in html  # the header link that turns the order round
    for bad in ({"status": "open"}, {"severity__gte": "loud"}, {"job_id": "x"}):
        html = page(staff_client, params=bad)
        assert 'id="filter-errors"' in html and row_ids(html) == []
    html = page(staff_client, params={"page": "0"})  # a bad page shows the first one
    assert 'id="filter-errors"' in html and row_ids(html) == [small.pk, big.pk]


def test_the_list_pages_fifty_groups_within_its_html_budget(staff_client):
    for index in range(55):
        occur(f"failure-{index:02d}", message=f"Contact sync failed for tenant {'x' * 80} #{index}")

    first = staff_client.get(LIST)
    second = page(staff_client, params={"page": "2"})

    assert len(row_ids(first.content.decode())) == 50 and len(row_ids(second)) == 5
    assert len(first.content) <= 100 * 1024


def test_the_notice_counts_errors_not_grouped_yet(staff_client):
    occur("xero-sync", times=3)
    assert "not grouped yet" not in page(staff_client)

    AppError.objects.filter(pk__in=AppError.objects.values("pk")[:2]).update(group=None)

    assert "2 errors are not grouped yet: run <code>manage.py group_app_errors</code>" in page(
        staff_client
    )


def test_inline_resolve_swaps_the_row_and_tells_the_page(staff_client):
    group = occur("xero-sync", times=2)

    response = staff_client.post(
        reverse("group_resolve", args=[group.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"group-{group.pk}",
        HTTP_HX_CURRENT_URL="http://testserver/?app=xero",
    )

    html = response.content.decode()
    assert response.status_code == 200 and "groups-changed" in response["HX-Trigger"]
    assert html.lstrip().startswith(f'<tr id="group-{group.pk}"') and html.count("<tr") == 1
    assert "Resolved" in html and "Unresolve" in html
    # Its buttons post through the list's one hidden form (the CSRF token and the way back
    # live there, once a page).
    unresolve = reverse("group_unresolve", args=[group.pk])
    assert f'form="row-actions" formaction="{unresolve}" hx-post="{unresolve}"' in html
    assert not AppError.objects.filter(group_id=group.pk, resolved=False).exists()

    undone = staff_client.post(
        reverse("group_unresolve", args=[group.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"group-{group.pk}",
    ).content.decode()
    assert ">Resolve</button>" in undone
    assert AppError.objects.filter(group_id=group.pk, resolved=False).count() == 2


def test_resolve_without_javascript_is_a_post_that_returns_where_it_came_from(staff_client):
    group = occur("xero-sync")

    response = staff_client.post(reverse("group_resolve", args=[group.pk]), {"next": "/?app=x"})

    assert response.status_code == 302 and response["Location"] == "/?app=x"
    group.refresh_from_db()
    assert group.resolved
    elsewhere = staff_client.post(
        reverse("group_unresolve", args=[group.pk]), {"next": "https://evil.example/"}
    )
    assert elsewhere["Location"] == reverse("group_detail", args=[group.pk])


def test_mute_and_unmute_from_the_list_and_the_group_page(staff_client):
    group = occur("xero-sync")

    row = staff_client.post(
        reverse("group_mute", args=[group.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"group-{group.pk}",
    ).content.decode()
    assert "state-muted" in row and "Unmute" in row
    assert row_ids(page(staff_client)) == []  # muted groups leave the default list
    assert row_ids(page(staff_client, params={"status": "muted"})) == [group.pk]

    panel = staff_client.post(
        reverse("group_unmute", args=[group.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="group-triage",
    ).content.decode()
    assert panel.lstrip().startswith('<section id="group-triage"')
    assert "Unmuted" in panel and "Muted" in panel  # the timeline, newest first

    staff_client.post(reverse("group_mute", args=[group.pk]), {"for_occurrences": "3"})
    group.refresh_from_db()
    assert group.is_muted and group.mute_remaining == 3
    staff_client.post(reverse("group_mute", args=[group.pk]), {"duration": "1h"})
    group.refresh_from_db()
    assert group.muted_until is not None and group.mute_remaining is None
    refused = staff_client.post(reverse("group_mute", args=[group.pk]), {"for_occurrences": "0"})
    assert refused.status_code == 400 and "form-errors" in refused.content.decode()


def test_staff_without_the_resolve_permission_see_no_buttons_and_cannot_post(client, viewer):
    group = occur("xero-sync")
    client.force_login(viewer)

    assert row_ids(page(client)) == [group.pk]
    assert "hx-post" not in page(client)
    for name in ("group_resolve", "group_unresolve", "group_mute", "group_unmute"):
        assert client.post(reverse(name, args=[group.pk])).status_code == 403


def test_the_group_page_shows_the_group_its_occurrences_and_who_it_hit(staff_client, staff):
    job, user = uuid.uuid4(), uuid.uuid4()
    group = occur("xero-sync", times=3, job_id=job, user_id=user)
    occur("xero-sync", times=2)
    resolve_error_group(group=group, by=staff)

    html = page(staff_client, reverse("group_detail", args=[group.pk]))

    assert '<h1 id="group-title">InvoiceSyncError: xero-sync failed</h1>' in html
    assert '<dd id="group-count">5</dd>' in html
    assert "<li>xero-sync</li>" in html  # why grouped
    assert f"<code>{job}</code></a>: 3" in html and f"<code>{user}</code></a>: 3" in html
    assert html.count('<a href="/errors/') >= 5  # the occurrences table and the latest
    assert "Traceback (most recent call last)" in html
    assert "<strong>Resolved</strong> by Alice" in html
    assert 'id="chart-group"' in html
    assert "still stored" not in html and "storm limit" not in html


def test_the_group_page_filters_its_occurrences_by_job(staff_client):
    job = uuid.uuid4()
    group = occur("xero-sync", times=2)
    occur("xero-sync", job_id=job)
    url = reverse("group_detail", args=[group.pk])

    narrowed = page(
        staff_client,
        url,
        {"job_id": str(job)},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="occurrences",
    )

    assert narrowed.lstrip().startswith('<section id="occurrences"')
    assert narrowed.count('<a href="/errors/') == 1
    assert "form-errors" in page(staff_client, url, {"job_id": "nope"})


def test_the_group_page_says_what_was_shed_and_what_is_still_stored(staff_client, settings):
    settings.APP_ERRORS = {"GROUP_ROWS_PER_HOUR": 2}
    group = occur("xero-sync", times=5)
    AppError.objects.filter(pk=AppError.objects.filter(group_id=group.pk).values("pk")[:1]).delete()

    html = page(staff_client, reverse("group_detail", args=[group.pk]))

    assert "3 occurrences counted, not stored (storm limit)." in html
    assert "1 of 5 occurrences still stored." in html


def errors_queries(client, url: str, params=None, **headers) -> list[str]:
    with CaptureQueriesContext(connections[errors_alias()]) as captured:
        page(client, url, params, **headers)
    return [query["sql"] for query in captured.captured_queries]


def occurrence_counts(queries: list[str]) -> list[str]:
    return [sql for sql in queries if "COUNT(" in sql and '"errors_apperror"' in sql]


def test_the_group_page_counts_its_stored_occurrences_once(staff_client):
    group = occur("xero-sync", times=3)
    url = reverse("group_detail", args=[group.pk])

    queries = errors_queries(staff_client, url)

    # The pager counts the group's occurrences; the "still stored" line reads that count.
    assert len(occurrence_counts(queries)) == 1
    # The group, its activity, that count, its trend, its jobs and users, the latest
    # occurrence and the page of the table.
    assert len(queries) == 8


def test_a_filtered_group_page_still_says_how_many_are_stored(staff_client):
    job = uuid.uuid4()
    group = occur("xero-sync", times=2)
    occur("xero-sync", job_id=job)
    AppError.objects.filter(group_id=group.pk, job_id=None).first().delete()
    url = reverse("group_detail", args=[group.pk])

    queries = errors_queries(staff_client, url, {"job_id": str(job)})
    html = page(staff_client, url, {"job_id": str(job)})

    assert len(occurrence_counts(queries)) == 2  # the job's, for the pager; the stored ones
    assert "2 of 3 occurrences still stored." in html
    assert html.split('id="occurrences"', 1)[1].count('<a href="/errors/') == 1  # the job's


def test_the_occurrences_swap_reads_only_what_the_table_needs(staff_client):
    group = occur("xero-sync", times=3)
    url = reverse("group_detail", args=[group.pk])

    queries = errors_queries(
        staff_client, url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="occurrences"
    )

    assert len(occurrence_counts(queries)) == 1
    assert not [sql for sql in queries if "errors_errorgroup_hourly" in sql]  # no trend
    assert not [sql for sql in queries if "errors_errorgroup_subject" in sql]  # no jobs, users


def test_a_missing_group_is_404(staff_client):
    assert staff_client.get(reverse("group_detail", args=[999999])).status_code == 404
    assert staff_client.post(reverse("group_resolve", args=[999999])).status_code == 404


def test_the_error_page_links_to_its_group_as_occurrence_n_of_n(staff_client):
    occur("xero-sync", times=2)
    group = ErrorGroup.objects.get()
    second = AppError.objects.filter(group_id=group.pk).order_by("timestamp", "id")[1]

    html = page(staff_client, reverse("error_detail", args=[second.pk]))

    assert f'href="{reverse("group_detail", args=[group.pk])}"' in html
    assert "occurrence 2 of 2" in html


def test_the_occurrence_list_moved_to_errors_and_filters_by_group(staff_client):
    first = occur("first", times=2)
    second = occur("second")

    html = page(staff_client, reverse("error_list"), {"group": str(first.pk)})

    assert html.count('<tr id="error-') == 2
    assert str(second.pk) not in re.findall(r'href="/groups/(\d+)/"', html)
    assert reverse("error_list") == "/errors/"


def test_the_toggle_keeps_the_filters_both_lists_understand(staff_client):
    occur("xero-sync")

    groups = page(staff_client, params={"app": "xero", "status": "resolved", "ordering": "count"})
    errors = page(staff_client, reverse("error_list"), {"app": "xero", "resolved": "false"})

    assert 'href="/errors/?app=xero&amp;resolved=true"' in groups
    # Unresolved is the group list's default status, so its link leaves it out.
    assert 'href="/?app=xero"' in errors


def test_the_list_needs_staff(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "login" in response["Location"]


def test_htmx_gets_the_fragment_it_targets_and_history_restores_get_the_page(staff_client):
    occur("xero-sync")

    results = staff_client.get(LIST, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="group-results")
    restored = staff_client.get(
        LIST,
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="group-results",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )

    assert results.content.decode().lstrip().startswith('<section id="group-results"')
    assert "HX-Request" in results["Vary"] and "HX-Target" in results["Vary"]
    assert "<html" in restored.content.decode()


def test_the_rows_buttons_share_one_hidden_form_that_brings_staff_back_to_this_list(
    staff_client,
):
    occur("xero-sync", times=1)
    occur("report-failed", times=1)

    html = staff_client.get("/", {"app": "xero"}).content.decode()

    assert html.count('<form id="row-actions" method="post" hidden>') == 1
    shared = html[html.index('<form id="row-actions"') :]
    shared = shared[: shared.index("</form>")]
    assert 'name="csrfmiddlewaretoken"' in shared and 'name="next" value="/?app=xero"' in shared
    # Each listed group's Resolve and Mute belong to it; no row carries a form of its own.
    rows = html.count('<tr id="group-')
    assert rows >= 1 and html.count('form="row-actions"') == 2 * rows
    table = html[html.index("<table") : html.index("</table>")]
    assert "<form" not in table
