"""Errors per UTC day, app, severity and resolved state, kept exact by triggers like the
hourly totals of 0004: long charts read these, their edges the hourly totals."""

from django.db import migrations, models

from errors.count_triggers import (
    DAILY,
    postgresql_drop_triggers,
    postgresql_triggers,
    sqlite_drop_triggers,
    sqlite_triggers,
)
from errors.vendor_sql import run

SQLITE_FORWARD = [
    *sqlite_triggers(DAILY),
    # From the hourly totals: a fraction of the rows, same figures.
    f"""INSERT INTO {DAILY.table} (day, app, severity, resolved, total)
        SELECT date(hour), app, severity, resolved, sum(total)
        FROM errors_apperror_hourly GROUP BY 1, 2, 3, 4""",
]
SQLITE_BACKWARD = sqlite_drop_triggers(DAILY)

POSTGRESQL_FORWARD = [
    *postgresql_triggers(DAILY),
    f"""INSERT INTO {DAILY.table} (day, app, severity, resolved, total)
        SELECT (hour AT TIME ZONE 'UTC')::date, app, severity, resolved, sum(total)
        FROM errors_apperror_hourly GROUP BY 1, 2, 3, 4""",
]
POSTGRESQL_BACKWARD = postgresql_drop_triggers(DAILY)


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
