"""Occurrences join groups on write: one group per failure, exact counts, regressions,
group resolve and unresolve with their occurrences, mute and snooze, storm limit, releases."""

import datetime
import logging

import pytest
from django.utils import timezone

from errors.group_services import (
    mute_error_group,
    resolve_error_group,
    unmute_error_group,
    unresolve_error_group,
)
from errors.models import (
    AppError,
    ErrorGroup,
    ErrorGroupActivity,
    ErrorGroupHourlyCount,
    ErrorGroupSubject,
)
from errors.services import persist_app_error, resolve_app_error, unresolve_app_error

pytestmark = pytest.mark.django_db(databases="__all__")


class XeroSyncError(Exception):
    pass


def push_invoice(job: int) -> AppError:
    try:
        raise XeroSyncError(f"Invoice for job {job} not synced")
    except XeroSyncError as exc:
        return persist_app_error(exc)


def push_invoice_elsewhere(job: int) -> AppError:
    try:
        raise XeroSyncError(f"Invoice for job {job} not synced")
    except XeroSyncError as exc:
        return persist_app_error(exc)


def activity_kinds(group: ErrorGroup) -> list[str]:
    return list(
        ErrorGroupActivity.objects.filter(group=group)
        .order_by("when", "id")
        .values_list("kind", flat=True)
    )


def test_occurrences_differing_only_in_ids_share_one_group_with_exact_figures():
    first = push_invoice(4711)
    second = push_invoice(4712)
    third = push_invoice(4713)

    group = ErrorGroup.objects.get()
    assert first.group_id == second.group_id == third.group_id == group.pk
    assert group.count == 3
    assert group.title == "XeroSyncError: Invoice for job 4711 not synced"
    assert group.exception_type == "tests.test_groups.XeroSyncError"
    assert group.culprit == "tests.test_groups.push_invoice"
    assert group.first_seen == AppError.objects.get(pk=first.pk).timestamp
    assert group.last_seen == AppError.objects.get(pk=third.pk).timestamp
    assert sum(ErrorGroupHourlyCount.objects.values_list("count", flat=True)) == 3


def test_the_same_message_from_another_function_is_another_group():
    push_invoice(1)
    push_invoice_elsewhere(1)

    assert ErrorGroup.objects.count() == 2
    assert set(ErrorGroup.objects.values_list("count", flat=True)) == {1}


def test_another_exception_type_or_message_is_another_group():
    push_invoice(1)
    for exc in (ValueError("Invoice for job 1 not synced"), XeroSyncError("Contact 1 missing")):
        try:
            raise exc
        except Exception as caught:
            persist_app_error(caught, function="push_invoice")

    assert ErrorGroup.objects.count() == 3


def test_the_group_keeps_the_highest_severity_seen():
    for severity in ("warning", "critical", "info"):
        persist_app_error(ValueError("Disk almost full"), app="ops", severity=severity)

    assert ErrorGroup.objects.get().severity == logging.CRITICAL


def test_a_custom_fingerprint_replaces_or_extends_the_default():
    replaced = [
        persist_app_error(ValueError(f"failure {n}"), fingerprint=["xero-sync"]) for n in "ab"
    ]
    extended = persist_app_error(
        ValueError("failure c"), fingerprint=["xero-sync", "{{ default }}"]
    )

    assert replaced[0].group_id == replaced[1].group_id
    assert extended.group_id != replaced[0].group_id
    parts = ErrorGroup.objects.get(pk=extended.group_id).fingerprint_parts
    assert parts[0] == "xero-sync"
    assert any(part.startswith("message:") for part in parts[1:])


def test_logged_messages_group_by_logger_and_template(settings):
    from errors.logging import AppErrorHandler

    logger = logging.getLogger("demo.xero.grouping")
    handler = AppErrorHandler(capture_all_at=logging.ERROR)
    logger.addHandler(handler)
    try:
        for job in ("JOB-1", "JOB-2 with a longer text"):
            logger.error("sync failed for %s", job)
    finally:
        logger.removeHandler(handler)

    group = ErrorGroup.objects.get()
    assert group.count == 2
    assert "logger:demo.xero.grouping" in group.fingerprint_parts
    messages = set(AppError.objects.values_list("message", flat=True))
    assert messages == {"sync failed for JOB-1", "sync failed for JOB-2 with a longer text"}


