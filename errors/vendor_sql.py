"""Raw SQL in migrations, per database vendor: the search index, the totals' triggers and
the expression indexes differ between SQLite and PostgreSQL."""

from collections.abc import Callable


def run(statements_by_vendor: dict[str, list[str]]) -> Callable:
    """A RunPython operation executing the statements for the migrating database's vendor
    (none for a vendor not named)."""

    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return operation
