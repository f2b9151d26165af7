"""The error list page: rows, filters, sorting, paging, counts and partials."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from errors.models import AppError
from errors.selectors import count_app_errors
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")

LIST = reverse("error_list")


def row_ids(response) -> list[str]:
    return [str(row.record.pk) for row in response.context["listing"].table.paginated_rows]


def test_list_shows_newest_first_with_every_column(staff_client):
    older = AppErrorFactory(message="older failure", age_hours=5)
    newer = AppErrorFactory(
        message="newer failure", age_hours=1, job_id=uuid.uuid4(), user_id=uuid.uuid4()
    )
    response = staff_client.get(LIST)
    assert response.status_code == 200
    assert row_ids(response) == [str(newer.pk), str(older.pk)]
    html = response.content.decode()
    for header in ("Time", "Severity", "App", "File", "Function", "Message", "Job", "User"):
        assert f">{header}<" in html
    assert reverse("error_detail", args=[newer.pk]) in html
    assert f"?job_id={newer.job_id}" in html
    assert f"?user_id={newer.user_id}" in html


def test_filter_by_app_and_severity_keeps_the_form_values(staff_client):
    wanted = AppErrorFactory(message="wanted", app="xero", severity="critical")
    AppErrorFactory(message="other app", app="billing", severity="critical")
    AppErrorFactory(message="too mild", app="xero", severity="warning")
    response = staff_client.get(LIST, {"app": "xero", "severity__gte": "40"})
    assert row_ids(response) == [str(wanted.pk)]
    html = response.content.decode()
    assert '<option value="xero" selected>' in html
    assert '<option value="40" selected>' in html
    # Dropdown filled from the data.
    assert '<option value="billing">' in html


def test_search_icontains_message(staff_client):
    hit = AppErrorFactory(message="Invoice 42 rejected by Xero")
    AppErrorFactory(message="Something else")
    response = staff_client.get(LIST, {"search": "invoice"})
    assert row_ids(response) == [str(hit.pk)]


def test_resolved_filter_and_quick_range(staff_client, staff):
    fresh = AppErrorFactory(message="fresh", age_hours=2)
    AppErrorFactory(message="old", age_hours=24 * 10)
    resolved = AppErrorFactory(message="done", age_hours=3)
    AppError.objects.filter(pk=resolved.pk).update(resolved=True)
    assert row_ids(staff_client.get(LIST, {"range": "24h", "resolved": "false"})) == [str(fresh.pk)]
    assert row_ids(staff_client.get(LIST, {"resolved": "true"})) == [str(resolved.pk)]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("severity", ["warning", "error", "critical"]),
        ("-severity", ["critical", "error", "warning"]),
        ("app", ["a-app", "b-app", "c-app"]),
        ("-timestamp", ["c-app", "b-app", "a-app"]),
    ],
)
def test_sorting_through_the_ordering_parameter(staff_client, ordering, expected):
    AppErrorFactory(message="w", app="c-app", severity="warning", age_hours=1)
    AppErrorFactory(message="e", app="b-app", severity="error", age_hours=2)
    AppErrorFactory(message="c", app="a-app", severity="critical", age_hours=3)
    response = staff_client.get(LIST, {"ordering": ordering})
    rows = [row.record for row in response.context["listing"].table.paginated_rows]
    key = "app" if "app" in expected[0] else "severity"
    values = [r.app if key == "app" else r.get_severity_display().lower() for r in rows]
    assert values == expected


def test_sort_links_toggle_and_keep_the_filter(staff_client):
    AppErrorFactory()
    html = staff_client.get(LIST, {"app": "xero", "ordering": "-severity"}).content.decode()
    assert 'href="?app=xero&amp;ordering=severity"' in html
    assert 'class="sort desc"' in html
    assert 'href="?app=xero&amp;ordering=-timestamp"' in html


def test_pagination_with_per_page_and_page_links(staff_client):
    for hour in range(30):
        AppErrorFactory(message=f"failure {hour}", age_hours=hour + 1)
    response = staff_client.get(LIST, {"per_page": "25", "page": "2", "app": "xero"})
    assert len(row_ids(response)) == 5
    html = response.content.decode()
    assert 'href="?per_page=25&amp;page=1&amp;app=xero"' in html
    assert "Page 2 of 2" in html
    assert 'data-total="30"' in html


def test_out_of_range_page_shows_the_last_page(staff_client):
    AppErrorFactory()
    response = staff_client.get(LIST, {"page": "99"})
    assert response.status_code == 200
    assert len(row_ids(response)) == 1


def test_count_is_capped_and_says_so(staff_client):
    for hour in range(4):
        AppErrorFactory(message=f"f{hour}", age_hours=hour + 1)
    assert count_app_errors(AppError.objects.all(), cap=3) == (3, False)
    assert count_app_errors(AppError.objects.all(), cap=4) == (4, True)
    assert count_app_errors(AppError.objects.filter(app="none"), cap=4) == (0, True)


def many_errors(count: int) -> None:
    """``count`` errors of one function, an hour apart, inserted in one statement."""
    now = timezone.now()
    AppError.objects.bulk_create(
        AppError(
            message=f"failure {n}",
            app="xero",
            function="sync_contacts",
            timestamp=now - datetime.timedelta(hours=n + 1),
        )
        for n in range(count)
    )


def test_capped_total_is_shown_with_a_plus(staff_client, monkeypatch):
    from errors import counting

    many_errors(60)
    monkeypatch.setattr(counting, "COUNT_CAP", 2)
    # A function filter is counted among the errors (the daily totals have no function);
    # the count reaches one page past the one shown.
    params = {"function": "sync_contacts", "per_page": "25"}
    html = staff_client.get(LIST, params).content.decode()
    assert 'data-total="50">50+</strong>' in html
    assert "Page 1 of 2+" in html
    assert 'rel="next"' in html
    html = staff_client.get(LIST, {**params, "page": "3"}).content.decode()
    assert 'data-total="60">60</strong>' in html
    assert "Page 3 of 3 · rows 51\u201360" in html
    assert 'rel="next"' not in html


def test_totals_answer_counts_exactly_past_the_cap(staff_client, staff, monkeypatch):
    from errors import counting

    for hour in range(3):
        AppErrorFactory(
            message=f"f{hour}", age_hours=hour + 1, severity="warning" if hour else "error"
        )
    error = AppErrorFactory(message="old", age_hours=24 * 40, app="billing")
    staff_client.post(reverse("error_resolve", args=[error.pk]))
    monkeypatch.setattr(counting, "COUNT_CAP", 1)
    html = staff_client.get(LIST).content.decode()
    assert 'data-total="4">4</strong>' in html
    assert 'data-unresolved="3">3</strong>' in html
    html = staff_client.get(LIST, {"app": "xero", "severity": "30"}).content.decode()
    assert 'data-total="2">2</strong>' in html


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"app": "xero"},
        {"severity__gte": "40", "resolved": "false"},
        {"resolved": "true"},
        {"function": "sync_contacts"},
        {"range": "24h"},
        {"app": "billing", "ordering": "-severity"},
    ],
)
def test_counts_equal_the_rows_they_stand_for(staff_client, params):
    from errors.selectors import count_filtered_app_errors, filter_app_errors

    AppErrorFactory(message="a", age_hours=1, severity="critical")
    AppErrorFactory(message="b", age_hours=30, app="billing", severity="warning")
    resolved = AppErrorFactory(message="c", age_hours=2)
    staff_client.post(reverse("error_resolve", args=[resolved.pk]))
    filterset = filter_app_errors(params)
    assert filterset.is_valid()
    rows = filterset.qs
    assert count_filtered_app_errors(filterset) == (rows.count(), True)
    unresolved = rows.filter(resolved=False).count()
    assert count_filtered_app_errors(filterset, resolved=False) == (unresolved, True)


def test_empty_state_names_the_filter_and_how_to_clear_it(staff_client):
    AppErrorFactory(app="xero")
    html = staff_client.get(LIST, {"app": "nothing-here"}).content.decode()
    assert "No errors match" in html
    assert "nothing-here" in html
    assert "Clear all filters" in html


def test_queries_per_page_do_not_grow_with_rows(staff_client, staff, count_queries):
    def queries_for(rows: int) -> int:
        AppError.objects.all().delete()
        for hour in range(rows):
            error = AppErrorFactory(message=f"f{hour}", age_hours=hour + 1)
            if hour % 2 == 0:
                AppError.objects.filter(pk=error.pk).update(resolved=True, resolved_by=staff.pk)
        with count_queries() as counted:
            response = staff_client.get(LIST)
        assert len(row_ids(response)) == rows
        return counted[0]

    one, thirty = queries_for(1), queries_for(30)
    assert one == thirty


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "now"),
        (59, "now"),
        (60, "1 minute ago"),
        (3 * 3600 + 59, "3 hours ago"),
        (86_400 * 2, "2 days ago"),
        (86_400 * 400, "1 year ago"),
        (-7200, "2 hours from now"),
    ],
)
def test_relative_times_read_in_their_largest_unit(seconds, text):
    import datetime

    from dashboard.tables import time_ago

    now = datetime.datetime(2026, 1, 31, 12, tzinfo=datetime.UTC)
    assert time_ago(now - datetime.timedelta(seconds=seconds), now) == text


def test_rows_link_to_the_detail_page_and_resolve_in_place(staff_client):
    error = AppErrorFactory(age_hours=3)
    html = staff_client.get(LIST).content.decode()
    detail = reverse("error_detail", args=[error.pk])
    resolve = reverse("error_resolve", args=[error.pk])
    row = html[html.index(f'id="error-{error.pk}"') :]
    row = row[: row.index("</tr>")]
    # The message opens the error's page: a plain link in a body that boosts its links.
    assert f'<a class="message" href="{detail}" hx-boost="false">' in row
    assert 'title="3 hours ago"' in row
    # The row's button posts to the error's URL through the page's one hidden form, which
    # carries the CSRF token for a post without JavaScript.
    assert f'form="row-actions" formaction="{resolve}" hx-post="{resolve}"' in row
    shared = html[html.index('<form id="row-actions" method="post" hidden>') :]
    assert 'name="csrfmiddlewaretoken"' in shared[: shared.index("</form>")]


def test_search_results_mark_the_matched_words_and_escape_the_message(staff_client):
    error = AppErrorFactory(message="<b>Refused</b> invoice for refused payment")
    html = staff_client.get(LIST, {"search": "refused"}).content.decode()
    row = html[html.index(f'id="error-{error.pk}"') :]
    cell = row[row.index('class="message"') :]
    cell = cell[: cell.index("</a>")]
    assert cell.endswith(
        "&lt;b&gt;<mark>Refused</mark>&lt;/b&gt; invoice for <mark>refused</mark> payment"
    )
    assert "<b>" not in html
