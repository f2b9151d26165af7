"""AppErrorFilterSet: the one definition of how errors are filtered, for the dashboard and the
API alike. Bad values become form errors (400 in the API), never exceptions."""

import datetime
from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.utils import timezone

from errors.models import AppError, Severity
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
    """A severity by number (``40``) or by name (``error``, any case)."""

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


class AppErrorFilterSet(django_filters.FilterSet):
    app = django_filters.CharFilter(field_name="app", lookup_expr="exact")
    app__icontains = django_filters.CharFilter(field_name="app", lookup_expr="icontains")
    file = django_filters.CharFilter(field_name="file", lookup_expr="exact")
    file__icontains = django_filters.CharFilter(field_name="file", lookup_expr="icontains")
    function = django_filters.CharFilter(field_name="function", lookup_expr="exact")
    function__icontains = django_filters.CharFilter(field_name="function", lookup_expr="icontains")
    severity = SeverityChoiceFilter(field_name="severity", lookup_expr="exact")
    severity__gte = SeverityChoiceFilter(field_name="severity", lookup_expr="gte")
    severity__lte = SeverityChoiceFilter(field_name="severity", lookup_expr="lte")
    job_id = django_filters.UUIDFilter(field_name="job_id")
    user_id = django_filters.UUIDFilter(field_name="user_id")
    resolved = StrictBooleanFilter(field_name="resolved")
    timestamp__gte = BoundedIsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    timestamp__lte = BoundedIsoDateTimeFilter(field_name="timestamp", lookup_expr="lte")
    range = django_filters.ChoiceFilter(
        choices=QUICK_RANGE_CHOICES, method="filter_range", label="Time range"
    )
    search = django_filters.CharFilter(method="filter_search", label="Search")
    ordering = django_filters.OrderingFilter(fields=ORDERING_FIELDS)

    class Meta:
        model = AppError
        fields: list[str] = []

    def filter_range(self, queryset, name, value):
        if value not in QUICK_RANGES:
            return queryset
        return queryset.filter(timestamp__gte=timezone.now() - QUICK_RANGES[value])

    def filter_search(self, queryset, name, value):
        return search_app_errors(queryset, value)
