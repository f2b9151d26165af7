"""Reading every error a filter matches, for a download: the API's list columns with the
API's values, in the list's order, a chunk at a time.

Rows are read with ``values_list`` in keyset-paginated chunks (each chunk starts after the
last row of the one before, in the list's order): every query is short and read from the
list's index, however many rows the export holds, and no transaction or cursor stays open
while the client downloads. A million rows go through in constant memory.

The columns are the fields of errors.api.serializers.AppErrorSerializer, so the export
cannot drift from the API; but rows are not serialized through DRF (a serializer per row is
several times slower than the database): each column says which value it reads and how that
value is shown, and tests/test_export.py holds every row equal to the API's.
"""

import dataclasses
import datetime
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone
from rest_framework import serializers

from errors.api.serializers import AppErrorSerializer
from errors.filters import AppErrorFilterSet
from errors.models import Severity
from errors.selectors import list_app_errors

CHUNK_SIZE = 2000


@dataclasses.dataclass(frozen=True)
class ExportColumn:
    """One field of the API's list row: the value it reads (a model field, or an
    expression annotated as ``export_<name>``) and how the API shows that value."""

    name: str
    source: str
    show: Callable[[Any], Any]


def _as_is(value: Any) -> Any:
    return value


def _as_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _as_moment(value: datetime.datetime | None) -> str | None:
    """As DRF's DateTimeField shows it: ISO 8601 in the current time zone, UTC as ``Z``."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _severity_name(value: int) -> str:
    return Severity(value).name if value in Severity.values else "OTHER"


def _exception_type(value: str | None) -> str | None:
    return value or None


# Fields the serializer computes in a method: what each reads instead, and how it is shown.
# ``resolved_by`` is the staff member's id here; iter_app_error_rows looks up the name.
COMPUTED_COLUMNS = {
    "severity_name": ("severity", _severity_name),
    "exception_type": ("export_exception_type", _exception_type),
    "resolved_by": ("resolved_by_id", _as_is),
}
ANNOTATIONS = {"export_exception_type": KT("data__exception_type")}
# How the serializer's field classes show a database value (a subclass first).
SHOWN_BY_FIELD_CLASS: Sequence[tuple[type, Callable[[Any], Any]]] = (
    (serializers.DateTimeField, _as_moment),
    (serializers.UUIDField, _as_text),
    (serializers.ChoiceField, _as_is),
    (serializers.BooleanField, _as_is),
    (serializers.IntegerField, _as_is),
    (serializers.CharField, _as_text),
)


def export_columns() -> list[ExportColumn]:
    """The API list row's fields, in its order. A field this module cannot read without
    DRF is a configuration error at the first export, not a silently missing column."""
    columns = []
    for name, field in AppErrorSerializer().fields.items():
        if isinstance(field, serializers.SerializerMethodField):
            if name not in COMPUTED_COLUMNS:
                raise ImproperlyConfigured(f"The export does not know how to read {name!r}.")
            source, show = COMPUTED_COLUMNS[name]
        else:
            show = next(
                (show for kind, show in SHOWN_BY_FIELD_CLASS if isinstance(field, kind)), None
            )
            if show is None:
                raise ImproperlyConfigured(f"The export does not know how to show {name!r}.")
            source = field.source
        columns.append(ExportColumn(name=name, source=source, show=show))
    return columns


def iter_app_error_rows(
    filterset: AppErrorFilterSet, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[list[tuple]]:
    """Every error a valid filterset matches, as the API shows it (one tuple of values per
    row, in export_columns() order), in the list's order, ``chunk_size`` rows at a time."""
    columns = export_columns()
    queryset = list_app_errors(filterset).prefetch_related(None)
    ordering = _ordering(queryset)
    sources = [column.source for column in columns]
    # The sort keys ride along at the end of each row, to find where the next chunk starts.
    keys = [name for name, _ in ordering]
    reading = queryset.annotate(**ANNOTATIONS).values_list(*sources, *keys)
    nulls_sort_first = connections[queryset.db].vendor != "postgresql"
    names = StaffNames()
    shows = [column.show for column in columns]
    resolved_by = next(i for i, column in enumerate(columns) if column.name == "resolved_by")
    after = Q()
    while True:
        chunk = list(reading.filter(after)[:chunk_size])
        if not chunk:
            return
        names.learn(row[resolved_by] for row in chunk)
        rows = []
        for row in chunk:
            values = [show(value) for show, value in zip(shows, row, strict=False)]
            values[resolved_by] = names.shown(values[resolved_by])
            rows.append(tuple(values))
        yield rows
        if len(chunk) < chunk_size:
            return
        after = _after(ordering, chunk[-1][len(sources) :], nulls_sort_first=nulls_sort_first)


class StaffNames:
    """Who resolved the exported errors, as the API names them, looked up once per staff
    member (staff live in the default database, errors maybe not: no join)."""

    def __init__(self) -> None:
        self.known: dict[Any, dict | None] = {None: None}

    def learn(self, ids) -> None:
        missing = set(ids) - self.known.keys()
        if not missing:
            return
        for staff in get_user_model().objects.filter(pk__in=missing):
            self.known[staff.pk] = {
                "id": str(staff.pk),
                "name": staff.get_full_name() or staff.get_username(),
            }
        self.known.update((pk, None) for pk in missing - self.known.keys())

    def shown(self, staff_id) -> dict | None:
        return self.known[staff_id]


def _ordering(queryset: QuerySet) -> list[tuple[str, bool]]:
    """The queryset's ordering as (field, descending) pairs; it ends with the unique id."""
    return [(field.lstrip("-"), field.startswith("-")) for field in queryset.query.order_by]


def _after(ordering: list[tuple[str, bool]], last: Sequence, *, nulls_sort_first: bool) -> Q:
    """Rows that come after ``last`` (its sort key values) in ``ordering``: for each sort
    key, the rows equal on every key before it and past it on this one. NULLs sort as the
    database sorts them (SQLite: smallest; PostgreSQL: largest), so a nullable column (app,
    function) continues exactly where the list would. The first key's bound is repeated on
    its own so the database reads a range of its index, not the whole of it."""
    alternatives = []
    for position, ((name, descending), value) in enumerate(zip(ordering, last, strict=True)):
        past = _past(name, value, descending=descending, nulls_sort_first=nulls_sort_first)
        if past is None:
            continue
        same = [_equal(other, last[i]) for i, (other, _) in enumerate(ordering[:position])]
        alternatives.append(Q(*same, past))
    if not alternatives:
        return Q(pk__in=[])
    condition = Q()
    for alternative in alternatives:
        condition |= alternative
    first, descending = ordering[0]
    past_first = _past(first, last[0], descending=descending, nulls_sort_first=nulls_sort_first)
    bound = _equal(first, last[0])
    if past_first is not None:
        bound |= past_first
    return bound & condition


def _equal(name: str, value: Any) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def _past(name: str, value: Any, *, descending: bool, nulls_sort_first: bool) -> Q | None:
    """Rows strictly past ``value`` in this column's direction; None when none can be."""
    # Past means larger ascending, smaller descending; NULL is the smallest value where
    # nulls sort first ascending (SQLite), the largest otherwise (PostgreSQL).
    nulls_come_last = nulls_sort_first == descending
    if value is None:
        return None if nulls_come_last else Q(**{f"{name}__isnull": False})
    beyond = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
    return beyond | Q(**{f"{name}__isnull": True}) if nulls_come_last else beyond
