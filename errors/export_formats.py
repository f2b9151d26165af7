"""The export's two file formats, written a chunk of rows at a time for a streamed response.

CSV is for spreadsheets. It starts with a UTF-8 byte order mark: Excel reads a CSV without
one in the machine's legacy code page, and every message with an accent or a non-Latin
script would show as mojibake; LibreOffice, pandas (``encoding="utf-8-sig"``) and Python's
csv module read the mark as the encoding it is. A text cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return would be run as a formula by a spreadsheet (an
error message is text anyone can make an application raise), so it gets a leading ``'``,
which spreadsheets show as text. ``resolved_by`` is the staff member's name, empty when
unresolved; booleans are ``true``/``false`` as in the API's JSON.

JSON lines are for programs: one API list row per line, every value exactly as stored.
"""

import csv
import datetime
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from json.encoder import encode_basestring

from django.http import StreamingHttpResponse
from django.utils import timezone

from errors.export import ExportColumn, export_columns, iter_app_error_columns
from errors.filters import AppErrorFilterSet

BYTE_ORDER_MARK = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}


def neutralize_formula(text: str) -> str:
    """``text`` as a spreadsheet shows it, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(chunks: Iterable[list[Sequence]]) -> Iterator[bytes]:
    """The header (after the byte order mark), then each chunk of columns as CSV bytes: the
    CSV Python's csv module writes (RFC 4180, CRLF line ends), but a text column that holds
    a comma, a quote or a line break in any row of the chunk has every cell of the chunk
    quoted, so each column is quoted by C maps and every row is one %-format, not a
    csv.writer call per cell (half of the export's time in Python). An empty value (None)
    is an empty cell."""
    columns = export_columns()
    texts = [index for index, column in enumerate(columns) if column.is_text]
    flags = [index for index, column in enumerate(columns) if column.kind == "bool"]
    person = next(index for index, column in enumerate(columns) if column.name == "resolved_by")
    line = ",".join(["%s"] * len(columns)) + CSV_LINE_END
    header = io.StringIO()
    csv.writer(header, lineterminator=CSV_LINE_END).writerow([c.name for c in columns])
    yield (BYTE_ORDER_MARK + header.getvalue()).encode()
    for chunk in chunks:
        # A person reads the name.
        chunk[person] = [None if staff is None else staff["name"] for staff in chunk[person]]
        for index in [*texts, person]:
            chunk[index] = _csv_text(chunk[index])
        for index in flags:
            chunk[index] = list(map(CSV_BOOLEANS.__getitem__, chunk[index]))
        cells = [
            list(map(EMPTY_CELL.get, values, values)) if None in values else values
            for values in chunk
        ]
        yield "".join(map(line.__mod__, zip(*cells, strict=True))).encode()


CSV_LINE_END = "\r\n"
CSV_BOOLEANS = {False: "false", True: "true"}
EMPTY_CELL = {None: ""}  # .get(value, value): None as "", every other value as it is
NEEDS_QUOTES = re.compile('[,"\r\n]')
FORMULA_AFTER_NUL = re.compile("\0[" + re.escape("".join(FORMULA_STARTS)) + "]")


def _csv_text(texts: Sequence[str | None]) -> Sequence[str | None]:
    """A column of texts as CSV cells, each formula neutralized, each cell quoted (its
    quotes doubled) if any needs it. Both are rare: the column is searched once, in C, and
    only one that needs it is rebuilt."""
    joined = "\0" + "\0".join(filter(None, texts))
    if FORMULA_AFTER_NUL.search(joined):  # or a NUL in a text: checked cell by cell
        texts = [neutralize_formula(text) if text else text for text in texts]
    if NEEDS_QUOTES.search(joined):
        texts = ['"' + text.replace('"', '""') + '"' if text else text for text in texts]
    return texts


def write_json_lines(chunks: Iterable[list[Sequence]]) -> Iterator[bytes]:
    """Each row as one JSON object (the API's list row) and a newline.

    Each column is encoded on its own (C's encoders mapped over it), then every row's line
    is one %-format of its encoded values: a fraction of the time of a JSON encoder call
    per row's dict."""
    columns = export_columns()
    line = "{" + ",".join(f"{json.dumps(column.name)}:%s" for column in columns) + "}\n"
    encoders = [_json_encoder(column) for column in columns]
    for chunk in chunks:
        encoded = [encode(values) for values, encode in zip(chunk, encoders, strict=True)]
        yield "".join(map(line.__mod__, zip(*encoded, strict=True))).encode()


def _json_encoder(column: ExportColumn) -> Callable[[Sequence], list[str]]:
    """How a column of values is written as JSON values."""
    if column.name == "resolved_by":
        return _json_objects
    if column.kind == "bool":
        return _json_booleans
    if column.is_text or column.kind in {"uuid", "moment"}:
        return _json_texts
    return _json_numbers  # severity, group


JSON_VALUE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
JSON_BOOLEANS = {False: "false", True: "true", None: "null"}


def _json_texts(values: Sequence[str | None]) -> list[str]:
    """Texts by C's string encoder (json.dumps's, non-ASCII kept)."""
    if None not in values:
        return list(map(encode_basestring, values))
    return ["null" if value is None else encode_basestring(value) for value in values]


def _json_numbers(values: Sequence[int | None]) -> list[str]:
    if None not in values:
        return list(map(str, values))
    return ["null" if value is None else str(value) for value in values]


def _json_booleans(values: Sequence[bool]) -> list[str]:
    return list(map(JSON_BOOLEANS.__getitem__, values))


def _json_objects(values: Sequence[dict | None]) -> list[str]:
    """Each distinct object (the staff members of a chunk, shared) encoded once."""
    distinct = dict(zip(map(id, values), values, strict=True))
    encoded = {key: JSON_VALUE(value) for key, value in distinct.items()}
    return list(map(encoded.__getitem__, map(id, values)))


WRITERS = {"csv": write_csv, "jsonl": write_json_lines}


def stream_app_errors(filterset: AppErrorFilterSet, file_format: str) -> StreamingHttpResponse:
    """A download of every error a valid filterset matches, in ``file_format`` ("csv" or
    "jsonl"), streamed as it is read: the dashboard's and the API's export answer."""
    response = StreamingHttpResponse(
        WRITERS[file_format](iter_app_error_columns(filterset)),
        content_type=CONTENT_TYPES[file_format],
    )
    filename = export_filename(file_format, at=timezone.now())
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_filename(file_format: str, *, at: datetime.datetime) -> str:
    """What the file holds and when it was taken, e.g. app-errors-20261202T081500Z.csv."""
    return f"app-errors-{at.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}.{file_format}"
