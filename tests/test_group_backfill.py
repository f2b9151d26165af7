"""Errors stored before groups existed get their groups: the same groups live errors join,
counted exactly, resumable, and safe beside live writes."""

import io

import pytest
from django.core.management import call_command

from errors.group_backfill import (
    count_ungrouped_app_errors,
    culprit_from_trace,
    group_app_errors,
)
from errors.models import AppError, ErrorGroup, ErrorGroupHourlyCount, ErrorGroupSubject
from errors.services import persist_app_error

pytestmark = pytest.mark.django_db(databases="__all__")

JOB = "7c1811ed-e98f-4c9c-a9f9-58c757ff494f"


class XeroSyncError(Exception):
    pass


def sync_invoice(job: int) -> AppError:
    try:
        raise XeroSyncError(f"Invoice for job {job} not synced")
    except XeroSyncError as exc:
        return persist_app_error(exc, job_id=JOB)


def push_invoice(job: int) -> None:
    raise XeroSyncError(f"Invoice for job {job} not synced")


class InvoiceSync:
    def push(self, job: int) -> None:
        raise XeroSyncError(f"Invoice for job {job} not synced")


def sync_all(job: int) -> None:
    def push_one() -> None:
        raise XeroSyncError(f"Invoice for job {job} not synced")

    push_one()


def persisted(call, job: int) -> AppError:
    try:
        call(job)
    except XeroSyncError as exc:
        return persist_app_error(exc, job_id=JOB)
    raise AssertionError("expected the call to raise")


def as_old_row(error: AppError, **changes) -> AppError:
    """A copy of a stored error as it was before groups existed: no group, not counted."""
    stored = AppError.objects.get(pk=error.pk)
    fields = {
        name: getattr(stored, name)
        for name in ("message", "data", "app", "file", "function", "severity", "job_id")
    }
    return AppError.objects.create(**{**fields, **changes})


def test_old_rows_join_the_group_a_live_error_of_the_same_failure_joined():
    live = sync_invoice(1)
    group = ErrorGroup.objects.get()
    old = [as_old_row(live, message=f"Invoice for job {n} not synced") for n in (2, 3)]
    assert count_ungrouped_app_errors() == 2

    progress = group_app_errors(batch_size=1)

    assert progress.grouped == 2 and progress.groups_created == 0
    assert {AppError.objects.get(pk=row.pk).group_id for row in old} == {group.pk}
    group.refresh_from_db()
    assert group.count == 3
    assert sum(ErrorGroupHourlyCount.objects.values_list("count", flat=True)) == 3
    assert ErrorGroupSubject.objects.get(kind="job").count == 3
    assert count_ungrouped_app_errors() == 0


@pytest.mark.parametrize(
    ("call", "culprit"),
    [
        (InvoiceSync().push, "tests.test_group_backfill.InvoiceSync.push"),
        (sync_all, "tests.test_group_backfill.sync_all.<locals>.push_one"),
        (push_invoice, "tests.test_group_backfill.push_invoice"),
    ],
    ids=["method", "nested function", "module function"],
)
def test_old_rows_of_a_failure_join_its_live_group_whatever_function_raised(call, culprit):
    live = persisted(call, 1)
    old = AppError.objects.get(pk=as_old_row(live).pk)
    assert old.group_id is None

    progress = group_app_errors()

    assert progress.grouped == 1 and progress.groups_created == 0
    old.refresh_from_db()
    group = ErrorGroup.objects.get()
    assert old.group_id == live.group_id == group.pk
    assert group.culprit == culprit and group.count == 2


def test_old_rows_without_a_trace_group_by_app_and_function():
    for n in range(3):
        AppError.objects.create(message=f"Report {n} failed", app="reports", function="kpi")
    AppError.objects.create(message="Report 9 failed", app="reports", function="aging")

    group_app_errors()

    counts = sorted(ErrorGroup.objects.values_list("culprit", "count"))
    assert counts == [("reports.aging", 1), ("reports.kpi", 3)]


def test_a_group_of_only_resolved_old_rows_is_resolved(staff):
    import django.utils.timezone as tz

    moment = tz.now()
    for _ in range(2):
        AppError.objects.create(
            message="Old",
            app="a",
            function="f",
            resolved=True,
            resolved_by=staff,
            resolved_timestamp=moment,
        )
    group_app_errors()

    group = ErrorGroup.objects.get()
    assert group.resolved and group.resolved_by_id == staff.pk
    assert group.resolved_timestamp == moment


def test_the_command_is_resumable_and_reports_what_it_did():
    for n in range(5):
        AppError.objects.create(message=f"Sync {n} failed", app="xero", function="push")
    out = io.StringIO()

    call_command("group_app_errors", "--limit", "2", "--quiet", stdout=out)
    assert count_ungrouped_app_errors() == 3
    call_command("group_app_errors", "--quiet", stdout=out)

    assert count_ungrouped_app_errors() == 0
    assert ErrorGroup.objects.get().count == 5
    assert "Grouped 3 error(s) into 0 new group(s)" in out.getvalue()


def test_bad_command_arguments_are_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("group_app_errors", "--batch-size", "0")


def trace_through(path, line: int, function: str) -> str:
    return (
        "Traceback (most recent call last):\n"
        f'  File "{path}", line {line}, in {function}\n'
        "    raise XeroSyncError(message)\n"
        "XeroSyncError: Invoice for job 1 not synced"
    )


SYNC_SOURCE = """\
import os


class InvoiceSync:
    def push(self):
        raise XeroSyncError("Invoice not synced")


class ContactSync:
    def pull(self):
        raise XeroSyncError("Contact not synced")

    def push(self):
        raise XeroSyncError("Contact not synced")
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "xero").mkdir()
    (tmp_path / "xero" / "sync.py").write_text(SYNC_SOURCE)
    return tmp_path


@pytest.mark.parametrize(
    ("line", "function", "culprit"),
    [
        (6, "push", "xero.sync.InvoiceSync.push"),  # in the method
        (14, "push", "xero.sync.ContactSync.push"),  # the other method of that name
        (1, "pull", "xero.sync.ContactSync.pull"),  # moved since: the only pull
        (11, "pull", "xero.sync.ContactSync.pull"),
        (11, "fetch", "xero.sync.fetch"),  # edited: no fetch any more
        (1, "push", "xero.sync.push"),  # moved since, and two of that name
        (7, "push", "xero.sync.push"),  # between the two
        (6, "<module>", "xero.sync.<module>"),
    ],
)
def test_a_stored_trace_names_the_function_as_its_source_does(project, line, function, culprit):
    trace = trace_through(project / "xero" / "sync.py", line, function)
    assert culprit_from_trace(trace, project) == culprit


@pytest.mark.parametrize(
    "make",
    [
        lambda path: None,  # gone
        lambda path: path.write_text("class InvoiceSync:\n    def push(self) -> None\n"),
        lambda path: path.write_bytes(b"def push():\n    pass\n\xff\x00"),
        lambda path: path.mkdir(),  # not a readable file
    ],
    ids=["missing", "syntax error", "not text", "a folder"],
)
def test_a_stored_trace_whose_source_cannot_be_read_keeps_the_plain_name(tmp_path, make):
    make(tmp_path / "billing.py")
    trace = trace_through(tmp_path / "billing.py", 2, "push")
    assert culprit_from_trace(trace, tmp_path) == "billing.push"
