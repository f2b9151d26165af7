"""The project's set-up: routing, settings, demo data."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from errors.models import AppError
from errors.routers import AppErrorRouter, errors_alias, errors_database_is_separate

pytestmark = pytest.mark.django_db(databases="__all__")


def test_errors_are_routed_through_their_own_alias():
    assert errors_alias() == "errors"
    assert AppError.objects.all().db == "errors"
    is_sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    assert errors_database_is_separate() is is_sqlite


def test_sqlite_databases_use_wal_and_immediate_transactions():
    for alias in ("default", "errors"):
        config = settings.DATABASES[alias]
        if config["ENGINE"].endswith("sqlite3"):
            assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
            assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_seed_demo_errors_records_real_extracted_errors(staff):
    call_command("seed_demo_errors", count=60, days=7, stdout=io.StringIO())
    assert AppError.objects.count() == 60
    apps = set(AppError.objects.values_list("app", flat=True))
    assert apps <= {"xero", "job", "accounting", "workflow"} and len(apps) >= 3
    files = set(AppError.objects.values_list("file", flat=True))
    assert all(f.startswith("demo/") and f.endswith(".py") for f in files)
    assert AppError.objects.filter(resolved=True, resolved_by_id=staff.pk).exists()
    assert AppError.objects.exclude(job_id=None).exists()


def test_seed_if_empty_does_not_add_more():
    call_command("seed_demo_errors", count=5, stdout=io.StringIO())
    call_command("seed_demo_errors", count=5, if_empty=True, stdout=io.StringIO())
    assert AppError.objects.count() == 5


def test_only_the_errors_app_migrates_into_a_separate_errors_database():
    router = AppErrorRouter()
    if errors_database_is_separate():  # SQLite: a file of its own
        assert router.allow_migrate("errors", "errors") is True
        for app_label in ("auth", "admin", "sessions", "contenttypes", "authtoken"):
            assert router.allow_migrate("errors", app_label) is False
        assert router.allow_migrate("default", "errors") is False
    else:  # PostgreSQL: a second connection to one database, migrated the usual way
        assert router.allow_migrate("errors", "auth") is None
        assert router.allow_migrate("default", "errors") is None


def test_other_apps_models_are_left_to_default():
    from django.contrib.auth import get_user_model

    assert AppErrorRouter().db_for_write(get_user_model()) is None
    assert AppErrorRouter().db_for_read(AppError) == "errors"
