"""AppErrorFilterSet: the one place a filter on errors is spelled. The dashboard's filter bar
is its form (widgets chosen here), the API reads it through ``filterset_class``, and the
counts, charts and pre-aggregated totals apply its filters (``filter_totals``). Bad values
become form errors (400 in the API), never exceptions."""

import datetime
from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django_filters.widgets import BaseCSVWidget

from errors.models import AppError, AppErrorDailyCount, Severity
from errors.search import search_app_errors


def active_filters(data: Mapping[str, Any]) -> set[str]:
    """The names of the filters ``data`` (a FilterSet's cleaned data) gives a value: an
    empty field filters nothing. Ordering counts as one; callers that ask what narrows the
    rows leave it out."""
    return {name for name, value in data.items() if value not in (None, "", [])}


QUICK_RANGES = {
    "24h": datetime.timedelta(hours=24),
    "7d": datetime.timedelta(days=7),
    "30d": datetime.timedelta(days=30),
    "90d": datetime.timedelta(days=90),
}
QUICK_RANGE_CHOICES = [
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


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


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
        widget=forms.DateTimeInput(attrs={"placeholder": "2026-01-31T09:00", "size": 16}),
    )
    timestamp__lte = BoundedIsoDateTimeFilter(
        field_name="timestamp",
        lookup_expr="lte",
        label="To",
        widget=forms.DateTimeInput(attrs={"placeholder": "2026-01-31T18:00", "size": 16}),
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