def test_resolving_a_group_resolves_its_open_occurrences_in_batches(staff):
    errors = [push_invoice(n) for n in range(7)]
    group = ErrorGroup.objects.get()

    resolve_error_group(group=group, by=staff, batch_size=3)

    group.refresh_from_db()
    assert group.resolved and group.resolved_by == staff
    rows = AppError.objects.filter(pk__in=[e.pk for e in errors])
    assert rows.filter(resolved=False).count() == 0
    assert set(rows.values_list("resolved_timestamp", flat=True)) == {group.resolved_timestamp}
    assert set(rows.values_list("resolved_by", flat=True)) == {staff.pk}
    assert activity_kinds(group) == ["resolved"]


def test_unresolving_a_group_reopens_only_what_its_resolve_closed(staff):
    early = push_invoice(1)
    resolve_app_error(error=AppError.objects.get(pk=early.pk), by=staff)
    later = [push_invoice(n) for n in range(2, 6)]
    group = ErrorGroup.objects.get()
    assert not group.resolved  # it regressed when the later ones came

    resolve_error_group(group=group, by=staff, batch_size=2)
    unresolve_error_group(group=group, by=staff, batch_size=2)

    group.refresh_from_db()
    assert not group.resolved
    assert AppError.objects.get(pk=early.pk).resolved  # resolved on its own, stays so
    assert not AppError.objects.filter(pk__in=[e.pk for e in later], resolved=True).exists()
    assert activity_kinds(group)[-2:] == ["resolved", "unresolved"]


def test_resolving_the_last_open_occurrence_resolves_the_group(staff):
    errors = [push_invoice(n) for n in range(2)]
    group = ErrorGroup.objects.get()

    resolve_app_error(error=AppError.objects.get(pk=errors[0].pk), by=staff)
    group.refresh_from_db()
    assert not group.resolved
    resolve_app_error(error=AppError.objects.get(pk=errors[1].pk), by=staff)
    group.refresh_from_db()
    assert group.resolved

    unresolve_app_error(error=AppError.objects.get(pk=errors[1].pk), by=staff)
    group.refresh_from_db()
    assert not group.resolved


def test_a_new_occurrence_of_a_resolved_group_is_a_regression(staff):
    push_invoice(1)
    group = ErrorGroup.objects.get()
    resolve_error_group(group=group, by=staff)

    again = push_invoice(2)

    group.refresh_from_db()
    assert not group.resolved
    assert group.is_regressed
    assert not AppError.objects.get(pk=again.pk).resolved
    assert again.group_change.is_regression
    assert activity_kinds(group) == ["resolved", "regressed"]
    push_invoice(3)
    assert activity_kinds(group) == ["resolved", "regressed"]


def test_resolve_in_next_release_reopens_only_for_a_later_release(settings, staff):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "RELEASE": "1.0"}
    push_invoice(1)
    group = ErrorGroup.objects.get()
    resolve_error_group(group=group, by=staff, in_next_release=True)

    same_release = push_invoice(2)
    group.refresh_from_db()
    assert group.resolved
    assert AppError.objects.get(pk=same_release.pk).resolved

    settings.APP_ERRORS = {**settings.APP_ERRORS, "RELEASE": "1.1"}
    newer = push_invoice(3)
    group.refresh_from_db()
    assert not group.resolved and group.is_regressed
    assert not AppError.objects.get(pk=newer.pk).resolved
    assert (group.first_release, group.last_release) == ("1.0", "1.1")
    assert AppError.objects.get(pk=newer.pk).release == "1.1"


def test_a_snooze_for_occurrences_ends_on_the_last_of_them(staff):
    push_invoice(1)
    group = ErrorGroup.objects.get()
    mute_error_group(group=group, by=staff, for_occurrences=2)

    first = push_invoice(2)
    group.refresh_from_db()
    assert group.is_muted and group.mute_remaining == 1
    assert not first.group_change.snooze_ended

    second = push_invoice(3)
    group.refresh_from_db()
    assert not group.is_muted
    assert second.group_change.snooze_ended
    assert activity_kinds(group) == ["muted", "unmuted"]


