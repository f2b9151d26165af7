"""persist_app_error also takes its options as one AppErrorContext (the upstream project's
later API), beside the keyword form it always had; keywords given with a context win."""

import dataclasses
import logging
import uuid

import pytest

from errors.models import AppError, Severity
from errors.services import AppErrorContext, persist_app_error

pytestmark = pytest.mark.django_db(databases="__all__")

JOB_ID = uuid.UUID("6f1c2b8e-0f7a-4c57-9d55-2d7f1f0a9b11")
USER_ID = uuid.UUID("0b9d7c52-3c1e-4f53-8f0a-6a2c1d5e7f90")


def raise_value_error(message: str = "boom") -> ValueError:
    try:
        raise ValueError(message)
    except ValueError as exc:
        return exc


def stored(error: AppError | None) -> AppError:
    assert error is not None and not error._state.adding, "the row was not stored"
    return AppError.objects.get(pk=error.pk)


def test_every_field_of_a_context_is_stored():
    context = AppErrorContext(
        app="xero",
        file="xero/sync.py",
        function="XeroContactSync.push_contact",
        severity="warning",
        job_id=JOB_ID,
        user_id=str(USER_ID),
        additional_context={"invoice": "INV-7"},
    )
    error = stored(persist_app_error(raise_value_error(), context))
    assert (error.app, error.file, error.function) == (
        "xero",
        "xero/sync.py",
        "XeroContactSync.push_contact",
    )
    assert error.severity == Severity.WARNING
    assert (error.job_id, error.user_id) == (JOB_ID, USER_ID)
    assert error.data["invoice"] == "INV-7"


def test_an_empty_context_reads_the_caller_and_defaults_to_error():
    error = stored(persist_app_error(raise_value_error(), AppErrorContext()))
    assert error.app == "tests"
    assert error.file == "tests/test_app_error_context.py"
    assert error.function == "test_an_empty_context_reads_the_caller_and_defaults_to_error"
    assert error.severity == Severity.ERROR


def test_fields_left_out_of_the_context_are_read_from_the_caller():
    error = stored(persist_app_error(raise_value_error(), AppErrorContext(app="xero")))
    assert error.app == "xero"
    assert error.file == "tests/test_app_error_context.py"
    assert error.function == "test_fields_left_out_of_the_context_are_read_from_the_caller"


def test_explicit_keywords_win_over_the_context():
    context = AppErrorContext(
        app="xero",
        function="from_context",
        severity="debug",
        job_id=JOB_ID,
        additional_context={"from": "context"},
    )
    error = stored(
        persist_app_error(
            raise_value_error(),
            context,
            function="from_keyword",
            severity=logging.CRITICAL,
            additional_context={"from": "keyword"},
        )
    )
    assert error.app == "xero"  # not given as a keyword: the context's
    assert error.function == "from_keyword"
    assert error.severity == Severity.CRITICAL
    assert error.job_id == JOB_ID
    assert error.data["from"] == "keyword"


def test_the_keyword_form_and_a_positional_app_keep_working():
    keyword = stored(persist_app_error(raise_value_error(), app="xero", severity="info"))
    positional = stored(persist_app_error(raise_value_error(), "xero"))
    plain = stored(persist_app_error(raise_value_error()))
    assert (keyword.app, keyword.severity) == ("xero", Severity.INFO)
    assert (positional.app, positional.severity) == ("xero", Severity.ERROR)
    assert (plain.app, plain.function) == (
        "tests",
        "test_the_keyword_form_and_a_positional_app_keep_working",
    )


def test_a_context_is_frozen_and_takes_keywords_only():
    context = AppErrorContext(app="xero")
    with pytest.raises(dataclasses.FrozenInstanceError):
        context.app = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        AppErrorContext("xero")  # type: ignore[misc]
    assert [field.name for field in dataclasses.fields(AppErrorContext)] == [
        "app",
        "file",
        "function",
        "severity",
        "job_id",
        "user_id",
        "additional_context",
    ]
