"""What SQLite's FTS5 index tells by itself, without reading the errors table: how many rows
a query matches and the totals its bm25 keeps. Searching, counting and ranking all ask it."""

from django.db import connections

FTS_TABLE = "errors_apperror_fts"


def count_fts_matches(alias: str, match: str, *, cap: int) -> int:
    """How many rows an FTS5 query matches, at most ``cap``: counted in the index alone,
    a few milliseconds even for a word in every tenth row, to pick the plan (see RowId)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s)",
            [match, cap],
        )
        return cursor.fetchone()[0]


def count_fts_rows(alias: str) -> int:
    """How many rows the FTS5 index holds, without counting them."""
    return fts_totals(alias)[0]


def fts_totals(alias: str) -> list[int]:
    """The totals FTS5 keeps for its bm25 (the "averages" record): the number of rows, then
    the number of tokens in each column; zeros while the index is empty."""
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT block FROM {FTS_TABLE}_data WHERE id = 1")
        row = cursor.fetchone()
    return _varints(bytes(row[0])) if row and row[0] else [0, 0, 0, 0]


def _varints(data: bytes) -> list[int]:
    """SQLite's variable-length integers (big-endian, 7 bits a byte), as FTS5 stores them."""
    values, value = [], 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            values.append(value)
            value = 0
    return values