def test_a_snooze_until_a_time_ends_with_the_first_occurrence_after_it(staff):
    push_invoice(1)
    group = ErrorGroup.objects.get()
    mute_error_group(group=group, by=staff, until=timezone.now() + datetime.timedelta(hours=1))
    push_invoice(2)
    group.refresh_from_db()
    assert group.is_muted

    ErrorGroup.objects.filter(pk=group.pk).update(
        muted_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    ended = push_invoice(3)

    group.refresh_from_db()
    assert not group.is_muted and ended.group_change.snooze_ended


def test_mute_is_independent_of_regression_and_a_manual_unmute_is_recorded(staff):
    push_invoice(1)
    group = ErrorGroup.objects.get()
    mute_error_group(group=group, by=staff)
    resolve_error_group(group=group, by=staff)

    push_invoice(2)
    group.refresh_from_db()
    assert group.is_muted and group.is_regressed

    unmute_error_group(group=group, by=staff)
    group.refresh_from_db()
    assert not group.is_muted
    entry = ErrorGroupActivity.objects.filter(group=group, kind="unmuted").get()
    assert entry.who == staff


def test_the_storm_limit_stores_a_bounded_number_of_rows_and_counts_them_all(settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "GROUP_ROWS_PER_HOUR": 5}
    job = "7c1811ed-e98f-4c9c-a9f9-58c757ff494f"
    results = []
    for n in range(12):
        try:
            raise XeroSyncError(f"Invoice for job {n} not synced")
        except XeroSyncError as exc:
            results.append(persist_app_error(exc, job_id=job))

    group = ErrorGroup.objects.get()
    assert group.count == 12
    assert group.shed_count == 7
    assert AppError.objects.count() == 5
    assert sum(not r.group_change.stored for r in results) == 7
    assert ErrorGroupSubject.objects.get(kind="job").count == 12
    assert sum(ErrorGroupHourlyCount.objects.values_list("count", flat=True)) == 12


def test_environment_and_release_come_from_the_settings_at_each_call(settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "RELEASE": "2.3.1", "ENVIRONMENT": "staging"}
    stored = AppError.objects.get(pk=push_invoice(1).pk)
    assert (stored.release, stored.environment) == ("2.3.1", "staging")

    settings.APP_ERRORS = {**settings.APP_ERRORS, "RELEASE": None, "ENVIRONMENT": None}
    stored = AppError.objects.get(pk=push_invoice(2).pk)
    assert (stored.release, stored.environment) == (None, None)


def test_jobs_and_users_are_counted_per_group():
    job = "bea691f2-2e25-4bec-6838-e0c44b03d60a"
    for _ in range(3):
        persist_app_error(ValueError("Job card locked"), app="jobs", job_id=job)

    subject = ErrorGroupSubject.objects.get()
    assert (subject.kind, str(subject.subject_id), subject.count) == ("job", job, 3)


def test_groups_made_in_a_rolled_back_transaction_are_not_remembered():
    from django.db import transaction

    from errors.routers import errors_alias

    with pytest.raises(RuntimeError), transaction.atomic(using=errors_alias()):
        push_invoice(1)
        push_invoice(2)
        raise RuntimeError("the caller rolls back")
    assert not ErrorGroup.objects.exists()

    later = push_invoice(3)

    assert AppError.objects.get(pk=later.pk).group_id == ErrorGroup.objects.get().pk


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_group_emptied_behind_the_process_back_is_made_again():
    """Outside a test's transaction, as in production, the process remembers group ids."""
    push_invoice(1)
    push_invoice(2)  # the group's id is known now
    AppError.objects.all().delete()
    ErrorGroup.objects.all().delete()

    again = push_invoice(3)

    stored = AppError.objects.get(pk=again.pk)
    assert stored.group_id == ErrorGroup.objects.get().pk
    assert ErrorGroup.objects.get().count == 1


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_release_first_seen_in_a_rolled_back_transaction_is_recorded_again(settings):
    from django.db import transaction

    from errors.models import ErrorRelease
    from errors.routers import errors_alias

    settings.APP_ERRORS = {**settings.APP_ERRORS, "RELEASE": "7.0"}
    with pytest.raises(RuntimeError), transaction.atomic(using=errors_alias()):
        push_invoice(1)
        raise RuntimeError("the caller rolls back")
    assert not ErrorRelease.objects.exists()

    push_invoice(2)

    assert ErrorRelease.objects.filter(version="7.0").exists()


def test_deleting_a_staff_member_clears_their_name_from_groups_and_activity(staff):
    push_invoice(1)
    group = ErrorGroup.objects.get()
    resolve_error_group(group=group, by=staff)

    staff.delete()

    group.refresh_from_db()
    assert group.resolved and group.resolved_by_id is None
    assert ErrorGroupActivity.objects.get(kind="resolved").who_id is None
