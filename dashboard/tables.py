"""The error table: its columns, how each cell reads, and the capped paginator it pages with.

Rows are rendered by the ``row`` partial of ``dashboard/error_list.html`` (so an inline
resolve can answer with exactly one row); this module decides what each cell holds.
Sorting is not done here: the FilterSet's ``ordering`` parameter orders the queryset, so the
dashboard's URLs and the API's speak the same language. The table only builds the links.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import django_tables2 as tables
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from errors.models import AppError, Severity
from errors.selectors import count_app_errors

COUNT_CAP = 100_000
PER_PAGE_CHOICES = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 50
MESSAGE_PREVIEW = 300
# Column name -> the FilterSet's ordering field it sorts by.
SORTABLE_COLUMNS = {
    "timestamp": "timestamp",
    "severity": "severity",
    "app": "app",
    "function": "function",
    "status": "resolved",
}


class CappedPaginator(Paginator):
    """A Paginator whose ``count`` stops at ``cap``: the last pages of a list of millions are
    never worth an exact COUNT(*). ``is_exact`` says whether the count was capped."""

    def __init__(self, object_list: QuerySet, per_page: int, *, cap: int = COUNT_CAP):
        super().__init__(object_list, per_page)
        self.cap = cap
        self.is_exact = True

    @cached_property
    def count(self) -> int:
        total, self.is_exact = count_app_errors(self.object_list, cap=self.cap)
        return total


def query_with(params: QueryDict, **changes: str | None) -> str:
    """The query string of ``params`` with ``changes`` applied (None removes a key) and the
    page reset, in a stable order, so links are shareable and comparable."""
    query = params.copy()
    query.pop("page", None)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return "?" + query.urlencode() if query else "?"


@dataclass(frozen=True)
class SortLink:
    """One column header: its label, the link that sorts by it, and how it is sorted now."""

    name: str
    header: str
    query: str | None  # None: the column does not sort
    direction: str  # "asc", "desc" or ""


def sort_links(table: tables.Table, params: QueryDict) -> list[SortLink]:
    """Header links that toggle each sortable column between descending and ascending."""
    current = params.get("ordering", "")
    links = []
    for column in table.columns:
        field = SORTABLE_COLUMNS.get(column.name)
        if field is None:
            links.append(SortLink(column.name, str(column.header), None, ""))
            continue
        direction = "desc" if current == f"-{field}" else "asc" if current == field else ""
        next_value = field if direction == "desc" else f"-{field}"
        links.append(
            SortLink(
                column.name, str(column.header), query_with(params, ordering=next_value), direction
            )
        )
    return links


class AppErrorTable(tables.Table):
    """One error per row: when, how bad, where, what, and whether someone has dealt with it.

    ``params`` is the current query (filter links keep it and narrow it further);
    ``can_resolve`` decides whether the Resolve buttons appear."""

    select = tables.Column(empty_values=(), verbose_name="", orderable=False, accessor="pk")
    timestamp = tables.Column(verbose_name="Time")
    severity = tables.Column()
    app = tables.Column()
    file = tables.Column()
    function = tables.Column()
    message = tables.Column()
    job_id = tables.Column(verbose_name="Job")
    user_id = tables.Column(verbose_name="User")
    status = tables.Column(empty_values=(), accessor="resolved", verbose_name="Status")

    class Meta:
        model = AppError
        fields = ()
        orderable = False
        empty_text = ""

    def __init__(
        self,
        data: Iterable[AppError],
        *,
        params: QueryDict,
        can_resolve: bool,
        next_url: str,
        request=None,
    ):
        super().__init__(data)
        self.params = params
        self.can_resolve = can_resolve
        self.next_url = next_url
        self.request = request

    def filter_link(self, name: str, value, text: str | None = None):
        query = query_with(self.params, **{name: str(value)})
        return format_html(
            '<a class="filter-link" href="{}" hx-get="{}" title="Only {} = {}">{}</a>',
            query,
            query,
            name,
            value,
            text if text is not None else value,
        )

    def render_select(self, value):
        return format_html(
            '<input type="checkbox" name="ids" value="{}" form="bulk-form" '
            'aria-label="Select this error">',
            value,
        )

    def render_timestamp(self, value, record):
        local = timezone.localtime(value)
        return format_html(
            '<a href="{}" title="{}"><time datetime="{}">{}</time></a>',
            reverse("error_detail", args=[record.pk]),
            naturaltime(value),
            value.isoformat(),
            local.strftime("%Y-%m-%d %H:%M"),
        )

    def render_severity(self, value, record):
        name = Severity(value).name if value in Severity.values else str(value)
        return format_html(
            '<span class="badge sev-{}">{}</span>', name.lower(), record.get_severity_display()
        )

    def render_app(self, value):
        return self.filter_link("app", value)

    def render_file(self, value):
        return format_html('<span class="clip" title="{}">{}</span>', value, value)

    def render_function(self, value):
        return self.filter_link("function", value)

    def render_message(self, value, record):
        preview = getattr(record, "highlighted_message", None) or value[:MESSAGE_PREVIEW]
        return format_html(
            '<a class="message" href="{}" title="{}">{}</a>',
            reverse("error_detail", args=[record.pk]),
            value[:2000],
            preview,
        )

    def render_job_id(self, value):
        return self.filter_link("job_id", value, str(value)[:8])

    def render_user_id(self, value):
        return self.filter_link("user_id", value, str(value)[:8])

    def render_status(self, record):
        return render_to_string(
            "dashboard/error_list.html#status",
            {"error": record, "can_resolve": self.can_resolve, "next_url": self.next_url},
            request=self.request,
        )
