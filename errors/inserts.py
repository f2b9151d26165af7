"""One AppError row written with one statement, its SQL compiled once per connection.

``Model.save()`` compiles the INSERT anew for every row, which costs about as much as the
database takes to store it, triggers and indexes included. Errors are written one at a time,
all alike, so the statement Django compiles for the first is kept and reused: the row is the
one ``save(force_insert=True)`` would write, field by field, with the same values prepared
the same way. When something else must run around the save (a pre_save or post_save
receiver, a column the database fills in and returns), the error is saved the usual way.

The values are prepared (the multi-KB ``data`` encoded as JSON) before the caller's
``writer_turn``, so an SQLite writer holds the queue only while SQLite works.

On PostgreSQL the INSERT carries its own statement timeout (``SET LOCAL`` in the same
round trip, so it costs nothing and ends with the statement): a database too busy to store
the row within it sends the error to the spool instead of holding the caller.
"""

import contextlib
from typing import Any

from django.db import connections
from django.db.models import signals
from django.db.models.sql import InsertQuery

from errors.models import AppError
from errors.write_cursor import write_cursor

POSTGRESQL_WRITE_TIMEOUT = "5s"

_statements: dict[tuple, str] = {}


class PreparedInsert:
    """The write of one error's row, ready but for its group: call it to INSERT the row on
    its alias and mark the instance saved, as ``save(force_insert=True)`` would."""

    def __init__(self, error: AppError, using: str) -> None:
        self.error = error
        self.using = using
        self.full_save = _needs_full_save()
        if self.full_save:
            return
        connection = connections[using]
        fields = _inserted_fields()
        self._values = [
            field.get_db_prep_save(field.pre_save(error, True), connection) for field in fields
        ]
        # The statement begins by setting its own timeout (PostgreSQL, autocommit).
        self.times_out = _can_time_out(connection)
        self.sql = _statement(error, fields, using, with_timeout=self.times_out)
        self._group_index = next(i for i, field in enumerate(fields) if field.name == "group")

    def values(self) -> list[Any]:
        """The statement's parameters, with the group the write's transaction found."""
        self._values[self._group_index] = self.error.group_id
        return self._values

    def mark_saved(self) -> None:
        self.error._state.adding = False
        self.error._state.db = self.using

    def __call__(self) -> None:
        if self.full_save:
            self.error.save(using=self.using, force_insert=True)
            return
        with write_cursor(connections[self.using]) as cursor:
            cursor.execute(self.sql, self.values())
        self.mark_saved()


def prepare_insert(error: AppError, *, using: str) -> PreparedInsert:
    """Everything but the write: the compiled statement and its prepared values, so the
    caller's transaction (errors.group_writes) only sends them."""
    return PreparedInsert(error, using)


def _needs_full_save() -> bool:
    return bool(
        signals.pre_save.has_listeners(AppError)
        or signals.post_save.has_listeners(AppError)
        or AppError._meta.db_returning_fields
    )


def _inserted_fields() -> list:
    """The columns ``Model.save()`` inserts for a row whose primary key is set."""
    return [field for field in AppError._meta.local_concrete_fields if not field.generated]


def _statement(error: AppError, fields: list, using: str, *, with_timeout: bool) -> str:
    """Django's own INSERT for these fields on this connection, compiled once."""
    connection = connections[using]
    key = (using, connection.vendor, tuple(field.column for field in fields), with_timeout)
    sql = _statements.get(key)
    if sql is None:
        query = InsertQuery(AppError)
        query.insert_values(fields, [error])
        ((sql, _params),) = query.get_compiler(using=using).as_sql()
        if with_timeout:
            sql = f"SET LOCAL statement_timeout = '{POSTGRESQL_WRITE_TIMEOUT}'; {sql}"
        _statements[key] = sql
    return sql


def _can_time_out(connection: Any) -> bool:
    """PostgreSQL in autocommit with client-side binding (Django's default): two statements
    sent as one run as one implicit transaction, which ``SET LOCAL`` lasts for. Inside the
    caller's transaction a ``SET LOCAL`` would outlive the write, so it is left out there."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    with contextlib.suppress(Exception):
        return not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding")
    return False
