import copy
import datetime
import decimal
import logging
import uuid

import pytest
from django.db import connections, transaction

from demo.xero.sync import XeroContactSync
from errors.models import AppError, Severity
from errors.routers import errors_alias
from errors.services import (
    app_error_for,
    build_app_error,
    persist_app_error,
    resolve_app_error,
    store_app_error,
    unresolve_app_error,
)

pytestmark = pytest.mark.django_db(databases="__all__")


def raise_value_error(message: str = "boom") -> ValueError:
    try:
        raise ValueError(message)
    except ValueError as exc:
        return exc


def test_plain_call_stores_message_trace_and_type():
    try:
        raise ValueError("Xero contact 42 missing")
    except ValueError as exc:
        error = persist_app_error(exc)
    stored = AppError.objects.get(pk=error.pk)
    assert stored.message == "Xero contact 42 missing"
    assert stored.data["exception_type"] == "ValueError"
    assert 'raise ValueError("Xero contact 42 missing")' in stored.data["trace"]
    assert stored.severity == Severity.ERROR
    assert stored.resolved is False


def test_caller_location_is_extracted():
    error = persist_app_error(raise_value_error())
    assert error.app == "tests"
    assert error.file == "tests/test_services.py"
    assert error.function == "test_caller_location_is_extracted"


def test_method_caller_gives_qualified_name_and_app_label():
    class Job:
        pass

    job = Job()
    job.id, job.client = uuid.uuid4(), "Harbour Joinery"
    error = XeroContactSync().push_contact(job, user_id=None, failure="Token revoked")
    assert error.function == "XeroContactSync.push_contact"
    assert error.app == "xero"
    assert error.file == "demo/xero/sync.py"
    assert error.job_id == job.id


def test_explicit_location_wins():
    error = persist_app_error(raise_value_error(), app="xero", file="x.py", function="sync")
    assert (error.app, error.file, error.function) == ("xero", "x.py", "sync")


def test_trace_is_right_outside_the_except_block():
    exc = raise_value_error("raised elsewhere")
    error = persist_app_error(exc)
    assert "in raise_value_error" in error.data["trace"]
    assert "raise ValueError(message)" in error.data["trace"]


def test_chained_causes_are_in_the_trace():
    try:
        try:
            raise KeyError("contact")
        except KeyError as cause:
            raise RuntimeError("sync failed") from cause
    except RuntimeError as exc:
        error = persist_app_error(exc)
    trace = error.data["trace"]
    assert "KeyError: 'contact'" in trace
    assert "direct cause of the following exception" in trace
    assert trace.rstrip().endswith("RuntimeError: sync failed")


def test_exception_type_is_dotted_for_non_builtins():
    from demo.xero.sync import XeroApiError

    error = persist_app_error(XeroApiError("x"))
    assert error.data["exception_type"] == "demo.xero.sync.XeroApiError"


def test_exception_never_raised_keeps_the_call_stack():
    error = persist_app_error(ValueError("never raised"))
    assert error.data["trace"].strip() == "ValueError: never raised"
    assert "test_exception_never_raised_keeps_the_call_stack" in error.data["stack"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (logging.WARNING, 30),
        ("ERROR", 40),
        ("warning", 30),
        (" Critical ", 50),
        ("warn", 30),
        (Severity.DEBUG, 10),
        ("20", 20),
    ],
)
def test_severity_accepts_levels_and_names(given, stored):
    error = persist_app_error(raise_value_error(), severity=given)
    assert error.severity == stored
    assert "invalid_severity" not in error.data


@pytest.mark.parametrize("given", ["loud", 35, True, 3.5])
def test_unknown_severity_is_error_and_noted(given):
    error = persist_app_error(raise_value_error(), severity=given)
    assert AppError.objects.get(pk=error.pk).severity == Severity.ERROR
    assert error.data["invalid_severity"] == str(given)


def test_severity_none_means_not_given_and_is_error():
    error = persist_app_error(raise_value_error(), severity=None)
    assert AppError.objects.get(pk=error.pk).severity == Severity.ERROR
    assert "invalid_severity" not in error.data


def test_ids_accept_uuids_and_strings():
    job, user = uuid.uuid4(), uuid.uuid4()
    error = persist_app_error(raise_value_error(), job_id=str(job), user_id=user)
    stored = AppError.objects.get(pk=error.pk)
    assert (stored.job_id, stored.user_id) == (job, user)


def test_invalid_ids_are_kept_in_data_not_raised():
    error = persist_app_error(raise_value_error(), job_id="JOB-1042", user_id=17)
    stored = AppError.objects.get(pk=error.pk)
    assert stored.job_id is None and stored.user_id is None
    assert stored.data["invalid_job_id"] == "JOB-1042"
    assert stored.data["invalid_user_id"] == "17"


def test_unserializable_context_is_converted(staff):
    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque thing>"

    job = uuid.uuid4()
    context = {
        "job": job,
        "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        "day": datetime.date(2026, 1, 2),
        "amount": decimal.Decimal("12.50"),
        "tags": {"b", "a"},
        "raw": b"\xffbytes",
        "staff": staff,
        "thing": Opaque(),
        7: "int key",
        "nested": {"values": (1, 2.5, float("nan"))},
    }
    error = persist_app_error(raise_value_error(), additional_context=context)
    data = AppError.objects.get(pk=error.pk).data
    assert data["job"] == str(job)
    assert data["when"] == "2026-01-02T03:04:05+00:00"
    assert data["day"] == "2026-01-02"
    assert data["amount"] == "12.50"
    assert data["tags"] == ["a", "b"]
    assert data["raw"] == "\\xffbytes"
    assert data["staff"] == {"model": "accounts.Staff", "pk": str(staff.pk), "repr": "Alice"}
    assert data["thing"] == "<Opaque thing>"
    assert data["7"] == "int key"
    assert data["nested"] == {"values": [1, 2.5, "nan"]}


