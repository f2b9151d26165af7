"""AppError.exception_type: the copy of ``data["exception_type"]`` every write of a row
stores, so lists and the export read it without parsing the JSON; and what a row stored
before the column existed (NULL) shows instead."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from errors.models import AppError
from errors.services import persist_app_error
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")


def stored_type(error: AppError) -> str | None:
    return AppError.objects.values_list("exception_type", flat=True).get(pk=error.pk)


def test_persist_stores_the_exception_type_in_its_column():
    error = persist_app_error(KeyError("invoice"), app="xero")
    assert stored_type(error) == error.data["exception_type"] == "KeyError"


def test_an_error_without_an_exception_stores_an_empty_type_not_null():
    error = persist_app_error("Nightly sync skipped", app="xero")
    assert error.data["exception_type"] is None
    assert stored_type(error) == ""


def test_create_bulk_create_and_save_copy_the_type_from_data():
    created = AppError.objects.create(message="m", data={"exception_type": "xero.Timeout"})
    (bulk,) = AppError.objects.bulk_create(
        [AppError(message="b", data={"exception_type": "sage.Refused"})]
    )
    assert stored_type(created) == "xero.Timeout"
    assert stored_type(bulk) == "sage.Refused"

    created.data = {"exception_type": "xero.RateLimited"}
    created.save()
    assert stored_type(created) == "xero.RateLimited"


@pytest.mark.parametrize("data", [{"exception_type": 42}, ["not", "a", "mapping"], "text"])
def test_a_type_that_is_not_text_is_stored_empty(data):
    error = AppError.objects.create(message="odd data", data=data)
    assert stored_type(error) == ""


def test_a_long_type_is_cut_to_the_column_length():
    error = AppError.objects.create(message="m", data={"exception_type": "x" * 300})
    assert stored_type(error) == "x" * 255


def test_a_row_stored_before_the_column_shows_the_type_from_its_data(staff):
    error = AppErrorFactory(exception=TimeoutError)
    AppError.objects.filter(pk=error.pk).update(exception_type=None)
    older = AppError.objects.get(pk=error.pk)
    api = APIClient()
    api.force_authenticate(staff)

    assert older.exception_type is None
    assert older.recorded_exception_type == "TimeoutError"
    (row,) = api.get("/api/app-errors/").json()["results"]
    assert row["exception_type"] == "TimeoutError"


def test_the_error_page_shows_the_type_of_a_row_stored_before_the_column(staff_client):
    error = AppErrorFactory(exception=TimeoutError)
    AppError.objects.filter(pk=error.pk).update(exception_type=None)

    page = staff_client.get(reverse("error_detail", args=[error.pk]))

    assert page.status_code == 200
    assert b'<code class="exception-type">TimeoutError</code>' in page.content
