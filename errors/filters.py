"""AppErrorFilterSet and ErrorGroupFilterSet: the one place a filter on errors or groups is
spelled. The dashboard's filter bars are their forms (widgets chosen here), the API reads them
through ``filterset_class``, and the counts, charts and pre-aggregated totals apply their
filters (``filter_totals``). Bad values become form errors (400 in the API), never
exceptions."""

import datetime
from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_filters.widgets import BaseCSVWidget

from errors.models import (
    AppError,
    AppErrorDailyCount,
    ErrorGroup,
    ErrorGroupSubject,
    Severity,
    SubjectKind,
)
from errors.search import search_app_errors


def active_filters(data: Mapping[str, Any]) -> set[str]:
    """The names of the filters ``data`` (a FilterSet's cleaned data) gives a value: an
    empty field filters nothing. Ordering counts as one; callers that ask what narrows the
    rows leave it out."""
    return {name for name, value in data.items() if value not in (None, "", [])}


QUICK_RANGES = {
    "1h": datetime.timedelta(hours=1),
    "24h": datetime.timedelta(hours=24),
    "7d": datetime.timedelta(days=7),
    "30d": datetime.timedelta(days=30),
    "90d": datetime.timedelta(days=90),
}
QUICK_RANGE_CHOICES = [
    ("1h", "Last hour"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
]
ORDERING_FIELDS = (
    ("timestamp", "timestamp"),
    ("severity", "severity"),
    ("app", "app"),
    ("function", "function"),
    ("resolved", "resolved"),
)


class SeverityField(forms.TypedChoiceField):
    """A severity by number (``40``) or by name (``error``, any case). Its select offers
    "Any" first; the field's own choices (what the API documents) stay the severities."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget.choices = [("", "Any"), *self.choices]

    def to_python(self, value):
        if isinstance(value, str) and value.strip().upper() in Severity.names:
            return str(int(Severity[value.strip().upper()]))
        return super().to_python(value)


class SeverityChoiceFilter(django_filters.TypedChoiceFilter):
    field_class = SeverityField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", Severity.choices)
        kwargs.setdefault("coerce", int)
        super().__init__(*args, **kwargs)


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment from 1900 to the end of year 9999 in UTC; anything else is a form
    error (a 400 in the API), not an overflow deep in a query or a chart.

    Python parses year 1 at +05:00, but it is in year 0 in UTC. And the charts reach a year
    back from the end of the filter and label their buckets with four-digit years, which
    ``strftime`` does not write before year 1000: 1900 leaves room for both, and no error
    is older."""

    earliest = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
    default_error_messages = {
        "out_of_range": "Enter a date from 1900-01-01 to 9999-12-31 (UTC).",
    }

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            in_utc = moment.astimezone(datetime.UTC)
        except OverflowError:
            in_utc = None
        if in_utc is None or in_utc < self.earliest:
            raise forms.ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None
        return moment


class DateTimePicker(forms.DateTimeInput):
    """The browser's date-time picker (``datetime-local``) for an ISO 8601 filter.

    The picker reads and writes local wall time without an offset, in whole milliseconds
    at most, which the field reads in the site's time zone. A value given another way (an
    offset, a chart bar's end at the last microsecond of its hour) is shown as the same
    moment in that zone, so the picker shows it instead of dropping it; a value that
    cannot be read is kept as typed, beside its form error. ``step="any"`` lets the
    browser accept seconds and milliseconds without calling the form invalid."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"step": "any", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        moment = value if isinstance(value, datetime.datetime) else None
        if isinstance(value, str):
            try:
                moment = parse_datetime(value.strip())
            except ValueError:
                moment = None
            if moment is None:
                return value
        if moment is None:
            return super().format_value(value)
        if timezone.is_aware(moment):
            try:
                moment = timezone.localtime(moment).replace(tzinfo=None)
            except OverflowError:
                return value if isinstance(value, str) else None
        precision = (
            "milliseconds" if moment.microsecond else "seconds" if moment.second else "minutes"
        )
        return moment.isoformat(timespec=precision)


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", DateTimePicker)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.NullBooleanField):
    """Like NullBooleanField, but a value it does not recognise is an error, not "any"."""

    TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
    # A plain select hands the raw value through; NullBooleanSelect would map junk to "any".
    widget = forms.Select(choices=[("", "Any"), ("false", "Unresolved"), ("true", "Resolved")])

    def to_python(self, value):
        if value in (None, "", True, False):
            return None if value == "" else value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Enter true or false.", code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class RowIdField(forms.IntegerField):
    """A row id: a whole number a BIGINT column can hold, so a huge one is a form error
    rather than an overflow in the database driver."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class RowIdFilter(django_filters.NumberFilter):
    field_class = RowIdField


class AppSelect(forms.Select):
    """The apps that have recorded errors, and the one asked for even if it has none, read
    when the filter bar renders (the API never renders it, so never asks)."""

    def get_context(self, name, value, attrs):
        from errors.selectors import list_app_names  # selectors read through this module

        names = list_app_names()
        if value and value not in names:
            names = [value, *names]
        self.choices = [("", "Any app"), *((app, app) for app in names)]
        return super().get_context(name, value, attrs)


HIDDEN = forms.HiddenInput


class HiddenCSVInput(BaseCSVWidget, forms.HiddenInput):
    """The sort order rides along the filter bar unseen, however many fields it names."""

    surrogate = forms.HiddenInput


# The columns the pre-aggregated totals (hourly and daily, one abstract model) share with
# the errors: a filter on one of them narrows the totals exactly as it narrows the errors.
TOTALS_COLUMNS = {field.name for field in AppErrorDailyCount._meta.concrete_fields} & {
    field.name for field in AppError._meta.concrete_fields if not field.primary_key
}


class AppErrorFilterSet(django_filters.FilterSet):
    # Widgets: the filter bar shows the fields with a visible widget; the rest ride along as
    # hidden inputs when set (a filter link or the API's URL set them). Labels name each
    # filter on the bar, in the list of active filters and in the API's documentation.
    app = django_filters.CharFilter(label="App", widget=AppSelect)
    app__icontains = django_filters.CharFilter(
        field_name="app", lookup_expr="icontains", label="App contains", widget=HIDDEN
    )
    file = django_filters.CharFilter(label="File", widget=HIDDEN)
    file__icontains = django_filters.CharFilter(
        field_name="file", lookup_expr="icontains", label="File contains", widget=HIDDEN
    )
    function = django_filters.CharFilter(label="Function", widget=HIDDEN)
    function__icontains = django_filters.CharFilter(
        field_name="function", lookup_expr="icontains", label="Function contains", widget=HIDDEN
    )
    severity = SeverityChoiceFilter(label="Severity")
    severity__gte = SeverityChoiceFilter(
        field_name="severity", lookup_expr="gte", label="Severity at least"
    )
    severity__lte = SeverityChoiceFilter(
        field_name="severity", lookup_expr="lte", label="Severity at most", widget=HIDDEN
    )
    job_id = django_filters.UUIDFilter(label="Job", widget=HIDDEN)
    user_id = django_filters.UUIDFilter(label="User", widget=HIDDEN)
    resolved = StrictBooleanFilter(label="Status")
    timestamp__gte = BoundedIsoDateTimeFilter(
        field_name="timestamp",
        lookup_expr="gte",
        label="From",
    )
    timestamp__lte = BoundedIsoDateTimeFilter(
        field_name="timestamp",
        lookup_expr="lte",
        label="To",
    )
    range = django_filters.ChoiceFilter(
        field_name="timestamp",
        choices=QUICK_RANGE_CHOICES,
        method="filter_range",
        label="When",
        empty_label="Any time",
    )
    search = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        widget=forms.SearchInput(attrs={"placeholder": "message or context"}),
    )
    release = django_filters.CharFilter(label="Release", widget=HIDDEN)
    environment = django_filters.CharFilter(label="Environment", widget=HIDDEN)
    group = RowIdFilter(field_name="group_id", label="Group", widget=HIDDEN)
    ordering = django_filters.OrderingFilter(fields=ORDERING_FIELDS, widget=HiddenCSVInput)

    class Meta:
        model = AppError
        fields: list[str] = []

    def filter_range(self, queryset, name, value):
        if value not in QUICK_RANGES:
            return queryset
        return queryset.filter(**{f"{name}__gte": timezone.now() - QUICK_RANGES[value]})

    def filter_search(self, queryset, name, value):
        return search_app_errors(queryset, value)

    @classmethod
    def filter_totals(
        cls, totals: QuerySet, data: Mapping[str, Any], *, time_is_bounded: bool
    ) -> QuerySet | None:
        """``totals`` (hourly or daily totals, or errors) narrowed by the filter values
        ``data`` (this FilterSet's cleaned data) through the same filters that narrow the
        errors; None when an active filter has no column in the totals (a search, a
        function, a job: those need the errors themselves). Filters on the time narrow
        nothing here: with ``time_is_bounded`` the caller bounds the time itself (the
        trend's window), without it they too make the answer None."""
        for name in sorted(active_filters(data)):
            declared = cls.base_filters[name]
            if isinstance(declared, django_filters.OrderingFilter):
                continue
            if declared.field_name == "timestamp":
                if time_is_bounded:
                    continue
                return None
            if declared.method is not None or declared.field_name not in TOTALS_COLUMNS:
                return None
            totals = declared.filter(totals, data[name])
        return totals


