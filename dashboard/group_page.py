"""Everything one group's page shows, computed on first use: a filter or a page of its
occurrences (an htmx swap of the table) runs only the queries the table needs, and the
whole page counts the group's stored occurrences once, not once for the table's pager and
again for the "still stored" line."""

from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django_tables2 import RequestConfig

from dashboard.charts import build_trend_charts
from dashboard.group_tables import OccurrenceTable
from dashboard.quick_ranges import QuickRange, quick_range_links
from dashboard.views import pretty_context
from errors.filters import AppErrorFilterSet, active_filters
from errors.group_selectors import (
    count_group_over_time,
    count_stored_occurrences,
    list_affected_subjects,
)
from errors.models import AppError, ErrorGroup, ErrorGroupSubject
from errors.selectors import filter_app_errors, list_app_errors

OCCURRENCES_PER_PAGE = 25
# What narrows the table to this group and orders it: neither leaves a stored occurrence out.
NOT_NARROWING = {"group", "ordering"}


class GroupPage:
    def __init__(self, request: HttpRequest, group: ErrorGroup) -> None:
        self.request = request
        self.group = group
        params = request.GET.copy()
        params["group"] = str(group.pk)
        self.filterset: AppErrorFilterSet = filter_app_errors(params)
        self.is_valid = self.filterset.is_valid()

    @cached_property
    def occurrences(self) -> OccurrenceTable:
        rows = list_app_errors(self.filterset) if self.is_valid else self.filterset.queryset.none()
        table = OccurrenceTable(rows, request=self.request)
        RequestConfig(self.request, paginate={"per_page": OCCURRENCES_PER_PAGE}).configure(table)
        return table

    @property
    def lists_every_occurrence(self) -> bool:
        """Whether the table lists every stored occurrence of the group (no filter but the
        group's own): its pager's count is then the stored count."""
        if not self.is_valid:
            return False
        return not active_filters(self.filterset.form.cleaned_data) - NOT_NARROWING

    @cached_property
    def stored(self) -> int:
        """How many of the group's occurrences are still stored: the biggest group has more
        than 100,000, so the pager's count is read when it already counted them all."""
        if self.lists_every_occurrence:
            return self.occurrences.paginator.count
        return count_stored_occurrences(self.group)

    @cached_property
    def latest(self) -> AppError | None:
        return list_app_errors(filter_app_errors({"group": self.group.pk})).first()

    @cached_property
    def latest_context(self) -> str:
        return pretty_context(self.latest) if self.latest else ""

    @cached_property
    def affected(self) -> dict[str, list[ErrorGroupSubject]]:
        return list_affected_subjects(self.group)

    @cached_property
    def charts(self) -> dict[str, Any]:
        return build_trend_charts(count_group_over_time(self.group))

    @cached_property
    def quick_ranges(self) -> list[QuickRange]:
        return quick_range_links(self.request.GET)
