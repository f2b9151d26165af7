"""Everything the group list shows for one query string, computed on first use, so a
partial response (sorting swaps only the table) runs only the queries its markup reads."""

from functools import cached_property
from typing import Any

from django.core.paginator import EmptyPage
from django.forms import BoundField
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django_tables2 import RequestConfig

from dashboard.access import RESOLVE_PERMISSION
from dashboard.charts import build_trend_charts
from dashboard.clean_urls import defaults_attribute
from dashboard.forms import PageForm
from dashboard.group_tables import GroupTable
from dashboard.listing import URL_DEFAULTS
from dashboard.live_notice import LiveNotice
from dashboard.quick_ranges import QuickRange, quick_range_links
from errors.group_selectors import (
    build_sparklines,
    count_groups_over_time,
    count_ungrouped_app_errors,
    filter_error_groups,
    group_trend_window,
    list_error_groups,
)

DEFAULT_STATUS = "unresolved"
# The filter bar's fields, in order; any other filter given rides along as a hidden input.
VISIBLE_FILTERS = (
    "search",
    "status",
    "app",
    "severity__gte",
    "range",
    "timestamp__gte",
    "timestamp__lte",
    "release",
    "environment",
)
GROUP_URL_DEFAULTS = {**URL_DEFAULTS, "status": DEFAULT_STATUS}


def group_list_params(params: QueryDict) -> QueryDict:
    """The request's parameters with the dashboard's default status (unresolved) when none
    is given: the API lists every group, the triage page what is still open."""
    params = params.copy()
    if "status" not in params:
        params["status"] = DEFAULT_STATUS
    return params


class GroupListing:
    url_defaults = defaults_attribute(GROUP_URL_DEFAULTS)

    def __init__(self, request: HttpRequest, params: QueryDict) -> None:
        self.request = request
        self.params = group_list_params(params)
        self.filterset = filter_error_groups(self.params)
        self.page_form = PageForm(self.params)
        self.is_valid = self.filterset.is_valid()
        self.page_number, self.per_page = self.page_form.page_and_size()
        self.can_resolve = request.user.has_perm(RESOLVE_PERMISSION)

    @property
    def form_errors(self) -> dict[str, Any]:
        return {**self.filterset.errors, **self.page_form.errors}

    @cached_property
    def visible_fields(self) -> list[BoundField]:
        form = self.filterset.form
        return [form[name] for name in VISIBLE_FILTERS]

    @cached_property
    def hidden_filters(self) -> list[tuple[str, str]]:
        return [
            (name, value)
            for name in self.filterset.filters
            if name not in VISIBLE_FILTERS and (value := self.params.get(name))
        ]

    @cached_property
    def quick_ranges(self) -> list[QuickRange]:
        return quick_range_links(self.request.GET)

    @cached_property
    def live(self) -> LiveNotice:
        """The notice that polls for groups matching this filter with occurrences from now
        on."""
        return LiveNotice.for_list("group_list_news", self.request.GET)

    @property
    def list_url(self) -> str:
        """This list as shown: where a plain (no-JavaScript) resolve returns to."""
        query = self.request.GET.urlencode()
        return reverse("group_list") + (f"?{query}" if query else "")

    @property
    def bulk_url(self) -> str:
        """Where the ticked groups are posted: the list's query string rides along, so the
        answer lists the same page."""
        query = self.request.GET.urlencode()
        return reverse("group_bulk") + (f"?{query}" if query else "")

    @cached_property
    def table(self) -> GroupTable:
        groups = list_error_groups(self.filterset) if self.is_valid else self.filterset.qs.none()
        table = GroupTable(
            groups, can_resolve=self.can_resolve, next_url=self.list_url, request=self.request
        )
        RequestConfig(self.request, paginate=False).configure(table)
        try:
            table.paginate(page=self.page_number, per_page=self.per_page)
        except EmptyPage:
            table.paginate(page=table.paginator.num_pages, per_page=self.per_page)
        rows = list(table.page.object_list)  # bound rows, each with its record fixed
        table.page.object_list = rows
        groups = [row.record for row in rows]
        table.prepare_rows(groups, build_sparklines([group.pk for group in groups]))
        return table

    @cached_property
    def group_count(self) -> int:
        """How many groups the filter lists, without rendering the page of them."""
        return self.filterset.qs.count()

    @cached_property
    def ungrouped(self) -> tuple[int, bool]:
        return count_ungrouped_app_errors()

    @cached_property
    def charts(self) -> dict[str, Any] | None:
        if not self.is_valid:
            return None
        window = group_trend_window(self.filterset)
        return build_trend_charts(count_groups_over_time(self.filterset.qs, window))