GROUP_STATUS_CHOICES = [
    ("unresolved", "Unresolved"),
    ("resolved", "Resolved"),
    ("muted", "Muted"),
    ("all", "All"),
]
GROUP_ORDERING_FIELDS = (
    ("last_seen", "last_seen"),
    ("first_seen", "first_seen"),
    ("count", "count"),
    ("severity", "severity"),
)


def muted_now(now: datetime.datetime | None = None) -> Q:
    """Groups muted at this moment: muted for good, or until a time still ahead. A snooze
    whose time has passed counts as over even before an occurrence records its end."""
    now = now or timezone.now()
    return Q(is_muted=True) & (Q(muted_until__isnull=True) | Q(muted_until__gt=now))


class ErrorGroupFilterSet(django_filters.FilterSet):
    """Groups, filtered by the error list's names where they apply. ``timestamp__gte`` and
    ``timestamp__lte`` keep their meaning of "an occurrence in this window" (last seen at or
    after, first seen at or before), so a filter carries over between the two lists and a
    chart's bar narrows either one. Without ``status`` every group is listed; the dashboard
    asks for ``unresolved``."""

    app = django_filters.CharFilter(
        field_name="app", lookup_expr="exact", label="App", widget=AppSelect
    )
    app__icontains = django_filters.CharFilter(field_name="app", lookup_expr="icontains")
    severity = SeverityChoiceFilter(field_name="severity", lookup_expr="exact")
    severity__gte = SeverityChoiceFilter(
        field_name="severity",
        lookup_expr="gte",
        label="At least",
        choices=[("", "Any"), *Severity.choices],
    )
    severity__lte = SeverityChoiceFilter(field_name="severity", lookup_expr="lte")
    status = django_filters.ChoiceFilter(
        choices=GROUP_STATUS_CHOICES, method="filter_status", empty_label=None, label="Status"
    )
    job_id = django_filters.UUIDFilter(method="filter_subject", label="Job")
    user_id = django_filters.UUIDFilter(method="filter_subject", label="User")
    release = django_filters.CharFilter(method="filter_occurrences", label="Release")
    environment = django_filters.CharFilter(method="filter_occurrences", label="Environment")
    timestamp__gte = BoundedIsoDateTimeFilter(
        field_name="last_seen", lookup_expr="gte", label="From"
    )
    timestamp__lte = BoundedIsoDateTimeFilter(
        field_name="first_seen", lookup_expr="lte", label="To"
    )
    last_seen__gte = BoundedIsoDateTimeFilter(field_name="last_seen", lookup_expr="gte")
    last_seen__lte = BoundedIsoDateTimeFilter(field_name="last_seen", lookup_expr="lte")
    range = django_filters.ChoiceFilter(
        choices=QUICK_RANGE_CHOICES, method="filter_range", label="Seen", empty_label="Any time"
    )
    search = django_filters.CharFilter(method="filter_search", label="Search")
    ordering = django_filters.OrderingFilter(fields=GROUP_ORDERING_FIELDS)

    class Meta:
        model = ErrorGroup
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "unresolved":
            return queryset.filter(resolved=False).exclude(muted_now())
        if value == "resolved":
            return queryset.filter(resolved=True)
        if value == "muted":
            return queryset.filter(muted_now())
        return queryset

    def filter_subject(self, queryset: QuerySet, name: str, value) -> QuerySet:
        """Groups with an occurrence for this job or user, shed occurrences included: read
        from the per-group subject counts, whose key starts with (kind, subject)."""
        kind = SubjectKind.JOB if name == "job_id" else SubjectKind.USER
        subjects = ErrorGroupSubject.objects.filter(kind=kind, subject_id=value)
        return queryset.filter(pk__in=subjects.values("group_id"))

    def filter_occurrences(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Groups with a stored occurrence in this release or environment."""
        occurrences = AppError.objects.filter(group_id=OuterRef("pk"), **{name: value})
        return queryset.filter(Exists(occurrences))

    def filter_range(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value not in QUICK_RANGES:
            return queryset
        return queryset.filter(last_seen__gte=timezone.now() - QUICK_RANGES[value])

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Every word in the title, the culprit or the exception type, any case: a scan of
        the groups table (thousands of short rows), not of the errors."""
        for word in value.split():
            queryset = queryset.filter(
                Q(title__icontains=word)
                | Q(culprit__icontains=word)
                | Q(exception_type__icontains=word)
            )
        return queryset
