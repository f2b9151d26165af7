"""Reading every error a filter matches, for a download: the API's list columns with the
API's values, in the list's order, a chunk at a time.

Rows are read in keyset-paginated chunks (each chunk starts after the last row of the one
before, in the list's order): every query is short and read from the list's index, however
many rows the export holds, and no transaction or cursor stays open while the client
downloads. A million rows go through in constant memory.

The columns are the fields of errors.api.serializers.AppErrorSerializer, so the export
cannot drift from the API; but rows are not serialized through DRF, nor even converted by
the ORM: at a million rows both cost several times what the database does. Times and UUIDs
are read as the database's own text (SQLite keeps UUIDs as 32 hex digits) and turned into the
API's text directly (in SQL where the database can). Each chunk is one query, fetched
whole and handed on as columns, so the Python work is a few C calls per column, not a call
per value. tests/test_export.py holds every exported row equal to the API's, on both
databases.
"""

import dataclasses
import datetime
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone
from rest_framework import serializers

from errors.api.serializers import AppErrorSerializer
from errors.filters import AppErrorFilterSet
from errors.models import AppError, Severity
from errors.selectors import list_app_errors

CHUNK_SIZE = 5000
UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Zulu", "Zulu", "Universal"}


@dataclasses.dataclass(frozen=True)
class ExportColumn:
    """One field of the API's list row: the value it reads (a model field, or an
    expression annotated as ``export_<name>``), what kind of value the database gives for
    it, whether the API shows it as text, and for a field the serializer computes, how."""

    name: str
    source: str
    kind: str  # "uuid", "moment", "bool" or "plain"
    is_text: bool = False
    compute: Callable[[Sequence], list] | None = None


class _SeverityNames(dict):
    """Severity numbers to the API's names; a number Severity does not know is "OTHER"."""

    def __missing__(self, value: int) -> str:
        return "OTHER"


SEVERITY_NAMES = _SeverityNames({int(level): level.name for level in Severity})


def _severity_names(severities: Sequence[int]) -> list[str]:
    return list(map(SEVERITY_NAMES.__getitem__, severities))


# Fields the serializer computes in a method: (what each reads instead, whether it is text,
# how a column of its values is shown). ``resolved_by`` is the staff member's id here; its
# name is looked up per chunk (StaffNames). The exception type is read from its column, "" as
# NULL, in SQL (EXCEPTION_TYPE_TEXT), as the serializer's ``recorded_exception_type or None``
# shows it.
COMPUTED_COLUMNS = {
    "severity_name": ("severity", True, _severity_names),
    "exception_type": ("export_exception_type", True, None),
    "resolved_by": ("resolved_by_id", False, None),
}
KINDS = {"UUIDField": "uuid", "DateTimeField": "moment", "BooleanField": "bool"}


class _JSONText(Func):
    """The text of a top-level key of a JSON column, NULL when it is missing or null: one
    parse of the JSON (Django's KT parses it twice on SQLite)."""

    template = "CAST(%(expressions)s ->> %(key)s AS TEXT)"
    output_field = TextField()


# The column; the JSON only where the column is NULL (a PostgreSQL row stored before the
# column existed): COALESCE evaluates its second argument only for those rows, so the
# multi-KB JSON is neither parsed nor, on SQLite, even read for the others.
EXCEPTION_TYPE_TEXT = NullIf(
    Coalesce("exception_type", _JSONText("data", key="'exception_type'"), output_field=TextField()),
    Value("", output_field=TextField()),
)
ANNOTATIONS = {"export_exception_type": EXCEPTION_TYPE_TEXT}


def export_columns() -> list[ExportColumn]:
    """The API list row's fields, in its order. A field computed by a serializer method
    this module does not know is a configuration error at the first export, not a silently
    missing or wrong column."""
    columns = []
    for name, field in AppErrorSerializer().fields.items():
        if isinstance(field, serializers.SerializerMethodField):
            if name not in COMPUTED_COLUMNS:
                raise ImproperlyConfigured(f"The export does not know how to read {name!r}.")
            source, is_text, compute = COMPUTED_COLUMNS[name]
        else:
            source, is_text, compute = field.source, isinstance(field, serializers.CharField), None
        columns.append(
            ExportColumn(
                name=name, source=source, kind=_kind(source), is_text=is_text, compute=compute
            )
        )
    return columns


def _kind(source: str) -> str:
    if source in ANNOTATIONS:
        return "plain"
    field = AppError._meta.get_field(source)
    if field.is_relation:
        field = field.target_field
    return KINDS.get(field.get_internal_type(), "plain")


