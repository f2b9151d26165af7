"""The exception type in a column of its own, and on SQLite the error row laid out for reads.

Lists and the export show every error's exception type, which lived only inside ``data``
(3-5 KB of JSON: the trace and the context): each row's JSON was parsed to read it. The new
``exception_type`` column holds a copy, written with every row (errors.models
ExceptionTypeField). A NULL there means "stored before the column existed".

PostgreSQL: an ADD COLUMN, no table rewrite; the rows already stored keep a NULL, and the
readers fall back to ``data`` for them (AppError.recorded_exception_type, the export's
COALESCE). Filling a million rows in would rewrite every row and every index entry.

SQLite: the table is rebuilt with the narrow columns first and ``data`` last. SQLite stores
a row's columns in table order and keeps what does not fit in the row's page in overflow
pages: with ``data`` in the middle, reading ``app``, ``severity`` or any column after it
walked the JSON's overflow pages; now a list or an export reads only the row's first page.
The copy fills ``exception_type`` from the JSON. Each row keeps its rowid, which the FTS5
search table (errors_apperror_fts) is keyed by, so search still finds every old error; the
indexes and triggers are recreated after the copy, exactly as the table had them (literal
SQL below, taken from a database migrated to 0016, which 0017 leaves as it was;
tests/test_migrations_layout.py checks they come back unchanged), so the copy neither re-indexes the search nor counts the errors
twice. The reverse rebuilds the 0016 layout the same way. At a million errors the rebuild
took 12-16 minutes here, in one transaction, and needs free disk of about twice the database
(BENCHMARKS.md, "Where the export time goes"); the old table's pages stay in the file as free
space, reused by later writes.

Beware: Django's own SQLite table remake (what it runs for an AlterField or an AddField with
a default on this model) copies the rows without their rowids and drops these triggers. A
later schema change to errors_apperror on SQLite must be written like this migration;
tests/test_migrations_layout.py migrates stored errors up to the newest migration and fails
if one is not.
"""

from django.db import migrations, models

TABLE = "errors_apperror"
REBUILT = "errors_apperror__rebuilt"

# Each column's definition as Django created it; ``{staff_id}`` is the declared type of the
# staff member's id (AUTH_USER_MODEL's: integer, or char(32) for UUIDs), read from the table.
COLUMNS = {
    "id": '"id" char(32) NOT NULL PRIMARY KEY',
    "timestamp": '"timestamp" datetime NOT NULL',
    "message": '"message" text NOT NULL',
    "data": '"data" text NOT NULL CHECK ((JSON_VALID("data") OR "data" IS NULL))',
    "app": '"app" varchar(100) NULL',
    "file": '"file" varchar(255) NULL',
    "function": '"function" varchar(255) NULL',
    "severity": '"severity" smallint unsigned NOT NULL CHECK ("severity" >= 0)',
    "job_id": '"job_id" char(32) NULL',
    "user_id": '"user_id" char(32) NULL',
    "resolved": '"resolved" bool NOT NULL',
    "resolved_timestamp": '"resolved_timestamp" datetime NULL',
    "resolved_by_id": '"resolved_by_id" {staff_id} NULL',
    "environment": '"environment" varchar(100) NULL',
    "release": '"release" varchar(100) NULL',
    "group_id": '"group_id" bigint NULL REFERENCES "errors_errorgroup" ("id") DEFERRABLE INITIALLY DEFERRED',
    "exception_type": '"exception_type" varchar(255) NULL',
}

# The 0016 table's order (Django's: fields in the order they were added).
LAYOUT_0016 = [
    "id", "timestamp", "message", "data", "app", "file", "function", "severity", "job_id",
    "user_id", "resolved", "resolved_timestamp", "resolved_by_id", "environment", "release",
    "group_id",
]  # fmt: skip

# Fixed-size and short columns first, then the message, the JSON last.
LAYOUT_0018 = [
    "id", "timestamp", "severity", "resolved", "app", "file", "function", "exception_type",
    "job_id", "user_id", "resolved_timestamp", "resolved_by_id", "group_id", "release",
    "environment", "message", "data",
]  # fmt: skip

# data["exception_type"] when it is text, else "": what ExceptionTypeField writes.
EXCEPTION_TYPE_FROM_DATA = (
    "CASE WHEN json_type(data, '$.exception_type') = 'text' "
    "THEN data ->> '$.exception_type' ELSE '' END"
)

