"""Everything the error list shows for one query string, computed on first use.

A partial response (sorting swaps only the table, a resolve refreshes only the summary) reads
only the attributes its markup uses, so it runs only the queries it needs.
"""

import datetime
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django_tables2 import RequestConfig

from dashboard.access import RESOLVE_PERMISSION
from dashboard.charts import build_trend_charts
from dashboard.clean_urls import defaults_attribute
from dashboard.dates import format_moment, format_moment_in_full, parse_moment
from dashboard.forms import PageForm
from dashboard.inline_summary import asks_summary_inline
from dashboard.live_notice import LiveNotice
from dashboard.quick_ranges import QuickRange, quick_range_links
from dashboard.table_rows import CappedPaginator
from dashboard.tables import DEFAULT_PER_PAGE, PER_PAGE_CHOICES, AppErrorTable, query_with
from errors import counting
from errors.filters import BoundedIsoDateTimeField
from errors.newest_errors import (
    NewestAppErrors,
    count_newest_app_errors_over_time,
    read_newest_app_errors,
)
from errors.selectors import (
    count_app_errors_over_time,
    count_filtered_app_errors,
    filter_app_errors,
    highlight_app_error_messages,
    list_app_errors,
)
from errors.services import may_resolve_matching


@dataclass(frozen=True)
class ActiveFilter:
    """One filter in force, as the list of active filters shows it: read the way the filter
    bar reads it (its label, and its select's label for the value)."""

    name: str
    value: str
    remove_query: str
    field_label: str
    choices: dict[str, str]  # what the filter's select offers: value -> label
    moment: datetime.datetime | None = None  # the value of a date filter, when it reads as one

    @property
    def label(self) -> str:
        return self.field_label[:1].lower() + self.field_label[1:]

    @property
    def display_value(self) -> str:
        """The value as a person reads it: a severity by name, a range by its label, a date
        as "2 Nov 14:00"."""
        if self.moment is not None:
            return format_moment(self.moment)
        return self.choices.get(self.value, self.choices.get(self.value.lower(), self.value))

    @property
    def moment_in_full(self) -> str:
        return format_moment_in_full(self.moment) if self.moment is not None else ""


def choice_labels(field) -> dict[str, str]:
    return {str(value): str(label) for value, label in getattr(field.widget, "choices", ())}


def moment_of(field, value: str) -> datetime.datetime | None:
    return parse_moment(value) if isinstance(field, BoundedIsoDateTimeField) else None


# The list's parameters at their defaults: a shared URL leaves them out.
URL_DEFAULTS = {"page": "1", "per_page": str(DEFAULT_PER_PAGE)}


