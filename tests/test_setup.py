"""The project's set-up: routing, settings, demo data."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from errors.models import AppError
from errors.routers import errors_alias, errors_database_is_separate

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
