"""Rows changed behind their groups' back (back-dated, resolved in bulk) get groups that
describe them again, in the same groups, counted as the backfill counts."""

import datetime

import pytest
from django.utils import timezone

from errors.group_rebuild import rebuild_groups_of
from errors.models import AppError, ErrorGroup, ErrorGroupHourlyCount, ErrorGroupSubject
from errors.services import persist_app_error

pytestmark = pytest.mark.django_db(databases="__all__")

JOB = "7c1811ed-e98f-4c9c-a9f9-58c757ff494f"


class XeroSyncError(Exception):
    pass


class ReportTimeout(Exception):
    pass


def record(exc_type: type[Exception], message: str, **options) -> AppError:
    try:
        raise exc_type(message)
    except exc_type as exc:
        return persist_app_error(exc, job_id=JOB, **options)


def back_date(errors: list[AppError], *ages: datetime.timedelta, resolved_by=None) -> None:
    now = timezone.now()
    for error, age in zip(errors, ages, strict=True):
        error.timestamp = now - age
        if resolved_by is not None:
            error.resolved, error.resolved_by = True, resolved_by
            error.resolved_timestamp = error.timestamp + datetime.timedelta(minutes=10)
    AppError.objects.bulk_update(
        errors, ["timestamp", "resolved", "resolved_by", "resolved_timestamp"]
    )


def test_a_back_dated_and_resolved_group_is_recounted_in_place(staff):
    errors = [record(XeroSyncError, f"Invoice for job {n} not synced") for n in range(3)]
    group = ErrorGroup.objects.get()
    days = [datetime.timedelta(days=d, hours=1) for d in (9, 5, 2)]
    back_date(errors, *days, resolved_by=staff)

    assert rebuild_groups_of(error_ids=[errors[0].pk]) == 1

    rebuilt = ErrorGroup.objects.get()
    assert rebuilt.pk == group.pk and rebuilt.count == 3
    rows = list(AppError.objects.order_by("timestamp"))
    assert {row.group_id for row in rows} == {group.pk}
    assert (rebuilt.first_seen, rebuilt.last_seen) == (rows[0].timestamp, rows[-1].timestamp)
    assert rebuilt.resolved and rebuilt.resolved_by_id == staff.pk
    assert rebuilt.resolved_timestamp == rows[-1].resolved_timestamp
    hours = sorted(ErrorGroupHourlyCount.objects.values_list("hour", "count"))
    assert [n for _, n in hours] == [1, 1, 1]
    assert [hour for hour, _ in hours] == [
        row.timestamp.replace(minute=0, second=0, microsecond=0) for row in rows
    ]
    job = ErrorGroupSubject.objects.get(kind="job")
    assert (job.count, job.last_seen) == (3, rows[-1].timestamp)


def test_a_group_with_one_open_row_stays_open(staff):
    errors = [record(XeroSyncError, f"Invoice for job {n} not synced") for n in range(2)]
    back_date(errors[:1], datetime.timedelta(days=3), resolved_by=staff)

    rebuild_groups_of(error_ids=[errors[0].pk])

    group = ErrorGroup.objects.get()
    assert not group.resolved and group.resolved_timestamp is None
    assert group.first_seen == AppError.objects.get(pk=errors[0].pk).timestamp


def test_only_the_groups_of_the_given_rows_are_rebuilt():
    xero = record(XeroSyncError, "Invoice for job 1 not synced")
    report = record(ReportTimeout, "KPI report timed out")
    back_date([xero, report], datetime.timedelta(days=4), datetime.timedelta(days=4))

    rebuild_groups_of(error_ids=[xero.pk])

    assert ErrorGroup.objects.get(pk=xero.group_id).last_seen < timezone.now() - (
        datetime.timedelta(days=3)
    )
    assert ErrorGroup.objects.get(pk=report.group_id).last_seen > timezone.now() - (
        datetime.timedelta(hours=1)
    )


def test_rows_keep_the_group_their_custom_fingerprint_chose():
    errors = [
        record(XeroSyncError, f"Invoice for job {n} not synced", fingerprint=["xero", str(n)])
        for n in range(2)
    ]
    before = {error.pk: error.group_id for error in errors}
    assert len(set(before.values())) == 2
    back_date(errors, datetime.timedelta(days=2), datetime.timedelta(days=1))

    rebuild_groups_of(error_ids=list(before))

    assert dict(AppError.objects.values_list("pk", "group_id")) == before
    assert sorted(ErrorGroup.objects.values_list("count", flat=True)) == [1, 1]
