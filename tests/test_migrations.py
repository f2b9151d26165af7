"""The errors app's migrations: readable SQL that builds, tears down and rebuilds the schema
on SQLite and PostgreSQL, and that matches the models and the SQL builders."""

import ast
import importlib
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Sum

from errors import count_triggers, search_document
from errors.models import AppError, AppErrorCount, AppErrorDailyCount, AppErrorHourlyCount
from errors.services import persist_app_error

MIGRATIONS = Path(__file__).resolve().parent.parent / "errors" / "migrations"
SQUASHED = "0001_squashed_0011_errors"

# What the migrations build, per vendor, besides the tables of the managed models.
TABLES = {
    # FTS5 keeps its index in shadow tables of its own.
    # and a mass change marks its transaction in a table of its own (migration 0014).
    "sqlite": {"errors_apperror_fts", "errors_apperror_bulk_change"}
    | {f"errors_apperror_fts_{part}" for part in ("config", "content", "data", "docsize", "idx")},
    "postgresql": {"errors_apperror_search", "errors_apperror_search_word"},
}
TOTALS_TRIGGERS = {
    f"errors_apperror_{period}_{event}"
    for period in ("hourly", "daily")
    for event in ("insert", "update", "delete")
}
TRIGGERS = {
    "sqlite": TOTALS_TRIGGERS
    | {"errors_apperror_fts_insert", "errors_apperror_fts_update", "errors_apperror_fts_delete"},
    "postgresql": TOTALS_TRIGGERS
    | {"errors_apperror_hourly_truncate", "errors_apperror_daily_truncate"}
    | {f"errors_apperror_search_{event}" for event in ("insert", "update", "delete", "truncate")}
    | {"errors_apperror_search_word_insert"},
}
FUNCTIONS = {
    "sqlite": set(),
    "postgresql": {
        "errors_search_words",
        "errors_search_document",
        "errors_apperror_search_write",
        "errors_apperror_search_word_write",
        "errors_apperror_hourly_write",
        "errors_apperror_daily_write",
        "errors_alert_threshold_check",
        "errors_group_count_occurrence",
    },
}
INDEXES = {"sqlite": set(), "postgresql": {"apperror_related", "errors_apperror_search_document"}}


def squashed_migration():
    return importlib.import_module(f"errors.migrations.{SQUASHED}")


def errors_schema() -> dict[str, set[str]]:
    """The errors app's tables, triggers, functions and hand-written indexes as the errors
    database holds them."""
    connection = connections["errors"]
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            triggers = {name for (name,) in cursor.fetchall()}
            functions, indexes = set(), set()
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            triggers = {name for (name,) in cursor.fetchall()}
            cursor.execute(
                "SELECT proname FROM pg_proc WHERE proname LIKE 'errors%%' "
                "AND pronamespace = 'public'::regnamespace"
            )
            functions = {name for (name,) in cursor.fetchall()}
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)",
                [sorted(INDEXES["postgresql"])],
            )
            indexes = {name for (name,) in cursor.fetchall()}
    errors_tables = {name for name in tables if name.startswith("errors_")}
    return {
        "tables": errors_tables,
        "triggers": {name for name in triggers if name.startswith("errors_")},
        "functions": functions,
        "indexes": indexes,
    }


def expected_schema(vendor: str) -> dict[str, set[str]]:
    model_tables = {
        model._meta.db_table
        for model in apps.get_app_config("errors").get_models()
        if model._meta.managed
    }
    return {
        "tables": model_tables | TABLES[vendor],
        "triggers": TRIGGERS[vendor],
        "functions": FUNCTIONS[vendor],
        "indexes": INDEXES[vendor],
    }


def indexed_words(word: str) -> int:
    """How many errors the full-text index finds for one word, asked in the index's own SQL."""
    connection = connections["errors"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM errors_apperror_fts WHERE errors_apperror_fts MATCH %s",
                [word],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM errors_apperror_search "
                "WHERE document @@ to_tsquery('simple', %s)",
                [word],
            )
        return cursor.fetchone()[0]


def totals() -> tuple[int, int]:
    return tuple(
        model.objects.aggregate(total=Sum("total"))["total"] or 0
        for model in (AppErrorHourlyCount, AppErrorDailyCount)
    )