def iter_app_error_columns(
    filterset: AppErrorFilterSet, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[list[Sequence]]:
    """Every error a valid filterset matches, as the API shows it, in the list's order,
    ``chunk_size`` rows at a time: each chunk is a list of columns (one list of values per
    export_columns() field, in its order; row i is the i-th value of each). Each chunk's
    list is the caller's to change: a writer replaces a column with its converted values.

    Columns, not rows: each conversion is one call over a column (``map`` of a C function
    where it can be), not a Python call per value, and the writers work the same way."""
    columns = export_columns()
    queryset = list_app_errors(filterset).prefetch_related(None)
    ordering = _ordering(queryset)
    connection = connections[queryset.db]
    in_sql = _texts_in_sql(connection.vendor)
    readers = {kind: read for kind, read in _readers().items() if kind not in in_sql}
    # What each column needs done to the database's values, skipping those kept as they are.
    conversions = [
        (i, readers[column.kind]) for i, column in enumerate(columns) if column.kind in readers
    ]
    conversions += [(i, column.compute) for i, column in enumerate(columns) if column.compute]
    resolved_by = next(i for i, column in enumerate(columns) if column.name == "resolved_by")
    # Times and UUIDs read as the database's text: the drivers' Python objects, parsed and
    # formatted again, took a third of the export's time.
    annotations = {**ANNOTATIONS}
    for column in columns:
        if column.kind in in_sql:
            annotations[f"export_{column.source}"] = in_sql[column.kind](column.source)
        elif column.kind in {"moment", "uuid"}:
            annotations[f"export_{column.source}"] = Cast(column.source, TextField())
    sources = [
        f"export_{column.source}" if f"export_{column.source}" in annotations else column.source
        for column in columns
    ]
    # Where the next chunk starts is read from the last row's values as the API shows them
    # (the ORM parses them back in the filter): every sort key is an exported column.
    key_positions = [_column_of(columns, key.name) for key in ordering]
    # Raw rows come in the order values_list names them (Django 5.2 keeps it, repeats too).
    reading = queryset.annotate(**annotations).values_list(*sources)
    names = StaffNames()
    after = Q()
    while True:
        page = reading.filter(after)[:chunk_size].query
        # Compiled for the errors' database (sql_with_params() would use the default's).
        sql, params = page.get_compiler(using=connection.alias).as_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return
        count = len(rows)
        chunk: list[Sequence] = list(zip(*rows, strict=True))
        del rows
        for index, convert in conversions:
            chunk[index] = convert(chunk[index])
        last = [chunk[position][-1] for position in key_positions]
        chunk[resolved_by] = names.of(chunk[resolved_by])
        yield chunk
        if count < chunk_size:
            return
        after = _after(ordering, last, nulls_sort_first=connection.vendor != "postgresql")


def iter_app_error_rows(
    filterset: AppErrorFilterSet, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[list[tuple]]:
    """The same chunks as iter_app_error_columns, one tuple of values per row."""
    for chunk in iter_app_error_columns(filterset, chunk_size=chunk_size):
        yield list(zip(*chunk, strict=True))


def _column_of(columns: list[ExportColumn], field: str) -> int:
    for index, column in enumerate(columns):
        if column.source == field and column.compute is None:
            return index
    raise ImproperlyConfigured(f"The export cannot continue after a row sorted by {field!r}.")


class StaffNames:
    """Who resolved the exported errors, as the API names them, looked up once per staff
    member (staff live in the default database, errors maybe not: no join)."""

    def __init__(self) -> None:
        self.known: dict[str | None, dict | None] = {None: None}

    def of(self, ids: Sequence[str | None]) -> list[dict | None]:
        """The API's ``resolved_by`` for each id (None for none)."""
        self.learn(ids)
        return list(map(self.known.__getitem__, ids))

    def learn(self, ids) -> None:
        missing = set(ids) - self.known.keys()
        if not missing:
            return
        for staff in get_user_model().objects.filter(pk__in=missing):
            self.known[str(staff.pk)] = {
                "id": str(staff.pk),
                "name": staff.get_full_name() or staff.get_username(),
            }
        self.known.update((pk, None) for pk in missing - self.known.keys())


# --- the database's values as the API shows them ---------------------------------------


def _is_utc() -> bool:
    tz = timezone.get_current_timezone()
    return tz is datetime.UTC or getattr(tz, "key", None) in UTC_NAMES


def _readers() -> dict[str, Callable[[Sequence], list]]:
    """How each kind of database value becomes the API's value, a column at a time, where
    SQL did not already give it (_texts_in_sql). Times are shown as DRF's DateTimeField
    shows them: ISO 8601 in the current time zone, UTC as Z; both databases give their
    times' text in UTC (SQLite "YYYY-MM-DD HH:MM:SS[.ffffff]", PostgreSQL the same with
    "+00")."""
    tz = timezone.get_current_timezone()

    def moment(text: str | None) -> str | None:
        if text is None:
            return None
        value = datetime.datetime.fromisoformat(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        shown = value.astimezone(tz).isoformat()
        return shown[:-6] + "Z" if shown.endswith("+00:00") else shown

    return {
        "moment": lambda values: list(map(moment, values)),
        "bool": lambda values: list(map(bool, values)),
    }


def _texts_in_sql(vendor: str) -> dict[str, Callable[[str], Func]]:
    """Kinds of value the database can give as the API's text itself, in C, saving Python
    a call per value (a fifth of the export's time): on SQLite a UUID's hyphens always;
    on both, a time when the API shows UTC. NULL stays NULL."""
    texts: dict[str, Callable[[str], Func]] = {}
    if vendor == "sqlite":
        texts["uuid"] = _SQLiteUUIDText
    if _is_utc():
        texts["moment"] = _SQLiteUTCText if vendor == "sqlite" else _PostgreSQLUTCText
    return texts


class _SQLiteUUIDText(Func):
    template = (
        "substr(%(expressions)s, 1, 8) || '-' || substr(%(expressions)s, 9, 4) || '-' || "
        "substr(%(expressions)s, 13, 4) || '-' || substr(%(expressions)s, 17, 4) || '-' || "
        "substr(%(expressions)s, 21)"
    )
    output_field = TextField()


class _SQLiteUTCText(Func):
    """ "YYYY-MM-DD HH:MM:SS[.ffffff]" as "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"."""

    template = "replace(%(expressions)s, ' ', 'T') || 'Z'"
    output_field = TextField()


class _PostgreSQLUTCText(Func):
    """A time as Python's isoformat() shows it at UTC, with Z: six digits of fraction, none
    for a whole second."""

    template = (
        "CASE WHEN date_trunc('second', %(expressions)s) = %(expressions)s "
        "THEN to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "ELSE to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') END"
    )
    output_field = TextField()


# --- keyset pagination ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SortKey:
    name: str
    descending: bool
    nullable: bool


def _ordering(queryset: QuerySet) -> list[SortKey]:
    """The queryset's ordering, key by key; it ends with the unique id."""
    keys = []
    for field in queryset.query.order_by:
        name = field.lstrip("-")
        nullable = AppError._meta.get_field(name).null
        keys.append(SortKey(name=name, descending=field.startswith("-"), nullable=nullable))
    return keys


def _after(ordering: list[SortKey], last: Sequence, *, nulls_sort_first: bool) -> Q:
    """Rows that come after ``last`` (its sort key values) in ``ordering``: for each sort
    key, the rows equal on every key before it and past it on this one. NULLs sort as the
    database sorts them (SQLite: smallest; PostgreSQL: largest), so a nullable column (app,
    function) continues exactly where the list would. The first key's bound (``<=`` or
    ``>=``) is repeated on its own, so the database reads a range of its index from where
    the last chunk stopped, not the index from the start."""
    alternatives = []
    for position, (key, value) in enumerate(zip(ordering, last, strict=True)):
        past = _past(key, value, nulls_sort_first=nulls_sort_first)
        if past is None:
            continue
        same = [_equal(other.name, last[i]) for i, other in enumerate(ordering[:position])]
        alternatives.append(Q(*same, past))
    if not alternatives:
        return Q(pk__in=[])
    condition = Q()
    for alternative in alternatives:
        condition |= alternative
    bound = _from(ordering[0], last[0], nulls_sort_first=nulls_sort_first)
    return condition if bound is None else bound & condition


def _equal(name: str, value: Any) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def _nulls_come_last(key: SortKey, *, nulls_sort_first: bool) -> bool:
    # NULL is the smallest value where nulls sort first ascending (SQLite), the largest
    # otherwise (PostgreSQL); descending turns that around.
    return nulls_sort_first == key.descending


def _past(key: SortKey, value: Any, *, nulls_sort_first: bool) -> Q | None:
    """Rows strictly past ``value`` in this key's direction (larger ascending, smaller
    descending); None when none can be."""
    nulls_last = key.nullable and _nulls_come_last(key, nulls_sort_first=nulls_sort_first)
    if value is None:
        return None if nulls_last else Q(**{f"{key.name}__isnull": False})
    beyond = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
    return beyond | Q(**{f"{key.name}__isnull": True}) if nulls_last else beyond


def _from(key: SortKey, value: Any, *, nulls_sort_first: bool) -> Q | None:
    """Rows at or past ``value`` in this key's direction; None for every row."""
    nulls_last = key.nullable and _nulls_come_last(key, nulls_sort_first=nulls_sort_first)
    if value is None:
        return Q(**{f"{key.name}__isnull": True}) if nulls_last else None
    bound = Q(**{f"{key.name}__{'lte' if key.descending else 'gte'}": value})
    return bound | Q(**{f"{key.name}__isnull": True}) if nulls_last else bound
