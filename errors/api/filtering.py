from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from errors.filters import AppErrorFilterSet
from errors.selectors import list_app_errors, list_ranked_app_errors

RANK_PARAMETER = "rank"


class AppErrorFilterBackend(DjangoFilterBackend):
    """django-filter's DRF backend over the one AppErrorFilterSet, with the list read through
    the selector so the API orders and prefetches exactly as the dashboard does. Invalid
    parameters are a 400 naming each field.

    Like django-filter's FilterView, it leaves the bound filterset on the view
    (``view.filterset``): the paginator counts through it, in the totals or the search
    index where they answer."""

    def valid_filterset(self, request, queryset, view) -> AppErrorFilterSet:
        filterset = self.get_filterset(request, queryset, view)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset

    def filter_queryset(self, request, queryset, view):
        view.filterset = self.valid_filterset(request, queryset, view)
        return self.list_app_errors(request, view.filterset)

    def list_app_errors(self, request, filterset: AppErrorFilterSet):
        """The filterset's errors newest first, or best match first with ``rank=true``."""
        rank = request.query_params.get(RANK_PARAMETER, "")
        if rank.lower() in {"true", "1"}:
            return list_ranked_app_errors(filterset)
        if rank.lower() not in {"", "false", "0"}:
            raise ValidationError({RANK_PARAMETER: ["Must be true or false."]})
        return list_app_errors(filterset)
