"""Many processes writing errors at once lose none: 8 processes x 500 errors, 4,000 rows.

The writers are separate Python processes (bench/concurrency_bench.py), told the test
database's names explicitly, each calling persist_app_error as an application would.
"""

import os

import pytest
from django.db import connections

from bench.concurrency_bench import run_writers
from errors.models import AppError, ErrorGroup, ErrorGroupHourlyCount

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

PROCESSES = 8
ERRORS_EACH = 500


@pytest.mark.slow
def test_eight_processes_writing_at_once_store_every_error(tmp_path):
    names = {alias: connections[alias].settings_dict["NAME"] for alias in ("default", "errors")}
    spool = tmp_path / "spool.jsonl"
    env = {**os.environ, "APP_ERRORS_SPOOL_PATH": str(spool)}
    connections.close_all()

    run = run_writers(PROCESSES, ERRORS_EACH, database_names=names, env=env, trace_bytes=2000)

    assert "database is locked" not in run["stderr"]
    assert run["refused"] == 0, run["stderr"]
    assert not spool.exists()
    assert AppError.objects.count() == PROCESSES * ERRORS_EACH
    assert AppError.objects.filter(data__n=ERRORS_EACH - 1).count() == PROCESSES
    # One failure, one group, counted exactly however the writers interleaved.
    group = ErrorGroup.objects.get()
    assert group.count == PROCESSES * ERRORS_EACH
    assert AppError.objects.filter(group=group).count() == PROCESSES * ERRORS_EACH
    assert sum(ErrorGroupHourlyCount.objects.values_list("count", flat=True)) == group.count


@pytest.mark.skipif(connections["errors"].vendor != "sqlite", reason="SQLite's errors file")
def test_the_sqlite_errors_file_is_written_in_wal_mode_with_rare_checkpoints():
    """WAL and synchronous=NORMAL: a committed error survives any process crash without an
    fsync per error; checkpoints every 10,000 pages copy a hot page back once, not every
    thirty errors (BENCHMARKS.md, "Concurrent writes"). Statement journals stay in memory
    (temp_store 2) rather than in a temporary file created for every error."""
    with connections["errors"].cursor() as cursor:
        settings = [
            cursor.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "wal_autocheckpoint", "temp_store")
        ]
    assert settings == ["wal", 1, 10_000, 2]