class ErrorListing:
    def __init__(self, request: HttpRequest, params: QueryDict, *, summary_only: bool = False):
        self.request = request
        self.params = params
        # Whether only the summary is answered (htmx asked for it): it is then computed
        # whatever the filter, never deferred again.
        self.summary_only = summary_only
        self.filterset = filter_app_errors(params)
        self.page_form = PageForm(params)
        self.is_valid = self.filterset.is_valid()
        self.page_number, self.per_page = self.page_form.page_and_size()
        self.can_resolve = request.user.has_perm(RESOLVE_PERMISSION)

    # The filter bar: the FilterSet's form, and the page size beside it.
    per_page_choices = PER_PAGE_CHOICES
    url_defaults = defaults_attribute(URL_DEFAULTS)

    @property
    def filter_form(self):
        return self.filterset.form

    @property
    def form_errors(self) -> dict[str, Any]:
        return {**self.filterset.errors, **self.page_form.errors}

    @cached_property
    def active_filters(self) -> list[ActiveFilter]:
        return [
            ActiveFilter(
                name,
                value,
                query_with(self.params, **{name: None}),
                str(self.filterset.form.fields[name].label or name),
                choice_labels(self.filterset.form.fields[name]),
                None
                if name in self.filterset.errors
                else moment_of(self.filterset.form.fields[name], value),
            )
            for name in self.filterset.filters
            if name != "ordering" and (value := self.params.get(name))
        ]

    @property
    def has_filters(self) -> bool:
        """Whether "resolve all matching" is offered: the rule the service applies."""
        return may_resolve_matching(self.filterset)

    @cached_property
    def quick_ranges(self) -> list[QuickRange]:
        return quick_range_links(self.params)

    @cached_property
    def live(self) -> LiveNotice:
        """The notice that polls for errors matching this filter that arrive from now on."""
        return LiveNotice.for_list("error_list_news", self.params)

    @property
    def list_url(self) -> str:
        """This list, page included: where a plain (no-JavaScript) resolve returns to, also
        when the rows were rendered by a bulk action's response."""
        return reverse("error_list") + ("?" + self.params.urlencode() if self.params else "")

    @property
    def query(self) -> str:
        """The current query string, page excluded: the base of every link on the page."""
        return query_with(self.params)

    # The rows.
    @cached_property
    def errors(self) -> QuerySet:
        if not self.is_valid:
            return self.filterset.queryset.none()
        return list_app_errors(self.filterset)

    @cached_property
    def table(self) -> AppErrorTable:
        """The page of rows. The ordering comes from the request (RequestConfig, the
        FilterSet's ``ordering`` parameter); the page and its size from the PageForm, which
        has already refused sizes the pager does not offer."""
        table = AppErrorTable(
            self.errors,
            params=self.params,
            can_resolve=self.can_resolve,
            next_url=self.list_url,
            request=self.request,
        )
        RequestConfig(self.request, paginate=False).configure(table)
        table.paginate(
            paginator_class=CappedPaginator,
            per_page=self.per_page,
            page=self.page_number,
            total=self.total,
        )
        search = self.filterset.form.cleaned_data.get("search") if self.is_valid else None
        records = [row.record for row in table.page.object_list]
        if search and records:
            table.highlights = highlight_app_error_messages(records, search)
        return table

    @property
    def page(self) -> Page:
        return self.table.page

    def page_query(self, number: int) -> str:
        query = self.params.copy()
        query["page"] = str(number)
        return "?" + query.urlencode()

    @cached_property
    def previous_query(self) -> str | None:
        page = self.page
        return self.page_query(page.previous_page_number()) if page.has_previous() else None

    @cached_property
    def next_query(self) -> str | None:
        page = self.page
        return self.page_query(page.next_page_number()) if page.has_next() else None

    # The summary above the table.
    @cached_property
    def total(self) -> tuple[int, bool]:
        """How many errors match, and whether exactly: every page a pager link leads to is
        counted, and has its own link onwards."""
        if not self.is_valid:
            return 0, True
        cap = counting.count_cap_for_page(self.page_number, self.per_page)
        return count_filtered_app_errors(self.filterset, cap=cap)

    @property
    def is_search(self) -> bool:
        search = self.filterset.form.cleaned_data.get("search") if self.is_valid else None
        return bool((search or "").strip())

    @property
    def defers_summary(self) -> bool:
        """Whether the page comes without the unresolved count and the charts, which it asks
        for once loaded: a search's are read from its matches (no totals kept per word), and
        the table of results should not wait for them. Not when the page is asked for with
        its summary in it (dashboard.inline_summary: the page without JavaScript)."""
        return self.is_search and not self.summary_only and not asks_summary_inline(self.params)

    @cached_property
    def newest(self) -> NewestAppErrors | None:
        """A search's newest matches, read once for both its unresolved count and its chart
        (errors.newest_errors: a common word's every match is too many to read per page)."""
        return read_newest_app_errors(self.filterset) if self.is_search else None

    @cached_property
    def unresolved(self) -> tuple[int, bool]:
        if not self.is_valid:
            return 0, True
        if self.newest is not None:
            return self.newest.unresolved, self.newest.is_complete
        return count_filtered_app_errors(self.filterset, resolved=False, cap=counting.COUNT_CAP)

    @cached_property
    def charts(self) -> dict[str, Any] | None:
        if not self.is_valid:
            return None
        if self.newest is not None:
            return build_trend_charts(
                count_newest_app_errors_over_time(self.filterset, self.newest)
            )
        return build_trend_charts(count_app_errors_over_time(self.filterset))
