"""An error row survives the caller's rolled-back transaction, and the caller's transaction
is left exactly as it was: the errors alias is a connection of its own."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path

from errors.context import extract_request_context
from errors.models import AppError
from errors.routers import errors_alias
from errors.services import persist_app_error

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


class InvoiceMismatch(Exception):
    pass


def failing(message: str = "invoice total mismatch") -> InvoiceMismatch:
    try:
        raise InvoiceMismatch(message)
    except InvoiceMismatch as exc:
        return exc


def test_error_persisted_in_a_rolled_back_atomic_block_is_kept():
    staff_model = get_user_model()
    with pytest.raises(InvoiceMismatch), transaction.atomic():
        staff_model.objects.create(username="temporary")
        error = persist_app_error(failing())
        raise InvoiceMismatch("the caller gives up")

    assert AppError.objects.filter(pk=error.pk, message="invoice total mismatch").exists()
    assert not staff_model.objects.filter(username="temporary").exists()
    assert not connection.in_atomic_block


def test_persisting_leaves_the_callers_transaction_state_untouched():
    staff_model = get_user_model()
    with transaction.atomic():
        staff_model.objects.create(username="outer")
        with transaction.atomic():
            savepoints_before = list(connection.savepoint_ids)
            persist_app_error(failing())
            assert connection.in_atomic_block
            assert connection.savepoint_ids == savepoints_before
            assert not connection.needs_rollback
            staff_model.objects.create(username="inner")
    assert set(staff_model.objects.values_list("username", flat=True)) == {"outer", "inner"}
    assert AppError.objects.count() == 1


def test_error_committed_before_the_caller_commits():
    """Another connection sees the row while the caller's transaction is still open."""
    with transaction.atomic():
        error = persist_app_error(failing())
        other = connections.create_connection(errors_alias())
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM errors_apperror WHERE id = %s", [error.pk.hex])
                seen_by_another_connection = cursor.fetchone()[0]
        finally:
            other.close()
        assert seen_by_another_connection == 1


def test_a_refused_write_inside_the_callers_transaction_does_not_break_it(
    isolated_error_spool,
):
    """The errors table is gone: the error is spooled, and the caller's writes on the
    default alias still commit."""
    staff_model = get_user_model()
    with connections[errors_alias()].cursor() as cursor:
        cursor.execute("ALTER TABLE errors_apperror RENAME TO errors_apperror_away")
    try:
        with transaction.atomic():
            staff_model.objects.create(username="kept")
            assert persist_app_error(failing())._state.adding
            assert not connection.needs_rollback
    finally:
        with connections[errors_alias()].cursor() as cursor:
            cursor.execute("ALTER TABLE errors_apperror_away RENAME TO errors_apperror")
    assert staff_model.objects.filter(username="kept").exists()
    assert isolated_error_spool.exists()


def create_then_fail(request: HttpRequest) -> HttpResponse:
    """A view that records its failure itself, inside the request's transaction."""
    get_user_model().objects.create(username="made-by-the-request")
    try:
        raise InvoiceMismatch("request failed half-way")
    except InvoiceMismatch as exc:
        persist_app_error(exc, additional_context={"request": extract_request_context(request)})
        raise


urlpatterns = [path("create-then-fail/", create_then_fail)]


@pytest.fixture
def atomic_requests():
    """ATOMIC_REQUESTS on the default alias, as many projects run."""
    settings_dict = connections["default"].settings_dict
    saved = settings_dict.get("ATOMIC_REQUESTS", False)
    settings_dict["ATOMIC_REQUESTS"] = True
    yield
    settings_dict["ATOMIC_REQUESTS"] = saved


@pytest.mark.urls(__name__)
def test_error_recorded_inside_an_atomic_request_survives_its_rollback(client, atomic_requests):
    client.raise_request_exception = False
    response = client.get("/create-then-fail/?page=2")

    assert response.status_code == 500
    assert not get_user_model().objects.filter(username="made-by-the-request").exists()
    error = AppError.objects.get(message="request failed half-way")
    assert error.data["request"]["path"] == "/create-then-fail/"
