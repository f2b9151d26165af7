"""/api/groups/: list with the group filters and ordering, one group with its activity,
resolve, unresolve, mute and unmute; /api/app-errors/ shows and filters by group."""

import datetime
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from errors.models import AppError, ErrorGroup
from tests.group_records import occur

pytestmark = pytest.mark.django_db(databases="__all__")

LIST = "/api/groups/"


def detail(group: ErrorGroup, action: str = "") -> str:
    return f"{LIST}{group.pk}/{action + '/' if action else ''}"


def test_list_shows_every_group_with_its_figures_last_seen_first(api, staff):
    older = occur("older", times=3)
    newer = occur("newer", app="billing", severity="critical")
    api.post(detail(older, "mark_resolved"))

    body = api.get(LIST).json()

    assert body["count"] == 2 and body["count_is_exact"] is True
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    row = body["results"][1]
    assert row["count"] == 3 and row["resolved"] is True
    assert row["resolved_by"] == {"id": str(staff.pk), "name": "Alice"}
    assert row["title"] == "InvoiceSyncError: older failed"
    assert body["results"][0]["severity_name"] == "CRITICAL"


def test_list_filters_and_orders_like_the_dashboard(api):
    job = uuid.uuid4()
    big = occur("big", times=3, job_id=job)
    occur("small", app="billing")

    def ids(query: str) -> list[int]:
        response = api.get(f"{LIST}?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("ordering=-count")[0] == big.pk
    assert ids(f"job_id={job}") == [big.pk]
    assert ids("app=billing&status=unresolved") != [big.pk]
    assert ids("search=big") == [big.pk]
    assert ids("status=resolved") == []


@pytest.mark.parametrize(
    "query",
    ["status=open", "severity=loud", "ordering=title", "job_id=1", "page=9", "page_size=0"],
)
def test_bad_parameters_are_a_400_naming_the_field(api, query):
    occur("any")
    response = api.get(f"{LIST}?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_one_group_has_why_it_was_grouped_and_its_activity(api, staff):
    group = occur("xero-sync", times=2)
    api.post(detail(group, "mark_resolved"))
    occur("xero-sync")  # a regression

    body = api.get(detail(group)).json()

    assert body["fingerprint_parts"] and body["count"] == 3
    assert body["is_regressed"] is True and body["resolved"] is False
    assert [(entry["kind"], entry["who"]) for entry in body["activity"]] == [
        ("regressed", None),
        ("resolved", {"id": str(staff.pk), "name": "Alice"}),
    ]
    assert set(body["activity"][0]) == {"kind", "who", "when"}


def test_a_missing_or_malformed_group_id_is_404_or_400(api):
    assert api.get(f"{LIST}999999/").status_code == 404
    assert api.get(f"{LIST}abc/").status_code == 400
    assert api.get(f"{LIST}{2**70}/").status_code == 400
    assert api.post(f"{LIST}999999/mute/", {}, format="json").status_code == 404


def test_resolve_closes_occurrences_and_unresolve_reopens_them(api):
    group = occur("xero-sync", times=3)

    resolved = api.post(detail(group, "mark_resolved"))
    assert resolved.status_code == 200 and resolved.json()["resolved"] is True
    assert not AppError.objects.filter(group_id=group.pk, resolved=False).exists()

    reopened = api.post(detail(group, "mark_unresolved"))
    assert reopened.json()["resolved"] is False
    assert AppError.objects.filter(group_id=group.pk, resolved=False).count() == 3
    kinds = [entry["kind"] for entry in reopened.json()["activity"]]
    assert kinds == ["unresolved", "resolved"]


def test_resolve_in_the_next_release(api, settings):
    settings.APP_ERRORS = {"RELEASE": "2026.12.02"}
    group = occur("xero-sync")

    body = api.post(detail(group, "mark_resolved"), {"in_next_release": True}, format="json")

    assert body.json()["resolved_in_next_release"] is True
    bad = api.post(detail(group, "mark_resolved"), {"in_next_release": "maybe"}, format="json")
    assert bad.status_code == 400 and "in_next_release" in bad.json()


def test_mute_forever_until_or_for_occurrences_and_unmute(api):
    group = occur("xero-sync")
    until = timezone.now() + datetime.timedelta(hours=1)

    forever = api.post(detail(group, "mute"), {}, format="json").json()
    assert forever["is_muted"] is True and forever["muted_until"] is None
    timed = api.post(detail(group, "mute"), {"until": until.isoformat()}, format="json").json()
    assert datetime.datetime.fromisoformat(timed["muted_until"]) == until
    counted = api.post(detail(group, "mute"), {"for_occurrences": 5}, format="json").json()
    assert counted["mute_remaining"] == 5 and counted["muted_until"] is None
    assert api.get(f"{LIST}?status=muted").json()["count"] == 1

    unmuted = api.post(detail(group, "unmute")).json()
    assert unmuted["is_muted"] is False
    assert [entry["kind"] for entry in unmuted["activity"]] == [
        "unmuted",
        "muted",
        "muted",
        "muted",
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"for_occurrences": 0},
        {"for_occurrences": "many"},
        {"until": "soon"},
        {"until": "2001-01-01T00:00:00Z"},
        {"until": "2999-01-01T00:00:00Z", "for_occurrences": 3},
    ],
)
def test_invalid_mute_terms_are_a_400(api, body):
    group = occur("xero-sync")

    response = api.post(detail(group, "mute"), body, format="json")

    assert response.status_code == 400
    group.refresh_from_db()
    assert group.is_muted is False


def test_writes_need_the_resolve_permission(viewer_api):
    group = occur("xero-sync")

    assert viewer_api.get(detail(group)).status_code == 200
    for action in ("mark_resolved", "mark_unresolved", "mute", "unmute"):
        assert viewer_api.post(detail(group, action)).status_code == 403
    assert APIClient().get(LIST).status_code in {401, 403}


def test_app_errors_show_and_filter_by_their_group(api):
    first = occur("first")
    second = occur("second", times=2)

    body = api.get(f"/api/app-errors/?group={second.pk}").json()

    assert body["count"] == 2
    assert {row["group"] for row in body["results"]} == {second.pk}
    assert api.get(f"/api/app-errors/?group={first.pk}").json()["count"] == 1
    assert api.get("/api/app-errors/?group=abc").status_code == 400
