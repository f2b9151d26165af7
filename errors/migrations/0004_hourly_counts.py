"""Errors per UTC hour, app, severity and resolved state, kept exact by triggers.

The trend chart over 90 days would otherwise group up to millions of errors per request. The
triggers fire inside the writing transaction, so the counts never drift from the rows: an
insert adds one, a delete removes one, an update that moves an error to another hour, app,
severity or resolved state moves its one. The backfill reads the triage index, which covers
every column it needs, not the multi-KB rows.
"""

from django.db import migrations, models

TABLE = "errors_apperror_hourly"
KEY = "(hour, app, severity, resolved)"

SQLITE_HOUR = "strftime('%Y-%m-%d %H:00:00', {row}.timestamp)"
SQLITE_ADD = f"""
    INSERT INTO {TABLE} (hour, app, severity, resolved, total)
    VALUES ({SQLITE_HOUR.format(row="NEW")}, coalesce(NEW.app, ''), NEW.severity, NEW.resolved, 1)
    ON CONFLICT {KEY} DO UPDATE SET total = total + 1;
"""
SQLITE_REMOVE = f"""
    UPDATE {TABLE} SET total = total - 1
    WHERE hour = {SQLITE_HOUR.format(row="OLD")} AND app = coalesce(OLD.app, '')
      AND severity = OLD.severity AND resolved = OLD.resolved;
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER errors_apperror_hourly_insert AFTER INSERT ON errors_apperror BEGIN {SQLITE_ADD} END",
    f"CREATE TRIGGER errors_apperror_hourly_delete AFTER DELETE ON errors_apperror BEGIN {SQLITE_REMOVE} END",
    f"""CREATE TRIGGER errors_apperror_hourly_update
        AFTER UPDATE OF timestamp, app, severity, resolved ON errors_apperror
        WHEN OLD.timestamp IS NOT NEW.timestamp OR OLD.app IS NOT NEW.app
          OR OLD.severity IS NOT NEW.severity OR OLD.resolved IS NOT NEW.resolved
        BEGIN {SQLITE_REMOVE} {SQLITE_ADD} END""",
    f"""INSERT INTO {TABLE} (hour, app, severity, resolved, total)
        SELECT {SQLITE_HOUR.format(row="errors_apperror")}, coalesce(app, ''), severity, resolved,
               count(*)
        FROM errors_apperror INDEXED BY apperror_triage
        GROUP BY 1, 2, 3, 4""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS errors_apperror_hourly_update",
    "DROP TRIGGER IF EXISTS errors_apperror_hourly_delete",
    "DROP TRIGGER IF EXISTS errors_apperror_hourly_insert",
]

POSTGRESQL_FORWARD = [
    f"""CREATE FUNCTION errors_apperror_hourly_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            -- DELETE, not TRUNCATE: a TRUNCATE naming both tables (flush) is still running.
            DELETE FROM {TABLE};
            RETURN NULL;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE {TABLE} SET total = total - 1
            WHERE hour = date_trunc('hour', OLD.timestamp, 'UTC') AND app = coalesce(OLD.app, '')
              AND severity = OLD.severity AND resolved = OLD.resolved;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO {TABLE} AS counts (hour, app, severity, resolved, total)
            VALUES (date_trunc('hour', NEW.timestamp, 'UTC'), coalesce(NEW.app, ''),
                    NEW.severity, NEW.resolved, 1)
            ON CONFLICT {KEY} DO UPDATE SET total = counts.total + 1;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER errors_apperror_hourly_insert AFTER INSERT ON errors_apperror
        FOR EACH ROW EXECUTE FUNCTION errors_apperror_hourly_write()""",
    """CREATE TRIGGER errors_apperror_hourly_delete AFTER DELETE ON errors_apperror
        FOR EACH ROW EXECUTE FUNCTION errors_apperror_hourly_write()""",
    """CREATE TRIGGER errors_apperror_hourly_update
        AFTER UPDATE OF timestamp, app, severity, resolved ON errors_apperror FOR EACH ROW
        WHEN (OLD.timestamp IS DISTINCT FROM NEW.timestamp OR OLD.app IS DISTINCT FROM NEW.app
              OR OLD.severity IS DISTINCT FROM NEW.severity
              OR OLD.resolved IS DISTINCT FROM NEW.resolved)
        EXECUTE FUNCTION errors_apperror_hourly_write()""",
    """CREATE TRIGGER errors_apperror_hourly_truncate AFTER TRUNCATE ON errors_apperror
        FOR EACH STATEMENT EXECUTE FUNCTION errors_apperror_hourly_write()""",
    f"""INSERT INTO {TABLE} (hour, app, severity, resolved, total)
        SELECT date_trunc('hour', timestamp, 'UTC'), coalesce(app, ''), severity, resolved,
               count(*)
        FROM errors_apperror GROUP BY 1, 2, 3, 4""",
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS errors_apperror_hourly_truncate ON errors_apperror",
    "DROP TRIGGER IF EXISTS errors_apperror_hourly_update ON errors_apperror",
    "DROP TRIGGER IF EXISTS errors_apperror_hourly_delete ON errors_apperror",
    "DROP TRIGGER IF EXISTS errors_apperror_hourly_insert ON errors_apperror",
    "DROP FUNCTION IF EXISTS errors_apperror_hourly_write()",
]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [("errors", "0003_list_indexes")]

    operations = [
        migrations.CreateModel(
            name="AppErrorHourlyCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("hour", models.DateTimeField()),
                ("app", models.CharField(blank=True, default="", max_length=100)),
                (
                    "severity",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (10, "Debug"),
                            (20, "Info"),
                            (30, "Warning"),
                            (40, "Error"),
                            (50, "Critical"),
                        ]
                    ),
                ),
                ("resolved", models.BooleanField()),
                ("total", models.IntegerField(default=0)),
            ],
            options={
                "db_table": "errors_apperror_hourly",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("hour", "app", "severity", "resolved"), name="apperror_hourly_key"
                    )
                ],
            },
        ),
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
        ),
    ]
