"""Fill the errors database with N realistic errors, fast.

    python -m bench.generate --rows 1000000            # add a million rows
    python -m bench.generate --rows 1000000 --top-up   # only what is missing to reach it

Bulk loads, not one ``persist_app_error`` per row: ``executemany`` in one transaction per batch
on SQLite (with the durability PRAGMAs relaxed for the load), ``COPY`` on PostgreSQL. Rows go
through the ``errors`` alias like every other AppError write, and through the table's own
triggers, so search side tables stay in step.
"""

import argparse
import datetime
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence

BATCH = 20_000
STAFF_COUNT = 6
RESOLUTION_COLUMNS = ("resolved", "resolved_by_id", "resolved_timestamp")
# Written by Django from ``data`` on every save; a bulk load fills it itself.
DERIVED_COLUMNS = ("exception_type",)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--top-up", action="store_true", help="only add what is missing")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    setup_django()
    added = generate_app_errors(
        args.rows, seed=args.seed, top_up=args.top_up, progress=not args.quiet
    )
    print(f"added {added:,} errors", file=sys.stderr)
    return 0


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app_errors_site.settings")
    import django

    django.setup()


def generate_app_errors(
    rows: int, *, seed: int = 6, top_up: bool = False, progress: bool = True
) -> int:
    """Insert ``rows`` errors (or, with ``top_up``, only as many as the table lacks to hold
    ``rows``) and refresh the planner's statistics. Returns how many were added."""
    from django.db import connections

    from bench.distributions import ErrorRows
    from errors.models import AppError
    from errors.routers import errors_alias

    alias = errors_alias()
    existing = AppError.objects.count()
    wanted = max(rows - existing, 0) if top_up else rows
    if wanted == 0:
        return 0
    end = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    source = ErrorRows(seed=seed, staff_ids=ensure_bench_staff(), end=end)
    connection = connections[alias]
    load = load_postgresql if connection.vendor == "postgresql" else load_sqlite
    bar = ProgressBar(wanted, enabled=progress)
    done = 0
    while done < wanted:
        count = min(BATCH, wanted - done)
        load(connection, source.rows(existing + done, count))
        done += count
        bar.update(done)
    bar.finish()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=NORMAL")  # back to the settings' durability
            cursor.execute("ANALYZE")
        else:
            # The visibility map lets counts and pages be read from the indexes alone.
            cursor.execute(f"VACUUM ANALYZE {_table()}")
    return wanted


def ensure_bench_staff() -> list[uuid.UUID]:
    """Real staff members to be ``resolved_by``: the dashboard shows who resolved a row."""
    from django.contrib.auth import get_user_model

    staff_model = get_user_model()
    ids = []
    for number in range(1, STAFF_COUNT + 1):
        member, _ = staff_model.objects.get_or_create(
            username=f"bench-resolver-{number}",
            defaults={"is_staff": True, "first_name": f"Resolver {number}"},
        )
        ids.append(member.pk)
    return ids


def known_columns() -> tuple[str, ...]:
    """The columns the generator fills itself: every column a spooled error keeps
    (errors/spool.py), the exception type's copy of ``data``, then who resolved it and
    when."""
    from errors.spool import SPOOLED_FIELDS

    return (*SPOOLED_FIELDS, *DERIVED_COLUMNS, *RESOLUTION_COLUMNS)


def columns_and_extras(connection) -> tuple[list[str], list[tuple[str, Callable]]]:
    """The table's columns: ours, plus any column another part of the model added, filled
    with that field's own default as the database would store it."""
    from errors.models import AppError

    known = known_columns()
    extras = [
        (field.column, _default_for(field, connection))
        for field in AppError._meta.concrete_fields
        if field.column not in known
    ]
    return [*known, *(column for column, _ in extras)], extras


def _default_for(field, connection) -> Callable:
    def default():
        return field.get_db_prep_save(field.get_default(), connection)

    return default


def load_sqlite(connection, rows: Iterable[dict]) -> None:
    """One transaction per batch on the raw sqlite3 connection; UUIDs as 32 hex digits and
    datetimes as naive UTC text, exactly as Django stores them."""
    from django.db import transaction

    columns, extras = columns_and_extras(connection)
    table = _table()
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(_q(c) for c in columns)}) VALUES ({placeholders})"
    connection.ensure_connection()
    raw = connection.connection
    # A bulk load that a crash would interrupt is simply rerun: durability is not needed here.
    raw.execute("PRAGMA synchronous=OFF")
    raw.execute("PRAGMA cache_size=-262144")
    raw.execute("PRAGMA temp_store=MEMORY")

    known = known_columns()

    def adapt(row: dict) -> tuple:
        values = tuple(_sqlite_value(row.get(column)) for column in known)
        return values + tuple(make() for _, make in extras)

    with transaction.atomic(using=connection.alias):
        raw.executemany(sql, map(adapt, rows))


def load_postgresql(connection, rows: Iterable[dict]) -> None:
    """``COPY ... FROM STDIN`` through psycopg 3, one transaction per batch."""
    from django.db import transaction

    columns, extras = columns_and_extras(connection)
    known = known_columns()
    sql = f"COPY {_table()} ({', '.join(_q(c) for c in columns)}) FROM STDIN"
    connection.ensure_connection()
    with (
        transaction.atomic(using=connection.alias),
        connection.connection.cursor() as cursor,
        cursor.copy(sql) as copy,
    ):
        for row in rows:
            values = tuple(row.get(column) for column in known)
            copy.write_row(values + tuple(make() for _, make in extras))


def _table() -> str:
    from errors.models import AppError

    return _q(AppError._meta.db_table)


def _q(name: str) -> str:
    return f'"{name}"'


def _sqlite_value(value):
    """A generated value as Django stores it in SQLite."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime.datetime):
        return _sqlite_time(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _sqlite_time(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return str(moment.astimezone(datetime.UTC).replace(tzinfo=None))


class ProgressBar:
    """A one-line progress bar on stderr with rate and time left."""

    def __init__(self, total: int, *, enabled: bool = True, width: int = 30) -> None:
        self.total, self.enabled, self.width = total, enabled, width
        self.started = time.monotonic()

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = done / elapsed
        left = (self.total - done) / rate if rate else 0
        filled = int(self.width * done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        sys.stderr.write(
            f"\r[{bar}] {done:>11,}/{self.total:,} {rate:>8,.0f} rows/s  {left:5.0f}s left"
        )
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write(f"  done in {time.monotonic() - self.started:.0f}s\n")


if __name__ == "__main__":
    sys.exit(main())
