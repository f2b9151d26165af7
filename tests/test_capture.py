"""Automatic capture: the middleware and the logging handler."""

import logging

import pytest
from django.db import connections

from errors.logging import AppErrorHandler
from errors.models import AppError, Severity
from errors.routers import errors_alias

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.mark.urls("tests.raising_views")
def test_unhandled_view_exception_is_persisted_with_request_context(client, staff):
    client.raise_request_exception = False
    client.force_login(staff)
    response = client.get("/explode/?job=42", HTTP_USER_AGENT="pytest")
    assert response.status_code == 500
    error = AppError.objects.get()
    assert error.message == "invoice total divided by zero"
    assert error.function == "InvoiceView.explode"
    assert error.file == "tests/raising_views.py"
    assert error.app == "tests"
    assert error.user_id == staff.pk
    assert error.data["request"]["path"] == "/explode/"
    assert error.data["request"]["method"] == "GET"
    assert error.data["request"]["query_string"] == "job=42"


@pytest.mark.urls("tests.raising_views")
def test_anonymous_request_exception_is_persisted(client):
    client.raise_request_exception = False
    assert client.get("/explode/").status_code == 500
    error = AppError.objects.get()
    assert error.user_id is None and error.data["request"]["user_id"] is None


@pytest.mark.urls("tests.raising_views")
def test_http_404_is_not_an_application_error(client):
    assert client.get("/missing/").status_code == 404
    assert not AppError.objects.exists()


@pytest.fixture
def capturing_logger():
    logger = logging.getLogger("tests.capture")
    handler = AppErrorHandler()
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, handler
    logger.removeHandler(handler)
    logger.propagate = True


def test_logged_exception_is_persisted_from_the_record(capturing_logger):
    logger, _ = capturing_logger

    def sync_contacts():
        try:
            raise ConnectionError("Xero unreachable")
        except ConnectionError:
            logger.exception("Contact sync failed")

    sync_contacts()
    error = AppError.objects.get()
    assert error.message == "Xero unreachable"
    assert error.function == "sync_contacts"
    assert error.file == "tests/test_capture.py"
    assert error.severity == Severity.ERROR
    assert error.data["log_message"] == "Contact sync failed"
    assert "ConnectionError: Xero unreachable" in error.data["trace"]


def test_plain_records_are_ignored_unless_asked_for(capturing_logger):
    logger, handler = capturing_logger
    logger.warning("just a warning")
    assert not AppError.objects.exists()
    handler.capture_all_at = logging.WARNING
    logger.warning("KPI report took %ss", 31)
    error = AppError.objects.get()
    assert error.message == "KPI report took 31s"
    assert error.severity == Severity.WARNING


def test_handler_does_not_recurse_when_persisting_fails(capturing_logger, caplog):
    logger, _ = capturing_logger
    # The persist failure is logged on "errors.persist"; send that to the same handler too.
    persist_logger = logging.getLogger("errors.persist")
    handler = AppErrorHandler()
    persist_logger.addHandler(handler)
    try:
        with connections[errors_alias()].cursor() as cursor:
            cursor.execute("ALTER TABLE errors_apperror RENAME TO errors_apperror_away")
        with caplog.at_level(logging.ERROR):
            try:
                raise ValueError("while the database is away")
            except ValueError:
                logger.exception("failed")
    finally:
        persist_logger.removeHandler(handler)
    failures = [r for r in caplog.records if r.name == "errors.persist"]
    assert len(failures) == 1
    assert "while the database is away" in failures[0].getMessage()