# Every index and trigger of errors_apperror at 0016, as sqlite_master holds them.
INDEXES_AND_TRIGGERS = [
    'CREATE INDEX "errors_apperror_resolved_by_id_bfc1c90d" ON "errors_apperror" ("resolved_by_id")',
    'CREATE INDEX "apperror_time_id" ON "errors_apperror" ("timestamp", "id", "severity", "app", "resolved")',
    'CREATE INDEX "apperror_app_time" ON "errors_apperror" ("app", "timestamp", "id", "severity", "resolved")',
    'CREATE INDEX "apperror_function_time" ON "errors_apperror" ("function", "timestamp", "id", "severity", "app", "resolved")',
    'CREATE INDEX "apperror_severity_time" ON "errors_apperror" ("severity", "timestamp", "id", "app", "resolved")',
    'CREATE INDEX "apperror_job_time" ON "errors_apperror" ("job_id", "timestamp", "id", "severity", "app", "resolved")',
    'CREATE INDEX "apperror_user_time" ON "errors_apperror" ("user_id", "timestamp", "id", "severity", "app", "resolved")',
    'CREATE INDEX "apperror_severity_id" ON "errors_apperror" ("severity", "id", "resolved")',
    'CREATE INDEX "apperror_group_time" ON "errors_apperror" ("group_id", "timestamp", "id")',
    'CREATE INDEX "apperror_group_resolved" ON "errors_apperror" ("group_id", "resolved", "timestamp", "id")',
    'CREATE INDEX "errors_apperror_group_id_f8ce2fb2" ON "errors_apperror" ("group_id")',
    'CREATE INDEX "apperror_release_group" ON "errors_apperror" ("release", "group_id") WHERE "release" IS NOT NULL',
    'CREATE INDEX "apperror_environment_group" ON "errors_apperror" ("environment", "group_id") WHERE "environment" IS NOT NULL',
    """CREATE TRIGGER errors_apperror_fts_insert AFTER INSERT ON errors_apperror BEGIN
        
    INSERT INTO errors_apperror_fts (rowid, message, exception_type, context)
    VALUES (NEW.rowid, NEW.message, json_extract(NEW.data, '$.exception_type'),
            (
    SELECT group_concat(value, ' ') FROM json_tree(NEW.data)
    WHERE type IN ('text', 'integer', 'real')
      AND fullkey NOT IN ('$.trace', '$.stack', '$.exception_type')
));

    END""",
    """CREATE TRIGGER errors_apperror_fts_delete AFTER DELETE ON errors_apperror BEGIN
        DELETE FROM errors_apperror_fts WHERE rowid = OLD.rowid;
    END""",
    """CREATE TRIGGER errors_apperror_fts_update AFTER UPDATE OF message, data ON errors_apperror
    BEGIN
        DELETE FROM errors_apperror_fts WHERE rowid = OLD.rowid;
        
    INSERT INTO errors_apperror_fts (rowid, message, exception_type, context)
    VALUES (NEW.rowid, NEW.message, json_extract(NEW.data, '$.exception_type'),
            (
    SELECT group_concat(value, ' ') FROM json_tree(NEW.data)
    WHERE type IN ('text', 'integer', 'real')
      AND fullkey NOT IN ('$.trace', '$.stack', '$.exception_type')
));

    END""",
    """CREATE TRIGGER errors_apperror_hourly_insert AFTER INSERT ON errors_apperror BEGIN 
    INSERT INTO errors_apperror_hourly (hour, app, severity, resolved, shard, total)
    VALUES (strftime('%Y-%m-%d %H:00:00', NEW.timestamp), coalesce(NEW.app, ''), NEW.severity, NEW.resolved, 0, 1)
    ON CONFLICT (hour, app, severity, resolved, shard) DO UPDATE SET total = total + 1;
 END""",
    """CREATE TRIGGER errors_apperror_hourly_delete AFTER DELETE ON errors_apperror BEGIN 
    UPDATE errors_apperror_hourly SET total = total - 1
    WHERE hour = strftime('%Y-%m-%d %H:00:00', OLD.timestamp) AND app = coalesce(OLD.app, '')
      AND severity = OLD.severity AND resolved = OLD.resolved AND shard = 0;
 END""",
    """CREATE TRIGGER errors_apperror_daily_insert AFTER INSERT ON errors_apperror BEGIN 
    INSERT INTO errors_apperror_daily (day, app, severity, resolved, shard, total)
    VALUES (date(NEW.timestamp), coalesce(NEW.app, ''), NEW.severity, NEW.resolved, 0, 1)
    ON CONFLICT (day, app, severity, resolved, shard) DO UPDATE SET total = total + 1;
 END""",
    """CREATE TRIGGER errors_apperror_daily_delete AFTER DELETE ON errors_apperror BEGIN 
    UPDATE errors_apperror_daily SET total = total - 1
    WHERE day = date(OLD.timestamp) AND app = coalesce(OLD.app, '')
      AND severity = OLD.severity AND resolved = OLD.resolved AND shard = 0;
 END""",
    """CREATE TRIGGER errors_apperror_hourly_update
        AFTER UPDATE OF timestamp, app, severity, resolved ON errors_apperror
        WHEN (OLD.timestamp IS NOT NEW.timestamp OR OLD.app IS NOT NEW.app
          OR OLD.severity IS NOT NEW.severity OR OLD.resolved IS NOT NEW.resolved)
          AND NOT EXISTS (SELECT 1 FROM errors_apperror_bulk_change)
        BEGIN 
    UPDATE errors_apperror_hourly SET total = total - 1
    WHERE hour = strftime('%Y-%m-%d %H:00:00', OLD.timestamp) AND app = coalesce(OLD.app, '')
      AND severity = OLD.severity AND resolved = OLD.resolved AND shard = 0;
 
    INSERT INTO errors_apperror_hourly (hour, app, severity, resolved, shard, total)
    VALUES (strftime('%Y-%m-%d %H:00:00', NEW.timestamp), coalesce(NEW.app, ''), NEW.severity, NEW.resolved, 0, 1)
    ON CONFLICT (hour, app, severity, resolved, shard) DO UPDATE SET total = total + 1;
 END""",
    """CREATE TRIGGER errors_apperror_daily_update
        AFTER UPDATE OF timestamp, app, severity, resolved ON errors_apperror
        WHEN (OLD.timestamp IS NOT NEW.timestamp OR OLD.app IS NOT NEW.app
          OR OLD.severity IS NOT NEW.severity OR OLD.resolved IS NOT NEW.resolved)
          AND NOT EXISTS (SELECT 1 FROM errors_apperror_bulk_change)
        BEGIN 
    UPDATE errors_apperror_daily SET total = total - 1
    WHERE day = date(OLD.timestamp) AND app = coalesce(OLD.app, '')
      AND severity = OLD.severity AND resolved = OLD.resolved AND shard = 0;
 
    INSERT INTO errors_apperror_daily (day, app, severity, resolved, shard, total)
    VALUES (date(NEW.timestamp), coalesce(NEW.app, ''), NEW.severity, NEW.resolved, 0, 1)
    ON CONFLICT (day, app, severity, resolved, shard) DO UPDATE SET total = total + 1;
 END""",
]


