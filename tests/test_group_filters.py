"""ErrorGroupFilterSet: every filter narrows the groups as its name says; bad values are
form errors, never exceptions; the error FilterSet's release, environment and group."""

import datetime
import uuid

import pytest
from django.utils import timezone

from errors.filters import AppErrorFilterSet
from errors.group_selectors import filter_error_groups, list_error_groups
from errors.group_services import mute_error_group, resolve_error_group
from errors.models import AppError, ErrorGroup
from tests.group_records import occur, seen

pytestmark = pytest.mark.django_db(databases="__all__")


def titles(params: dict) -> list[str]:
    filterset = filter_error_groups(params)
    assert filterset.is_valid(), filterset.errors
    return [group.title for group in list_error_groups(filterset)]


def names(params: dict) -> set[str]:
    return {title.split(": ", 1)[1].removesuffix(" failed") for title in titles(params)}


def test_app_and_severity_filters_narrow_the_groups():
    occur("xero-sync", app="xero", severity="error")
    occur("billing-run", app="billing", severity="critical")
    occur("report-slow", app="reports", severity="warning")

    assert names({"app": "billing"}) == {"billing-run"}
    assert names({"app__icontains": "XER"}) == {"xero-sync"}
    assert names({"severity": "warning"}) == {"report-slow"}
    assert names({"severity__gte": "error"}) == {"xero-sync", "billing-run"}
    assert names({"severity__lte": "40"}) == {"xero-sync", "report-slow"}


def test_search_matches_every_word_in_title_culprit_or_exception_type():
    occur("xero-sync", message="Invoice for job 4711 not synced")
    occur("billing-run", message="Billing run aborted", exception=ValueError)

    invoice = "InvoiceSyncError: Invoice for job 4711 not synced"
    assert titles({"search": "invoice SYNCED"}) == [invoice]
    assert titles({"search": "ValueError"}) == ["ValueError: Billing run aborted"]
    assert len(titles({"search": "group_records.occur"})) == 2  # both culprits
    assert titles({"search": "invoice aborted"}) == []


def test_status_unresolved_leaves_out_resolved_and_muted_groups(staff):
    occur("open")
    resolve_error_group(group=occur("fixed"), by=staff)
    mute_error_group(group=occur("silenced"), by=staff)
    snoozed_until_past = occur("snooze-over")
    mute_error_group(
        group=snoozed_until_past, by=staff, until=timezone.now() - datetime.timedelta(minutes=1)
    )

    assert names({"status": "unresolved"}) == {"open", "snooze-over"}
    assert names({"status": "resolved"}) == {"fixed"}
    assert names({"status": "muted"}) == {"silenced"}
    assert names({"status": "all"}) == names({}) == {"open", "fixed", "silenced", "snooze-over"}


def test_job_and_user_filters_find_groups_that_hit_them():
    job, user = uuid.uuid4(), uuid.uuid4()
    occur("with-job", job_id=job)
    occur("with-user", user_id=user)
    occur("neither")

    assert names({"job_id": str(job)}) == {"with-job"}
    assert names({"user_id": str(user)}) == {"with-user"}
    assert names({"job_id": str(uuid.uuid4())}) == set()


def test_release_and_environment_filters_find_groups_with_such_occurrences(settings):
    settings.APP_ERRORS = {"RELEASE": "2026.11.30", "ENVIRONMENT": "staging"}
    occur("old-release")
    settings.APP_ERRORS = {"RELEASE": "2026.12.01", "ENVIRONMENT": "production"}
    occur("new-release")

    assert names({"release": "2026.11.30"}) == {"old-release"}
    assert names({"environment": "production"}) == {"new-release"}
    assert names({"release": "2026.12.24"}) == set()


