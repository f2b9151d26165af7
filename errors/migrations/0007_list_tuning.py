"""An index for an error's "other occurrences": the same exception type in the same app and
function, newest first (errors.selectors.list_related_app_errors).

PostgreSQL guesses that ``data -> 'exception_type'`` matches almost nothing, so without it
it fetches every error of a hot function (tens of thousands) and sorts them, instead of
walking the (function, timestamp) index newest first: a few hundred milliseconds for ten
rows. With the expression in an index the query reads exactly the ten rows it shows, and
ANALYZE keeps statistics on the expression. SQLite already walks the function index newest
first and needs nothing.

Built CONCURRENTLY (hence a non-atomic migration): errors keep being written while a large
table is indexed.
"""

from django.db import migrations

from errors.vendor_sql import run

POSTGRESQL_FORWARD = [
    """CREATE INDEX CONCURRENTLY IF NOT EXISTS apperror_related
        ON errors_apperror (function, app, (data -> 'exception_type'), "timestamp", id)""",
]
POSTGRESQL_BACKWARD = ["DROP INDEX CONCURRENTLY IF EXISTS apperror_related"]


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("errors", "0006_covering_list_indexes")]

    operations = [
        migrations.RunPython(
            run({"postgresql": POSTGRESQL_FORWARD}), run({"postgresql": POSTGRESQL_BACKWARD})
        ),
    ]