def test_context_cannot_overwrite_the_trace():
    error = persist_app_error(raise_value_error("real"), additional_context={"trace": "fake"})
    assert "ValueError: real" in error.data["trace"]
    assert error.data["context_trace"] == "fake"


def test_same_exception_twice_is_one_row():
    exc = raise_value_error()
    first = persist_app_error(exc)
    second = persist_app_error(exc)
    assert first.pk == second.pk
    assert AppError.objects.count() == 1
    assert app_error_for(exc).pk == first.pk


def test_exception_raised_from_a_persisted_one_returns_its_row():
    cause = raise_value_error()
    first = persist_app_error(cause)
    try:
        raise RuntimeError("wrapped") from cause
    except RuntimeError as exc:
        second = persist_app_error(exc)
    assert second.pk == first.pk
    assert AppError.objects.count() == 1


def test_app_error_for_an_unpersisted_exception_is_none():
    assert app_error_for(raise_value_error()) is None


def test_a_failing_write_does_not_raise_and_is_logged(caplog, isolated_error_spool):
    """A real failure: the table is gone for the length of this test's transaction. The
    error is spooled (tests/test_spool.py replays it) and returned unsaved with its id."""
    with connections[errors_alias()].cursor() as cursor:
        cursor.execute("ALTER TABLE errors_apperror RENAME TO errors_apperror_away")
    with caplog.at_level(logging.ERROR, logger="errors.persist"):
        result = persist_app_error(raise_value_error("lost Xero invoice"))
    assert result is not None and result._state.adding
    assert str(result.pk) in isolated_error_spool.read_text()
    assert "lost Xero invoice" in caplog.text
    assert "Could not store an application error" in caplog.text


def test_a_failing_write_without_a_spool_is_logged_and_gives_none(caplog, settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "SPOOL_PATH": None}
    with connections[errors_alias()].cursor() as cursor:
        cursor.execute("ALTER TABLE errors_apperror RENAME TO errors_apperror_away")
    with caplog.at_level(logging.ERROR, logger="errors.persist"):
        result = persist_app_error(raise_value_error("lost Xero invoice"))
    assert result is None
    assert "lost Xero invoice" in caplog.text
    assert "Could not store an application error" in caplog.text


def test_a_failing_write_leaves_the_callers_transaction_usable(staff):
    with connections[errors_alias()].cursor() as cursor:
        cursor.execute("ALTER TABLE errors_apperror RENAME TO errors_apperror_away")
    with transaction.atomic(using=errors_alias()):
        assert persist_app_error(raise_value_error())._state.adding  # spooled, not stored
        with connections[errors_alias()].cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone()[0] == 1


def test_resolve_and_unresolve_set_all_three_fields(staff):
    error = persist_app_error(raise_value_error())
    resolve_app_error(error=error, by=staff)
    stored = AppError.objects.get(pk=error.pk)
    assert stored.resolved and stored.resolved_by == staff and stored.resolved_timestamp
    unresolve_app_error(error=stored)
    stored = AppError.objects.get(pk=error.pk)
    assert (stored.resolved, stored.resolved_by, stored.resolved_timestamp) == (False, None, None)


def test_resolving_twice_keeps_the_first_resolution(staff, viewer):
    error = persist_app_error(raise_value_error())
    resolve_app_error(error=error, by=staff)
    first_time = error.resolved_timestamp
    resolve_app_error(error=error, by=viewer)
    stored = AppError.objects.get(pk=error.pk)
    assert stored.resolved_by == staff and stored.resolved_timestamp == first_time


def test_deleting_a_staff_member_clears_resolved_by(staff):
    error = persist_app_error(raise_value_error())
    resolve_app_error(error=error, by=staff)
    staff.delete()
    stored = AppError.objects.get(pk=error.pk)
    assert stored.resolved_by_id is None and stored.resolved is True


def _stored_columns(pk) -> dict:
    row = AppError.objects.using(errors_alias()).filter(pk=pk).values().get()
    return {name: value for name, value in row.items() if name != "id"}


def test_the_compiled_insert_writes_the_row_save_writes():
    error = build_app_error(
        raise_value_error("Xero contact 42 missing\x00"),
        app="xero",
        file="demo/xero/sync.py",
        function="XeroContactSync.push",
        severity="warning",
        job_id=uuid.uuid4(),
        user_id="not-a-uuid",
        additional_context={"invoice": {"total": decimal.Decimal("1.10")}, "token": "x"},
    )
    twin = copy.deepcopy(error)
    twin.id = uuid.uuid4()

    assert store_app_error(error)
    twin.group_id = error.group_id  # the group is chosen while the row is written
    twin.save(using=errors_alias(), force_insert=True)

    assert not error._state.adding and error._state.db == errors_alias()
    assert _stored_columns(error.pk) == _stored_columns(twin.pk)
    assert _stored_columns(error.pk)["data"]["invoice"] == {"total": "1.10"}


def test_a_post_save_receiver_still_hears_about_each_error():
    from django.db.models.signals import post_save

    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(receiver, sender=AppError)
    try:
        error = persist_app_error(raise_value_error())
    finally:
        post_save.disconnect(receiver, sender=AppError)
    assert heard == [(error.pk, True)]
    assert AppError.objects.filter(pk=error.pk).exists()