def rebuild(layout: list[str], sources: dict[str, str]):
    """A RunPython callable rebuilding the SQLite table with its columns in ``layout``'s
    order, each filled from its expression in ``sources`` (the old column by default),
    every row keeping its rowid; nothing on PostgreSQL."""

    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT type FROM pragma_table_info(%s) WHERE name = %s", [TABLE, "resolved_by_id"]
            )
            (staff_id,) = cursor.fetchone()
            statistics = saved_statistics(cursor)
        definitions = ", ".join(COLUMNS[name].format(staff_id=staff_id) for name in layout)
        columns = ", ".join(f'"{name}"' for name in layout)
        values = ", ".join(sources.get(name, f'"{name}"') for name in layout)
        statements = [
            f'CREATE TABLE "{REBUILT}" ({definitions})',
            f'INSERT INTO "{REBUILT}" (rowid, {columns}) SELECT rowid, {values} FROM "{TABLE}"',
            f'DROP TABLE "{TABLE}"',
            f'ALTER TABLE "{REBUILT}" RENAME TO "{TABLE}"',
            *INDEXES_AND_TRIGGERS,
        ]
        for statement in statements:
            schema_editor.execute(statement, params=None)
        if statistics:
            # The planner's statistics of the old table's indexes (dropped with it) hold for
            # the same rows: kept, so plans do not change until the next ANALYZE.
            with schema_editor.connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)", statistics
                )

    return operation


def saved_statistics(cursor) -> list[tuple]:
    cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
    if cursor.fetchone() is None:
        return []
    cursor.execute("SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl = %s", [TABLE])
    return cursor.fetchall()


def run(statements_by_vendor: dict[str, list[str]]):
    """A RunPython callable executing the statements written for the migrating database's
    vendor (none for a vendor not named)."""

    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return operation


ADD_COLUMN = {
    "postgresql": ['ALTER TABLE "errors_apperror" ADD COLUMN "exception_type" varchar(255) NULL']
}
DROP_COLUMN = {"postgresql": ['ALTER TABLE "errors_apperror" DROP COLUMN "exception_type"']}


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0017_one_trip_functions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="apperror",
                    name="exception_type",
                    field=models.CharField(blank=True, editable=False, max_length=255, null=True),
                ),
            ],
            database_operations=[
                migrations.RunPython(run(ADD_COLUMN), run(DROP_COLUMN)),
                migrations.RunPython(
                    rebuild(LAYOUT_0018, {"exception_type": EXCEPTION_TYPE_FROM_DATA}),
                    rebuild(LAYOUT_0016, {}),
                ),
            ],
        ),
    ]
