"""The filter bar of both lists and the group page: date-time pickers that still read ISO
8601, quick ranges, the app select, and URLs that carry only the filters in use."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from errors.filters import AppErrorFilterSet, ErrorGroupFilterSet
from errors.models import ErrorGroup
from tests.factories import AppErrorFactory
from tests.group_records import occur

pytestmark = pytest.mark.django_db(databases="__all__")

ERRORS = reverse("error_list")
GROUPS = reverse("group_list")


def messages_of(response) -> list[str]:
    return [row["message"] for row in response.json()["results"]]


# Pickers


@pytest.mark.parametrize("filterset_class", [AppErrorFilterSet, ErrorGroupFilterSet])
def test_time_filters_render_as_date_time_pickers(filterset_class):
    form = filterset_class().form
    for name in ("timestamp__gte", "timestamp__lte"):
        html = str(form[name])
        assert 'type="datetime-local"' in html
        assert 'step="any"' in html


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("2026-11-02T14:00", "2026-11-02T14:00"),
        ("2026-11-02T14:00:00+01:00", "2026-11-02T13:00"),
        ("2026-11-02T14:00:30Z", "2026-11-02T14:00:30"),
        # A chart bar's end: the picker holds milliseconds at most.
        ("2026-11-02T14:59:59.999999+00:00", "2026-11-02T14:59:59.999"),
        ("2026-11-02", "2026-11-02T00:00"),
        ("last tuesday", "last tuesday"),
    ],
)
def test_the_picker_shows_any_iso_value_as_local_time(settings, given, shown):
    settings.TIME_ZONE = "UTC"
    html = str(AppErrorFilterSet({"timestamp__gte": given}).form["timestamp__gte"])
    assert f'value="{shown}"' in html


def test_a_picker_value_is_read_in_the_sites_time_zone(settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    timezone.activate("Pacific/Auckland")
    try:
        filterset = AppErrorFilterSet({"timestamp__gte": "2026-03-01T14:00"})
        assert filterset.is_valid()
        moment = filterset.form.cleaned_data["timestamp__gte"]
        assert moment == datetime.datetime(2026, 3, 1, 1, tzinfo=datetime.UTC)
        shown = str(filterset.form["timestamp__gte"])
        assert 'value="2026-03-01T14:00"' in shown
    finally:
        timezone.deactivate()


def test_the_api_keeps_reading_iso_8601_with_offsets_and_the_pickers_format(api):
    AppErrorFactory(message="recent", age_hours=1)
    AppErrorFactory(message="old", age_hours=24 * 10)
    since = (timezone.now() - datetime.timedelta(days=2)).astimezone(
        datetime.timezone(datetime.timedelta(hours=5))
    )
    with_offset = api.get("/api/app-errors/", {"timestamp__gte": since.isoformat()})
    picker = api.get("/api/app-errors/", {"timestamp__gte": f"{since:%Y-%m-%dT%H:%M}"})
    assert with_offset.status_code == 200 and messages_of(with_offset) == ["recent"]
    # Without an offset the moment is read in the site's zone (UTC here), so five hours
    # earlier: the old error is still outside it.
    assert picker.status_code == 200 and messages_of(picker) == ["recent"]


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-13-01T00:00", "2026-02-30", "0001-01-01T00:00:00+05:00"]
)
def test_a_bad_time_is_a_400_in_the_api_and_a_form_error_on_the_pages(api, staff_client, value):
    assert api.get("/api/app-errors/", {"timestamp__lte": value}).status_code == 400
    assert api.get("/api/groups/", {"timestamp__lte": value}).status_code == 400
    for url in (ERRORS, GROUPS):
        response = staff_client.get(url, {"timestamp__lte": value})
        assert response.status_code == 200
        assert 'id="filter-errors"' in response.content.decode()


# Quick ranges


def test_the_last_hour_narrows_both_lists_and_stays_relative(staff_client):
    AppErrorFactory(message="just now", age_hours=0.5)
    AppErrorFactory(message="this morning", age_hours=3)
    fresh, stale = occur("fresh"), occur("stale")
    ErrorGroup.objects.filter(pk=stale.pk).update(
        last_seen=timezone.now() - datetime.timedelta(hours=2)
    )
    messages = {error.message for error in AppErrorFilterSet({"range": "1h"}).qs}
    assert "just now" in messages and "this morning" not in messages
    groups = set(ErrorGroupFilterSet({"range": "1h"}).qs.values_list("pk", flat=True))
    assert fresh.pk in groups and stale.pk not in groups

    html = staff_client.get(ERRORS).content.decode()
    assert '<nav class="quick-ranges"' in html
    assert 'href="?range=1h"' in html and ">Last hour</a>" in html


def test_a_quick_range_link_replaces_dates_and_keeps_the_other_filters(staff_client):
    html = staff_client.get(
        ERRORS, {"app": "xero", "timestamp__gte": "2026-01-01T00:00", "range": "7d"}
    ).content.decode()
    assert 'href="?app=xero&amp;range=24h"' in html
    assert (
        'href="?app=xero&amp;range=7d" hx-get="?app=xero&amp;range=7d" aria-current="true"' in html
    )


def test_an_unknown_range_is_a_form_error():
    assert not AppErrorFilterSet({"range": "2h"}).is_valid()
    assert not ErrorGroupFilterSet({"range": "2h"}).is_valid()


# The app select


def test_the_group_lists_app_filter_offers_the_apps_with_errors(staff_client):
    occur("sync", app="xero")
    occur("billing-run", app="billing")
    html = staff_client.get(GROUPS).content.decode()
    select = html[html.index('<select name="app"') :]
    select = select[: select.index("</select>")]
    assert '<option value="" selected>Any app</option>' in select
    assert '<option value="billing">billing</option>' in select
    assert '<option value="xero">xero</option>' in select


def test_the_filter_forms_apply_on_change(staff_client):
    group = occur("sync")
    for url in (ERRORS, GROUPS, reverse("group_detail", args=[group.pk])):
        html = staff_client.get(url).content.decode()
        assert 'hx-trigger="change, submit"' in html
        assert '<button type="submit">Apply</button>' in html


# Clean URLs


@pytest.mark.parametrize(
    ("url", "params", "clean"),
    [
        (ERRORS, "app=&search=sync&per_page=50&range=", "?search=sync"),
        (ERRORS, "per_page=50&page=1", ""),
        (ERRORS, "severity=&resolved=false&per_page=100", "?resolved=false&per_page=100"),
        (GROUPS, "status=unresolved&app=&search=", ""),
        (GROUPS, "search=&status=all&app=xero", "?status=all&app=xero"),
    ],
)
def test_a_plain_get_with_empty_or_default_parameters_redirects_to_the_clean_url(
    staff_client, url, params, clean
):
    response = staff_client.get(f"{url}?{params}")
    assert response.status_code == 302
    assert response["Location"] == url + clean
    assert staff_client.get(response["Location"]).status_code == 200


def test_the_group_page_cleans_its_occurrence_filter_too(staff_client):
    group = occur("sync")
    url = reverse("group_detail", args=[group.pk])
    response = staff_client.get(f"{url}?job_id=&user_id=&range=24h&timestamp__gte=")
    assert response.status_code == 302 and response["Location"] == f"{url}?range=24h"


def test_a_clean_url_is_served_and_htmx_is_never_redirected(staff_client):
    assert staff_client.get(ERRORS, {"app": "xero"}).status_code == 200
    assert staff_client.get(GROUPS, {"status": "resolved"}).status_code == 200
    response = staff_client.get(
        f"{ERRORS}?app=&per_page=50", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="dashboard-body"
    )
    assert response.status_code == 200


def test_the_filter_forms_tell_the_script_their_defaults(staff_client):
    errors = staff_client.get(ERRORS).content.decode()
    groups = staff_client.get(GROUPS).content.decode()
    assert (
        'data-defaults="{&quot;page&quot;: &quot;1&quot;, &quot;per_page&quot;: &quot;50&quot;}"'
        in errors
    )
    assert "&quot;status&quot;: &quot;unresolved&quot;" in groups
