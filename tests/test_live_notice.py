"""The lists' live notice: the slot each list renders, and the endpoints it polls for errors
(or groups) matching the page's filters that arrived since the page was rendered."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.live_notice import LIVE_POLL_SECONDS
from errors.selectors import NEWS_CAP
from tests.factories import AppErrorFactory
from tests.group_records import occur, seen

pytestmark = pytest.mark.django_db(databases="__all__")

ERROR_NEWS = reverse("error_list_news")
GROUP_NEWS = reverse("group_list_news")
POLL_URL = re.compile(r'id="live-notice"[^>]*hx-get="([^"]+)"')


def since(moment: datetime.datetime) -> str:
    return moment.isoformat()


def a_minute_ago() -> str:
    return since(timezone.now() - datetime.timedelta(minutes=1))


def poll_url(html: str) -> str:
    return POLL_URL.search(html).group(1).replace("&amp;", "&")


def test_the_error_list_polls_with_its_filters_and_the_moment_it_was_rendered(staff_client):
    before = timezone.now()
    html = staff_client.get(reverse("error_list"), {"app": "xero", "resolved": "false"}).content
    url = poll_url(html.decode())
    parts = urlsplit(url)
    query = parse_qs(parts.query)

    assert parts.path == ERROR_NEWS
    assert query["app"] == ["xero"] and query["resolved"] == ["false"]
    assert before <= datetime.datetime.fromisoformat(query["since"][0]) <= timezone.now()
    assert f"every {LIVE_POLL_SECONDS}s [document.visibilityState === 'visible']" in html.decode()
    assert "visibilitychange[document.visibilityState === 'visible'] from:document" in html.decode()


def test_the_group_list_polls_its_own_endpoint_with_its_filters(staff_client):
    html = staff_client.get(reverse("group_list"), {"app": "billing"}).content.decode()
    parts = urlsplit(poll_url(html))

    assert parts.path == GROUP_NEWS
    assert parse_qs(parts.query)["app"] == ["billing"]


def test_nothing_new_answers_an_empty_fragment(staff_client):
    AppErrorFactory(age_hours=2)

    response = staff_client.get(ERROR_NEWS, {"since": a_minute_ago()})

    assert response.status_code == 200
    assert response.content.strip() == b""


def test_new_errors_matching_the_filter_are_counted_with_a_link_to_show_them(staff_client):
    opened = a_minute_ago()
    AppErrorFactory(app="xero", age_hours=0)
    AppErrorFactory(app="xero", age_hours=0)
    AppErrorFactory(app="billing", age_hours=0)
    AppErrorFactory(app="xero", age_hours=2)  # before the page was opened

    response = staff_client.get(ERROR_NEWS, {"app": "xero", "page": "3", "since": opened})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>2</strong> new since you opened this page" in html
    show = re.search(r'href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert show == reverse("error_list") + "?app=xero"
    assert 'hx-target="#dashboard-body"' in html


def test_the_count_stops_at_the_cap_and_says_so(staff_client):
    opened = a_minute_ago()
    for _ in range(NEWS_CAP + 1):
        AppErrorFactory(age_hours=0)

    html = staff_client.get(ERROR_NEWS, {"since": opened}).content.decode()

    assert f"<strong>{NEWS_CAP}+</strong> new" in html


@pytest.mark.parametrize("recent_rows", [1_000, 2])
def test_a_storm_since_the_page_opened_is_counted_the_same_through_the_filters_index(
    staff_client, monkeypatch, recent_rows
):
    monkeypatch.setattr("errors.selectors.RECENT_ROWS", recent_rows)
    opened = a_minute_ago()
    for app in ("xero", "xero", "billing", "xero"):
        AppErrorFactory(app=app, age_hours=0)
    occur("mail-out", app="mail")

    errors = staff_client.get(ERROR_NEWS, {"app": "xero", "since": opened}).content.decode()
    groups = staff_client.get(GROUP_NEWS, {"app": "mail", "since": opened}).content.decode()

    assert "<strong>3</strong> new" in errors
    assert "<strong>1</strong> new" in groups


def test_exactly_the_cap_is_not_marked_as_more(staff_client):
    opened = a_minute_ago()
    for _ in range(NEWS_CAP):
        AppErrorFactory(age_hours=0)

    html = staff_client.get(ERROR_NEWS, {"since": opened}).content.decode()

    assert f"<strong>{NEWS_CAP}</strong> new" in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "0001-01-01T00:00:00+05:00"}, "since"),
        ({"since": "2026-01-01T00:00:00Z", "severity": "loud"}, "severity"),
        ({"since": "2026-01-01T00:00:00Z", "timestamp__gte": "soon"}, "timestamp__gte"),
    ],
)
def test_a_filter_or_moment_that_cannot_be_read_is_a_400_naming_it(staff_client, params, field):
    for url in (ERROR_NEWS, GROUP_NEWS):
        response = staff_client.get(url, params)

        assert response.status_code == 400
        assert f"<code>{field}</code>" in response.content.decode()


def test_a_bad_group_status_is_a_400(staff_client):
    response = staff_client.get(GROUP_NEWS, {"since": a_minute_ago(), "status": "sleepy"})

    assert response.status_code == 400
    assert "<code>status</code>" in response.content.decode()


def test_groups_with_new_occurrences_matching_the_filter_are_counted(staff_client):
    seen(occur("old-sync"), first_days_ago=3, last_days_ago=2)
    opened = a_minute_ago()
    occur("fresh-sync", times=3)
    occur("billing-run", app="billing")
    occur("old-sync")  # a group seen before, with a new occurrence

    html = staff_client.get(GROUP_NEWS, {"app": "xero", "since": opened}).content.decode()

    assert "<strong>2</strong> new since you opened this page" in html
    assert 'hx-target="#group-body"' in html


def test_resolved_groups_are_not_news_on_the_default_unresolved_list(staff_client, staff):
    from errors.group_services import resolve_error_group

    opened = a_minute_ago()
    group = occur("settled-sync")
    resolve_error_group(group=group, by=staff)

    default = staff_client.get(GROUP_NEWS, {"since": opened}).content.decode()
    every = staff_client.get(GROUP_NEWS, {"since": opened, "status": "all"}).content.decode()

    assert default.strip() == ""
    assert "<strong>1</strong> new" in every


def test_the_notice_is_for_staff_only(client, viewer):
    assert client.get(ERROR_NEWS, {"since": a_minute_ago()}).status_code == 302
    client.force_login(viewer)
    viewer.is_staff = False
    viewer.save()
    assert client.get(GROUP_NEWS, {"since": a_minute_ago()}).status_code == 403