@pytest.mark.django_db(transaction=True, databases=["default", "errors"])
def test_errors_database_migrates_to_zero_and_back_up_and_stores_and_counts_errors():
    vendor = connections["errors"].vendor
    assert errors_schema() == expected_schema(vendor)
    try:
        call_command("migrate", "errors", "zero", database="errors", verbosity=0)
        assert not any(errors_schema().values())
    finally:  # the tests after this one need the schema back, whatever happened here
        call_command("migrate", "errors", database="errors", verbosity=0)
    assert errors_schema() == expected_schema(vendor)

    stored = persist_app_error(ValueError("Invoice rejected by quokka"), app="xero")
    persist_app_error(KeyError("job"), app="jobs")
    assert AppError.objects.filter(pk=stored.pk, app="xero").exists()
    assert totals() == (2, 2)
    assert indexed_words("quokka") == 1
    AppError.objects.filter(app="jobs").delete()
    assert totals() == (1, 1)


@pytest.mark.django_db(databases=["errors"])
def test_a_database_migrated_with_the_replaced_migrations_counts_the_squash_as_applied():
    """A database migrated with the old files records the ten replaced names and not the
    squash: with those rows the squash counts as applied, and migrate runs nothing."""
    connection = connections["errors"]
    recorder = MigrationRecorder(connection)
    replaced = set(squashed_migration().Migration.replaces)
    assert len(replaced) == 10  # 0001-0011; the empty 0008 was deleted before the squash
    recorder.record_unapplied("errors", SQUASHED)  # undone with the test's transaction
    applied = {key for key in recorder.applied_migrations() if key[0] == "errors"}
    assert replaced <= applied and ("errors", SQUASHED) not in applied
    executor = MigrationExecutor(connection)
    assert ("errors", SQUASHED) in executor.loader.applied_migrations
    assert executor.migration_plan(executor.loader.graph.leaf_nodes("errors")) == []


@pytest.mark.django_db(databases=["default", "errors"])
def test_makemigrations_finds_no_model_change_without_a_migration():
    out = io.StringIO()
    call_command("makemigrations", check=True, dry_run=True, stdout=out)
    assert "No changes detected" in out.getvalue()


def test_migrations_import_no_application_code():
    """A migration runs the same way for every database, now and later: what it needs it
    holds itself, never the application's current code."""
    for path in MIGRATIONS.glob("0*.py"):
        tree = ast.parse(path.read_text())
        imported = {
            name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
            )
        }
        top_level = {name.split(".")[0] for name in imported}
        assert top_level <= {"django", "uuid"}, (path.name, imported)


def test_squashed_migration_sql_equals_what_the_builders_generate():
    """The totals' triggers and the search document are written by errors/count_triggers.py
    and errors/search_document.py and held as literal text in the migration: the two must
    not drift apart unnoticed. A change to a builder belongs in a new migration, and this
    test then points at it."""
    migration = squashed_migration()
    tables = (count_triggers.HOURLY, count_triggers.DAILY)
    # SQLite has one writer at a time and one shard; a PostgreSQL connection writes its own.
    pg_shard = f"pg_backend_pid() % {AppErrorCount.SHARDS}"
    generated = {
        "sqlite": [sql for t in tables for sql in count_triggers.sqlite_triggers(t, "0")],
        "postgresql": [
            sql for t in tables for sql in count_triggers.postgresql_triggers(t, pg_shard)
        ],
    }
    generated_drop = {
        "sqlite": [sql for t in tables for sql in count_triggers.sqlite_drop_triggers(t)],
        "postgresql": [sql for t in tables for sql in count_triggers.postgresql_drop_triggers(t)],
    }
    assert generated == migration.TOTALS
    assert generated_drop == migration.TOTALS_DROP
    assert search_document.plpgsql_function() in migration.SEARCH["postgresql"]


def test_bulk_change_migration_sql_equals_what_the_builders_generate():
    """0014 replaces the totals' update triggers by ones that stand aside for a mass change
    (errors/bulk_resolution.py); its reverse restores the squashed migration's text."""
    migration = importlib.import_module("errors.migrations.0014_bulk_change_totals")
    squashed = squashed_migration()
    tables = (count_triggers.HOURLY, count_triggers.DAILY)
    created = {
        "sqlite": [count_triggers.sqlite_update_trigger(t, "0") for t in tables],
        "postgresql": [count_triggers.postgresql_update_trigger(t) for t in tables],
    }
    for vendor, statements in created.items():
        forward = [sql for sql in migration.UPDATE_TRIGGERS[vendor] if sql.startswith("CREATE")]
        assert forward == statements
        backward = migration.UPDATE_TRIGGERS_BEFORE[vendor]
        squashed_updates = [
            sql for sql in squashed.TOTALS[vendor] if sql.split("\n")[0].endswith("_update")
        ]
        assert [sql for sql in backward if sql.startswith("CREATE")] == squashed_updates
        assert all(sql.split("\n")[0].endswith("_update") for sql in squashed_updates)
        assert len(squashed_updates) == 2
