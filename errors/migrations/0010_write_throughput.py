"""Sustained write throughput: totals sharded per writer, and no redundant indexes.

Every error's triggers add one to its hour's and day's totals row. On PostgreSQL that row
stays locked until the writer commits (a WAL flush), so concurrent writers of the same app
and severity queue on it. Each key now has a row per ``shard``: a connection writes to
``pg_backend_pid() % 8``, removals included (so a shard's total may go negative), and
readers sum over the shards. SQLite has one writer at a time and always writes shard 0.

The single-column indexes on timestamp, job_id and user_id are dropped: the covering
indexes apperror_time_id, apperror_job_time and apperror_user_time start with the same
columns and serve the same queries, and every insert wrote the three for nothing (about a
tenth of the pages an insert writes to SQLite's WAL).
"""

import django.utils.timezone
from django.db import migrations, models

from errors.count_triggers import (
    DAILY,
    HOURLY,
    postgresql_drop_triggers,
    postgresql_triggers,
    sqlite_drop_triggers,
    sqlite_triggers,
)
from errors.vendor_sql import run

TABLES = (HOURLY, DAILY)
SHARD = {"sqlite": "0", "postgresql": "pg_backend_pid() % 8"}  # AppErrorCount.SHARDS
UNSHARDED = {
    "sqlite": [sql for counts in TABLES for sql in sqlite_triggers(counts)],
    "postgresql": [sql for counts in TABLES for sql in postgresql_triggers(counts)],
}
DROP = {
    "sqlite": [sql for counts in TABLES for sql in sqlite_drop_triggers(counts)],
    "postgresql": [sql for counts in TABLES for sql in postgresql_drop_triggers(counts)],
}
SHARDED = {
    "sqlite": [sql for counts in TABLES for sql in sqlite_triggers(counts, SHARD["sqlite"])],
    "postgresql": [
        sql for counts in TABLES for sql in postgresql_triggers(counts, SHARD["postgresql"])
    ],
}
# Backwards: every key's shards summed into shard 0, before the key loses its shard.
COLLAPSE = {
    vendor: [
        statement
        for counts in TABLES
        for statement in (
            f"""INSERT INTO {counts.table} AS counts
                ({counts.period}, app, severity, resolved, shard, total)
            SELECT {counts.period}, app, severity, resolved, 0, sum(total)
            FROM {counts.table} WHERE shard <> 0 GROUP BY 1, 2, 3, 4
            ON CONFLICT {counts.sharded_key}
            DO UPDATE SET total = counts.total + excluded.total""",
            f"DELETE FROM {counts.table} WHERE shard <> 0",
        )
    ]
    for vendor in ("sqlite", "postgresql")
}
UNSHARD = {vendor: [*DROP[vendor], *COLLAPSE[vendor]] for vendor in DROP}
REDUNDANT_INDEXES = ("timestamp", "job_id", "user_id")


def drop_redundant_indexes(apps, schema_editor):
    """Drop the single-column index of each column by the name the database gave it (an
    AlterField would rebuild the whole errors table on SQLite)."""
    model = apps.get_model("errors", "AppError")
    table = model._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    for name, info in constraints.items():
        single = info["index"] and not info["unique"] and not info["primary_key"]
        if single and info["columns"] in ([column] for column in REDUNDANT_INDEXES):
            schema_editor.execute(schema_editor._delete_index_sql(model, name))


def create_redundant_indexes(apps, schema_editor):
    model = apps.get_model("errors", "AppError")
    for column in REDUNDANT_INDEXES:
        field = model._meta.get_field(column)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [("errors", "0009_search_tuning")]

    operations = [
        migrations.RunPython(run(DROP), run(UNSHARDED)),
        migrations.RemoveConstraint(model_name="apperrordailycount", name="apperror_daily_key"),
        migrations.RemoveConstraint(model_name="apperrorhourlycount", name="apperror_hourly_key"),
        migrations.AddField(
            model_name="apperrordailycount",
            name="shard",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="apperrorhourlycount",
            name="shard",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddConstraint(
            model_name="apperrordailycount",
            constraint=models.UniqueConstraint(
                fields=("day", "app", "severity", "resolved", "shard"), name="apperror_daily_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="apperrorhourlycount",
            constraint=models.UniqueConstraint(
                fields=("hour", "app", "severity", "resolved", "shard"),
                name="apperror_hourly_key",
            ),
        ),
        migrations.RunPython(run(SHARDED), run(UNSHARD)),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_redundant_indexes, create_redundant_indexes)
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="apperror",
                    name="job_id",
                    field=models.UUIDField(blank=True, null=True),
                ),
                migrations.AlterField(
                    model_name="apperror",
                    name="timestamp",
                    field=models.DateTimeField(default=django.utils.timezone.now),
                ),
                migrations.AlterField(
                    model_name="apperror",
                    name="user_id",
                    field=models.UUIDField(blank=True, null=True),
                ),
            ],
        ),
    ]
