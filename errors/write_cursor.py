"""The cursor an error's write sends its statements through: on SQLite, the sqlite3 cursor
beneath Django's.

A statement through Django's cursor passes its layers (execute wrappers, the error
translation, ``%s`` turned into ``?`` by a regular expression): about 8 us on SQLite, as
much as SQLite itself takes to count the occurrence in its hour. A write sends three to six
statements, all written once with ``%s`` for both databases; on SQLite each goes to the
sqlite3 cursor, its ``?`` form converted once per process. The statements are the same,
with the same parameters, on the same connection and in the same transaction, and a failure
raises the same exception (Django's, through the connection's own error wrapper); only
Django's query log does not list them.
"""

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

MAX_CONVERTED = 512

_converted: dict[str, str] = {}


def qmark_sql(sql: str) -> str:
    """``sql`` as Django's SQLite cursor sends it: ``%s`` as ``?``, ``%%`` as ``%``."""
    converted = _converted.get(sql)
    if converted is None:
        converted = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
        if len(_converted) >= MAX_CONVERTED:  # statements built from ever-new text
            _converted.clear()
        _converted[sql] = converted
    return converted


class SQLiteWriteCursor:
    """The sqlite3 cursor, taking statements written with ``%s``."""

    def __init__(self, cursor: Any, errors: Any) -> None:
        self.cursor = cursor
        self.errors = errors  # the connection's wrap_database_errors

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with self.errors:
            if params is None:  # as Django's: no parameters, no conversion
                self.cursor.execute(sql)
            else:
                self.cursor.execute(qmark_sql(sql), params)

    def fetchone(self) -> tuple | None:
        with self.errors:
            return self.cursor.fetchone()


@contextlib.contextmanager
def write_cursor(connection: Any) -> Iterator[Any]:
    """A cursor for the statements of an error's write on ``connection``."""
    if connection.vendor != "sqlite":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    errors = connection.wrap_database_errors
    with errors:
        cursor = connection.connection.cursor()
    try:
        yield SQLiteWriteCursor(cursor, errors)
    finally:
        cursor.close()
