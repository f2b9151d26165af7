"""PostgreSQL's search document computed by PL/pgSQL instead of SQL.

The search side table's trigger calls errors_search_document once per inserted error. As a
SQL function with a sub-SELECT in its body it cannot be inlined, so every call parsed and
planned its body anew; as PL/pgSQL a connection plans it once. The document is the same
(errors/search_document.py holds the one expression); the server's time per error written
drops by about a fifth (BENCHMARKS.md, "Concurrent writes").
"""

from django.db import migrations

from errors.search_document import plpgsql_function, sql_function
from errors.vendor_sql import run


class Migration(migrations.Migration):
    dependencies = [("errors", "0010_write_throughput")]

    operations = [
        migrations.RunPython(
            run({"postgresql": [plpgsql_function()]}),
            run({"postgresql": [sql_function(replace=True)]}),
        )
    ]