def test_time_filters_read_first_and_last_seen():
    seen(occur("last-month"), first_days_ago=40, last_days_ago=35)
    seen(occur("this-week"), first_days_ago=20, last_days_ago=3)
    occur("today")
    now = timezone.now()

    assert names({"range": "7d"}) == {"this-week", "today"}
    assert names({"range": "24h"}) == {"today"}
    week_ago = (now - datetime.timedelta(days=7)).isoformat()
    assert names({"last_seen__gte": week_ago}) == {"this-week", "today"}
    assert names({"last_seen__lte": week_ago}) == {"last-month"}
    # timestamp__*: an occurrence inside the window (first seen before its end, last after
    # its start), the error list's meaning.
    month_ago = (now - datetime.timedelta(days=30)).isoformat()
    assert names({"timestamp__gte": month_ago, "timestamp__lte": week_ago}) == {"this-week"}


def test_ordering_by_each_field_always_ends_with_the_id():
    small = occur("small", severity="warning", times=1)
    big = occur("big", severity="critical", times=3)
    middle = occur("middle", severity="error", times=2)
    seen(small, first_days_ago=1, last_days_ago=0.5)
    seen(big, first_days_ago=3, last_days_ago=2)

    def order(ordering: str) -> list[int]:
        filterset = filter_error_groups({"ordering": ordering} if ordering else {})
        assert filterset.is_valid()
        return list(list_error_groups(filterset).values_list("pk", flat=True))

    assert order("") == [middle.pk, small.pk, big.pk]
    assert order("-count") == [big.pk, middle.pk, small.pk]
    assert order("count") == [small.pk, middle.pk, big.pk]
    assert order("first_seen") == [big.pk, small.pk, middle.pk]
    assert order("-severity") == [big.pk, middle.pk, small.pk]
    by_count = list_error_groups(filter_error_groups({"ordering": "-count"}))
    assert by_count.query.order_by[-1] == "-id"


@pytest.mark.parametrize(
    "params",
    [
        {"status": "open"},
        {"severity": "loud"},
        {"severity__gte": "99"},
        {"job_id": "not-a-uuid"},
        {"user_id": "42"},
        {"timestamp__gte": "yesterday"},
        {"last_seen__lte": "0001-01-01T00:00:00+05:00"},
        {"range": "1000y"},
        {"ordering": "title"},
        {"search": "nul\x00byte"},
        {"release": "nul\x00byte"},
    ],
)
def test_bad_values_are_form_errors(params):
    occur("any")
    filterset = filter_error_groups(params)

    assert not filterset.is_valid()
    assert set(filterset.errors) == set(params)


def test_error_filters_by_group_release_and_environment(settings):
    settings.APP_ERRORS = {"RELEASE": "2026.11.30", "ENVIRONMENT": "staging"}
    first = occur("first")
    settings.APP_ERRORS = {"RELEASE": "2026.12.01", "ENVIRONMENT": "production"}
    second = occur("second", times=2)

    def groups_of(params: dict) -> list[int]:
        filterset = AppErrorFilterSet(params, queryset=AppError.objects.all())
        assert filterset.is_valid(), filterset.errors
        return sorted(filterset.qs.values_list("group_id", flat=True))

    assert groups_of({"group": str(second.pk)}) == [second.pk, second.pk]
    assert groups_of({"release": "2026.11.30"}) == [first.pk]
    assert groups_of({"environment": "production"}) == [second.pk, second.pk]
    for bad in ("x", "0", "-1", str(2**64)):
        assert not AppErrorFilterSet({"group": bad}, queryset=AppError.objects.all()).is_valid()
    assert ErrorGroup.objects.count() == 2


@pytest.mark.parametrize(
    ("name", "index"),
    [("release", "apperror_release_group"), ("environment", "apperror_environment_group")],
)
def test_release_and_environment_probe_their_index_per_group_on_sqlite(name, index):
    """Does this group have an occurrence in the release: one index probe a group, not a
    walk through the group's occurrences (migration 0015). PostgreSQL picks its plan by
    the table's size, so only SQLite's fixed plan is checked."""
    from django.db import connections

    from errors.routers import errors_alias

    connection = connections[errors_alias()]
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's plan choice depends on the table's statistics")
    occur("xero-sync")
    filterset = filter_error_groups({name: "1.2.3", "status": "all"})
    assert filterset.is_valid(), filterset.errors
    sql, params = filterset.qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert f"USING COVERING INDEX {index} ({name}=? AND group_id=?)" in plan
