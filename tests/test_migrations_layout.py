"""errors/migrations/0018: the exception type's column, and on SQLite the table rebuilt with
``data`` last, every row keeping its rowid and the table its indexes and triggers."""

import json
import uuid

import pytest
from django.core.management import call_command
from django.db import connections
from rest_framework.test import APIClient

from errors.export import iter_app_error_rows
from errors.models import AppError
from errors.selectors import filter_app_errors
from tests.test_migrations import indexed_words, totals

BEFORE = "0017_one_trip_functions"


def table_schema() -> dict[tuple[str, str], str]:
    """errors_apperror's own SQL and every index and trigger on it, by (type, name)."""
    with connections["errors"].cursor() as cursor:
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'errors_apperror'"
        )
        return {(kind, name): sql for kind, name, sql in cursor.fetchall()}


def column_names() -> list[str]:
    connection = connections["errors"]
    with connection.cursor() as cursor:
        return [
            column.name
            for column in connection.introspection.get_table_description(cursor, "errors_apperror")
        ]


def store_before_the_column(number: int) -> uuid.UUID:
    """An error written as a database before 0018 holds it (no exception_type column)."""
    connection = connections["errors"]
    pk = uuid.uuid4()
    data = {"exception_type": "xero.QuokkaTimeout", "trace": "t" * 5000, "invoice": number}
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO errors_apperror (id, timestamp, message, data, app, severity, resolved)"
            " VALUES (%s, %s, %s, %s, 'xero', 40, false)",
            [
                pk.hex if connection.vendor == "sqlite" else pk,
                f"2026-12-01 10:00:0{number}",
                f"Invoice {number} rejected",
                json.dumps(data),
            ],
        )
    return pk


def rowids() -> dict[str, int]:
    with connections["errors"].cursor() as cursor:
        cursor.execute("SELECT id, rowid FROM errors_apperror")
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True, databases=["default", "errors"])
def test_rows_stored_before_the_migration_keep_their_type_search_and_totals(staff):
    """Migrated up from a database built by the migrations before 0018 (not by 0018's own
    reverse), with errors in it, to the newest migration: so a later migration that remade
    the table Django's way (new rowids, no triggers) fails here too."""
    connection = connections["errors"]
    is_sqlite = connection.vendor == "sqlite"
    try:
        call_command("migrate", "errors", "zero", database="errors", verbosity=0)
        call_command("migrate", "errors", BEFORE, database="errors", verbosity=0)
        stored = [store_before_the_column(number) for number in range(4)]
        # A gap in the rowids, as deletes leave: a copy that numbered the rows afresh
        # would move the others.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM errors_apperror WHERE message = 'Invoice 0 rejected'")
        stored = stored[1:]
        before = table_schema() if is_sqlite else None
        ids_before = rowids() if is_sqlite else None

        call_command("migrate", "errors", database="errors", verbosity=0)

        types = dict(AppError.objects.values_list("pk", "exception_type"))
        assert set(types) == set(stored)
        # SQLite's rebuild filled the column in; PostgreSQL's rows keep NULL (no rewrite).
        assert set(types.values()) == {"xero.QuokkaTimeout" if is_sqlite else None}
        api = APIClient()
        api.force_authenticate(staff)
        listed = api.get("/api/app-errors/").json()["results"]
        assert [row["exception_type"] for row in listed] == ["xero.QuokkaTimeout"] * 3
        exported = [row for chunk in iter_app_error_rows(filter_app_errors({})) for row in chunk]
        assert len(exported) == 3
        assert all("xero.QuokkaTimeout" in row for row in exported)
        assert indexed_words("quokkatimeout") == 3
        assert totals() == (3, 3)
        if is_sqlite:
            after = table_schema()
            table = ("table", "errors_apperror")
            assert {key: sql for key, sql in after.items() if key != table} == {
                key: sql for key, sql in before.items() if key != table
            }
            assert column_names()[-1] == "data"
            assert rowids() == ids_before

            call_command("migrate", "errors", BEFORE, database="errors", verbosity=0)
            assert table_schema() == before
            assert rowids() == ids_before
            assert indexed_words("quokkatimeout") == 3
    finally:  # the tests after this one need the schema back, whatever happened here
        call_command("migrate", "errors", database="errors", verbosity=0)
    AppError.objects.filter(pk=stored[0]).delete()
    assert totals() == (2, 2)
    assert indexed_words("quokkatimeout") == 2
