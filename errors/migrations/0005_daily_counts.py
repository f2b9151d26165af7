"""Errors per UTC day, app, severity and resolved state, kept exact by triggers like the
hourly totals of 0004: long charts read these, their edges the hourly totals."""

from django.db import migrations, models

TABLE = "errors_apperror_daily"
KEY = "(day, app, severity, resolved)"

SQLITE_DAY = "date({row}.timestamp)"
SQLITE_ADD = f"""
    INSERT INTO {TABLE} (day, app, severity, resolved, total)
    VALUES ({SQLITE_DAY.format(row="NEW")}, coalesce(NEW.app, ''), NEW.severity, NEW.resolved, 1)
    ON CONFLICT {KEY} DO UPDATE SET total = total + 1;
"""
SQLITE_REMOVE = f"""
    UPDATE {TABLE} SET total = total - 1
    WHERE day = {SQLITE_DAY.format(row="OLD")} AND app = coalesce(OLD.app, '')
      AND severity = OLD.severity AND resolved = OLD.resolved;
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER errors_apperror_daily_insert AFTER INSERT ON errors_apperror BEGIN {SQLITE_ADD} END",
    f"CREATE TRIGGER errors_apperror_daily_delete AFTER DELETE ON errors_apperror BEGIN {SQLITE_REMOVE} END",
    f"""CREATE TRIGGER errors_apperror_daily_update
        AFTER UPDATE OF timestamp, app, severity, resolved ON errors_apperror
        WHEN OLD.timestamp IS NOT NEW.timestamp OR OLD.app IS NOT NEW.app
          OR OLD.severity IS NOT NEW.severity OR OLD.resolved IS NOT NEW.resolved
        BEGIN {SQLITE_REMOVE} {SQLITE_ADD} END""",
    # From the hourly totals: a fraction of the rows, same figures.
    f"""INSERT INTO {TABLE} (day, app, severity, resolved, total)
        SELECT date(hour), app, severity, resolved, sum(total)
        FROM errors_apperror_hourly GROUP BY 1, 2, 3, 4""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS errors_apperror_daily_update",
    "DROP TRIGGER IF EXISTS errors_apperror_daily_delete",
    "DROP TRIGGER IF EXISTS errors_apperror_daily_insert",
]

POSTGRESQL_DAY = "({row}.timestamp AT TIME ZONE 'UTC')::date"
POSTGRESQL_FORWARD = [
    f"""CREATE FUNCTION errors_apperror_daily_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            -- DELETE, not TRUNCATE: a TRUNCATE naming both tables (flush) is still running.
            DELETE FROM {TABLE};
            RETURN NULL;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE {TABLE} SET total = total - 1
            WHERE day = {POSTGRESQL_DAY.format(row="OLD")} AND app = coalesce(OLD.app, '')
              AND severity = OLD.severity AND resolved = OLD.resolved;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO {TABLE} AS counts (day, app, severity, resolved, total)
            VALUES ({POSTGRESQL_DAY.format(row="NEW")}, coalesce(NEW.app, ''),
                    NEW.severity, NEW.resolved, 1)
            ON CONFLICT {KEY} DO UPDATE SET total = counts.total + 1;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER errors_apperror_daily_insert AFTER INSERT ON errors_apperror
        FOR EACH ROW EXECUTE FUNCTION errors_apperror_daily_write()""",
    """CREATE TRIGGER errors_apperror_daily_delete AFTER DELETE ON errors_apperror
        FOR EACH ROW EXECUTE FUNCTION errors_apperror_daily_write()""",
    """CREATE TRIGGER errors_apperror_daily_update
        AFTER UPDATE OF timestamp, app, severity, resolved ON errors_apperror FOR EACH ROW
        WHEN (OLD.timestamp IS DISTINCT FROM NEW.timestamp OR OLD.app IS DISTINCT FROM NEW.app
              OR OLD.severity IS DISTINCT FROM NEW.severity
              OR OLD.resolved IS DISTINCT FROM NEW.resolved)
        EXECUTE FUNCTION errors_apperror_daily_write()""",
    """CREATE TRIGGER errors_apperror_daily_truncate AFTER TRUNCATE ON errors_apperror
        FOR EACH STATEMENT EXECUTE FUNCTION errors_apperror_daily_write()""",
    f"""INSERT INTO {TABLE} (day, app, severity, resolved, total)
        SELECT (hour AT TIME ZONE 'UTC')::date, app, severity, resolved, sum(total)
        FROM errors_apperror_hourly GROUP BY 1, 2, 3, 4""",
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS errors_apperror_daily_truncate ON errors_apperror",
    "DROP TRIGGER IF EXISTS errors_apperror_daily_update ON errors_apperror",
    "DROP TRIGGER IF EXISTS errors_apperror_daily_delete ON errors_apperror",
    "DROP TRIGGER IF EXISTS errors_apperror_daily_insert ON errors_apperror",
    "DROP FUNCTION IF EXISTS errors_apperror_daily_write()",
]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [("errors", "0004_hourly_counts")]

    operations = [
        migrations.CreateModel(
            name="AppErrorDailyCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
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
                "db_table": "errors_apperror_daily",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "app", "severity", "resolved"), name="apperror_daily_key"
                    )
                ],
            },
        ),
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
        ),
    ]
