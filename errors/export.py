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
API's text directly. tests/test_export.py holds every exported row equal to the API's, on
both databases.
"""

import dataclasses
import datetime
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Func, Q, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.db.models.sql.constants import MULTI
from django.utils import timezone
from rest_framework import serializers

from errors.api.serializers import AppErrorSerializer
from errors.filters import AppErrorFilterSet
from errors.models import AppError, Severity
from errors.selectors import list_app_errors

CHUNK_SIZE = 2000
SEVERITY_NAMES = {int(level): level.name for level in Severity}
# "YYYY-MM-DD HH:MM:SS" then ".ffffff": where the seconds and the microseconds end.
SECONDS_END, MICROSECONDS_END = 19, 26
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
    compute: Callable[[Any], Any] | None = None


def _severity_name(value: int) -> str:
    return SEVERITY_NAMES.get(value, "OTHER")


def _exception_type(value: str | None) -> str | None:
    return value or None


# Fields the serializer computes in a method: (what each reads instead, whether it is text,
# how it is shown). ``resolved_by`` is the staff member's id here; its name is looked up per
# chunk (StaffNames).
COMPUTED_COLUMNS = {
    "severity_name": ("severity", True, _severity_name),
    "exception_type": ("export_exception_type", True, _exception_type),
    "resolved_by": ("resolved_by_id", False, None),
}
ANNOTATIONS = {"export_exception_type": KT("data__exception_type")}
KINDS = {"UUIDField": "uuid", "DateTimeField": "moment", "BooleanField": "bool"}


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


def iter_app_error_rows(
    filterset: AppErrorFilterSet, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[list[list]]:
    """Every error a valid filterset matches, as the API shows it (one list of values per
    row, in export_columns() order), in the list's order, ``chunk_size`` rows at a time.
    The lists are the caller's to change."""
    columns = export_columns()
    queryset = list_app_errors(filterset).prefetch_related(None)
    ordering = _ordering(queryset)
    vendor = connections[queryset.db].vendor
    in_sql = _texts_in_sql(vendor)
    readers = {kind: read for kind, read in _readers(vendor).items() if kind not in in_sql}
    # What each column needs done to the database's value, skipping those kept as they are.
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
        page = reading.filter(after)[:chunk_size]
        compiler = page.query.get_compiler(using=page.db)
        chunk = [row for rows in compiler.execute_sql(MULTI, chunk_size=chunk_size) for row in rows]
        if not chunk:
            return
        rows = []
        for raw in chunk:
            values = list(raw)
            for index, convert in conversions:
                values[index] = convert(values[index])
            rows.append(values)
        last = [rows[-1][position] for position in key_positions]
        names.learn(values[resolved_by] for values in rows)
        for values in rows:
            values[resolved_by] = names.known[values[resolved_by]]
        yield rows
        if len(chunk) < chunk_size:
            return
        after = _after(ordering, last, nulls_sort_first=vendor != "postgresql")


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


def _readers(vendor: str) -> dict[str, Callable[[Any], Any]]:
    """How each kind of database value becomes the API's value on this database. Times are
    shown as DRF's DateTimeField shows them: ISO 8601 in the current time zone, UTC as Z.
    Both databases give their times' text in UTC (SQLite "YYYY-MM-DD HH:MM:SS[.ffffff]",
    PostgreSQL the same with "+00"), so at UTC (the default) only the text changes."""
    tz = timezone.get_current_timezone()
    is_utc = tz is datetime.UTC or getattr(tz, "key", None) in UTC_NAMES
    utc_suffix = "" if vendor == "sqlite" else "+00"
    cut = len(utc_suffix)

    def moment(text: str | None) -> str | None:
        if text is None:
            return None
        if is_utc and text.endswith(utc_suffix):
            shown = text[: len(text) - cut]
            if len(shown) > SECONDS_END:  # PostgreSQL drops the fraction's trailing zeros
                shown = shown.ljust(MICROSECONDS_END, "0")
            return shown.replace(" ", "T", 1) + "Z"
        value = datetime.datetime.fromisoformat(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        shown = value.astimezone(tz).isoformat()
        return shown[:-6] + "Z" if shown.endswith("+00:00") else shown

    if vendor == "sqlite":
        return {"moment": moment, "bool": bool}  # UUIDs: _SQLiteUUIDText
    return {"moment": moment, "bool": bool}


def _texts_in_sql(vendor: str) -> dict[str, Callable[[str], Func]]:
    """Kinds of value SQLite can give as the API's text itself, in C, saving Python a
    function call per value (a fifth of the export's time): a UUID's hyphens always, a
    time when the API shows UTC ("YYYY-MM-DD HH:MM:SS[.ffffff]" becomes
    "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"). NULL stays NULL."""
    if vendor != "sqlite":
        return {}
    texts: dict[str, Callable[[str], Func]] = {"uuid": _SQLiteUUIDText}
    tz = timezone.get_current_timezone()
    if tz is datetime.UTC or getattr(tz, "key", None) in UTC_NAMES:
        texts["moment"] = _SQLiteUTCText
    return texts


class _SQLiteUUIDText(Func):
    template = (
        "substr(%(expressions)s, 1, 8) || '-' || substr(%(expressions)s, 9, 4) || '-' || "
        "substr(%(expressions)s, 13, 4) || '-' || substr(%(expressions)s, 17, 4) || '-' || "
        "substr(%(expressions)s, 21)"
    )
    output_field = TextField()


class _SQLiteUTCText(Func):
    template = "replace(%(expressions)s, ' ', 'T') || 'Z'"
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
