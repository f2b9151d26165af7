import datetime

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from errors.filters import AppErrorFilterSet
from errors.selectors import list_app_errors


class AppErrorFilterBackend(DjangoFilterBackend):
    """django-filter's DRF backend over the one AppErrorFilterSet, with the list read through
    the selector so the API orders and prefetches exactly as the dashboard does. Invalid
    parameters are a 400 naming each field."""

    def valid_filterset(self, request, queryset, view) -> AppErrorFilterSet:
        filterset = self.get_filterset(request, queryset, view)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        for name in ("timestamp__gte", "timestamp__lte"):
            moment = filterset.form.cleaned_data.get(name)
            try:
                moment is not None and moment.astimezone(datetime.UTC)
            except OverflowError:
                # Year 1 at +05:00 is a valid ISO date that no database column can hold.
                raise ValidationError({name: ["Date out of range."]}) from None
        return filterset

    def filter_queryset(self, request, queryset, view):
        return list_app_errors(self.valid_filterset(request, queryset, view))
