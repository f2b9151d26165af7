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
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone

from errors.export import export_columns, iter_app_error_rows
from errors.filters import AppErrorFilterSet

BYTE_ORDER_MARK = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}


def neutralize_formula(text: str) -> str:
    """``text`` as a spreadsheet shows it, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(chunks: Iterable[list[list]]) -> Iterator[bytes]:
    """The header (after the byte order mark), then each chunk of rows as CSV bytes. An
    empty value (None) is an empty cell."""
    columns = export_columns()
    texts = [index for index, column in enumerate(columns) if column.is_text]
    flags = [index for index, column in enumerate(columns) if column.kind == "bool"]
    person = next(index for index, column in enumerate(columns) if column.name == "resolved_by")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BYTE_ORDER_MARK)
    writer.writerow([column.name for column in columns])
    yield _drain(buffer)
    for rows in chunks:
        for row in rows:  # each row is a list of its own: changed in place
            for index in texts:
                text = row[index]
                if text and text.startswith(FORMULA_STARTS):
                    row[index] = "'" + text
            for index in flags:
                row[index] = "true" if row[index] else "false"
            if row[person] is not None:  # a person reads the name
                row[person] = neutralize_formula(row[person]["name"])
        writer.writerows(rows)
        yield _drain(buffer)


def write_json_lines(chunks: Iterable[list[list]]) -> Iterator[bytes]:
    """Each row as one JSON object (the API's list row) and a newline."""
    names = [column.name for column in export_columns()]
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for rows in chunks:
        yield "".join(encode(dict(zip(names, row, strict=True))) + "\n" for row in rows).encode()


WRITERS = {"csv": write_csv, "jsonl": write_json_lines}


def stream_app_errors(filterset: AppErrorFilterSet, file_format: str) -> StreamingHttpResponse:
    """A download of every error a valid filterset matches, in ``file_format`` ("csv" or
    "jsonl"), streamed as it is read: the dashboard's and the API's export answer."""
    response = StreamingHttpResponse(
        WRITERS[file_format](iter_app_error_rows(filterset)),
        content_type=CONTENT_TYPES[file_format],
    )
    filename = export_filename(file_format, at=timezone.now())
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_filename(file_format: str, *, at: datetime.datetime) -> str:
    """What the file holds and when it was taken, e.g. app-errors-20261202T081500Z.csv."""
    return f"app-errors-{at.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}.{file_format}"


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()
