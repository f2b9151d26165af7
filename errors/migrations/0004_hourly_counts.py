"""Errors per UTC hour, app, severity and resolved state, kept exact by triggers.

The trend chart over 90 days would otherwise group up to millions of errors per request. The
triggers fire inside the writing transaction, so the counts never drift from the rows: an
insert adds one, a delete removes one, an update that moves an error to another hour, app,
severity or resolved state moves its one. The backfill reads the triage index, which covers
every column it needs, not the multi-KB rows.
"""

from django.db import migrations, models

from errors.count_triggers import (
    HOURLY,
    postgresql_drop_triggers,
    postgresql_triggers,
    sqlite_drop_triggers,
    sqlite_triggers,
)
from errors.vendor_sql import run

SQLITE_FORWARD = [
    *sqlite_triggers(HOURLY),
    f"""INSERT INTO {HOURLY.table} (hour, app, severity, resolved, total)
        SELECT {HOURLY.sqlite_period.format(row="errors_apperror")}, coalesce(app, ''), severity, resolved,
               count(*)
        FROM errors_apperror INDEXED BY apperror_triage
        GROUP BY 1, 2, 3, 4""",
]
SQLITE_BACKWARD = sqlite_drop_triggers(HOURLY)

POSTGRESQL_FORWARD = [
    *postgresql_triggers(HOURLY),
    f"""INSERT INTO {HOURLY.table} (hour, app, severity, resolved, total)
        SELECT date_trunc('hour', timestamp, 'UTC'), coalesce(app, ''), severity, resolved,
               count(*)
        FROM errors_apperror GROUP BY 1, 2, 3, 4""",
]
POSTGRESQL_BACKWARD = postgresql_drop_triggers(HOURLY)


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
