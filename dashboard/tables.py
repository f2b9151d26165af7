"""The error table: its columns, how each cell reads, and the capped paginator it pages with.

Rows are rendered by the ``row`` partial of ``dashboard/error_list.html`` (so an inline
resolve can answer with exactly one row); this module decides what each cell holds.
Sorting is not done here: the FilterSet's ``ordering`` parameter orders the queryset, so the
dashboard's URLs and the API's speak the same language. The table only builds the links.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from html import escape
from urllib.parse import urlencode

import django_tables2 as tables
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from errors.models import AppError, Severity
from errors.selectors import slice_app_errors

PER_PAGE_CHOICES = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 50
MESSAGE_PREVIEW = 300
# What a cell with no value shows (django-tables2's default); the select box and the status
# always render.
EMPTY_CELL = "—"
ALWAYS_RENDERED = {"select", "status"}
# Column name -> the FilterSet's ordering field it sorts by.
SORTABLE_COLUMNS = {
    "timestamp": "timestamp",
    "severity": "severity",
    "app": "app",
    "function": "function",
    "status": "resolved",
}


class CappedPaginator(Paginator):
    """A Paginator over a count made elsewhere (``total``: the count and whether it is
    exact), so the list's one count serves the summary and the pager alike. Past a capped
    count the last page is not known: the pager says "of 200+"."""

    def __init__(self, object_list: QuerySet, per_page: int, *, total: tuple[int, bool]):
        super().__init__(object_list, per_page)
        self.count, self.is_exact = total

    def page(self, number) -> Page:
        """The page's rows in two steps (slice_app_errors): the ids alone come from the
        list's index, then 50 rows by id, instead of reading every skipped row whole on the
        way to a deep page (page 500 on PostgreSQL: 90 ms against 10)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        return self._get_page(slice_app_errors(self.object_list, bottom, top), number, self)


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


# Relative times, largest unit first, as "3 hours ago" reads.
TIME_UNITS = (
    (365 * 86_400, "year"),
    (30 * 86_400, "month"),
    (7 * 86_400, "week"),
    (86_400, "day"),
    (3_600, "hour"),
    (60, "minute"),
)


def time_ago(moment: datetime.datetime, now: datetime.datetime) -> str:
    """``moment`` relative to ``now`` in its largest whole unit ("3 hours ago", "2 days from
    now"). A page shows two per row: humanize's naturaltime costs ten times as much."""
    seconds = int((now - moment).total_seconds())
    for size, unit in TIME_UNITS:
        count = abs(seconds) // size
        if count:
            return (
                f"{count} {unit}{'' if count == 1 else 's'} {'ago' if seconds > 0 else 'from now'}"
            )
    return "now"


class ErrorLinks:
    """The URLs of one error's pages, reversed once for a whole page of rows: a reverse()
    costs about a quarter of a millisecond, and every row links three times."""

    MARKER = "00000000-0000-0000-0000-000000000000"

    def __init__(self) -> None:
        self.parts = {
            name: reverse(name, args=[self.MARKER]).split(self.MARKER)
            for name in ("error_detail", "error_resolve", "error_unresolve")
        }

    def _url(self, name: str, pk) -> str:
        prefix, suffix = self.parts[name]
        return f"{prefix}{pk}{suffix}"

    def detail(self, pk) -> str:
        return self._url("error_detail", pk)

    def resolve(self, pk) -> str:
        return self._url("error_resolve", pk)

    def unresolve(self, pk) -> str:
        return self._url("error_unresolve", pk)


@dataclass(frozen=True)
class StatusCell:
    """What the status cell needs besides the error: computed once per page, not per row."""

    can_resolve: bool
    next_url: str
    csrf_token: str
    links: ErrorLinks
    now: datetime.datetime
    inline: bool = True  # htmx swaps the row; False on the detail page (a plain post)

    @classmethod
    def for_request(
        cls, request: HttpRequest | None, *, can_resolve: bool, next_url: str, inline: bool = True
    ) -> "StatusCell":
        return cls(
            can_resolve=can_resolve,
            next_url=next_url,
            csrf_token=get_token(request) if request is not None else "",
            links=ErrorLinks(),
            now=timezone.now(),
            inline=inline,
        )

    def render(self, error: AppError) -> SafeString:
        """Who resolved the error and when, with the button that changes it, if allowed."""
        if error.resolved:
            parts = [self.resolution(error)]
            if self.can_resolve:
                parts.append(
                    self.form(self.links.unresolve(error.pk), "Unresolve", "link-button unresolve")
                )
        elif self.can_resolve:
            parts = [self.form(self.links.resolve(error.pk), "Resolve", "resolve")]
        else:
            parts = [mark_safe('<span class="muted">Unresolved</span>')]
        return format_html('<div class="status">{}</div>', mark_safe("".join(parts)))

    def resolution(self, error: AppError) -> SafeString:
        staff = error.resolved_by
        who = format_html(" by {}", staff.get_full_name() or staff.get_username()) if staff else ""
        moment = error.resolved_timestamp
        if moment is None:
            return format_html('<span class="resolved-by">Resolved{}</span>', who)
        return format_html(
            '<span class="resolved-by">Resolved{} <time datetime="{}" title="{}">{}</time></span>',
            who,
            timezone.localtime(moment).isoformat(),
            timezone.localtime(moment).strftime("%Y-%m-%d %H:%M"),
            time_ago(moment, self.now),
        )

    def form(self, url: str, label: str, css_class: str) -> SafeString:
        swap = (
            format_html(
                ' hx-post="{}" hx-target="closest tr" hx-swap="outerHTML" hx-push-url="false"', url
            )
            if self.inline
            else ""
        )
        return format_html(
            '<form method="post" action="{}"{}>'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<input type="hidden" name="next" value="{}">'
            '<button type="submit" class="{}">{}</button></form>',
            url,
            swap,
            self.csrf_token,
            self.next_url,
            css_class,
            label,
        )


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
        self.records = list(data)
        super().__init__(self.records)
        self.params = params
        self.can_resolve = can_resolve
        self.next_url = next_url
        self.request = request
        self.status = StatusCell.for_request(request, can_resolve=can_resolve, next_url=next_url)
        self.links = self.status.links

    @cached_property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @cached_property
    def html_rows(self) -> list["HtmlRow"]:
        """Each row's cells as one piece of HTML, from the render_* methods called directly:
        django-tables2's per-cell dispatch (a signature inspected per cell) cost as much as
        the markup itself."""
        return [HtmlRow(record, self.cells(record)) for record in self.records]

    def cells(self, record: AppError) -> SafeString:
        return mark_safe(
            "".join(
                f'<td class="col-{name}">{self.cell(name, record)}</td>'
                for name in self.column_names
            )
        )

    def cell(self, name: str, record: AppError):
        if name not in ALWAYS_RENDERED and getattr(record, name) in (None, ""):
            return EMPTY_CELL
        return getattr(self, f"render_{name}")(record)

    def filter_query(self, name: str, value) -> str:
        """``query_with(params, name=value)``; the current query is encoded once per page, not
        once per link, when the link adds a parameter rather than replacing one."""
        if name in self.params:
            return query_with(self.params, **{name: str(value)})
        base = self.base_query
        return f"{base}{'&' if len(base) > 1 else ''}{urlencode({name: str(value)})}"

    @cached_property
    def base_query(self) -> str:
        return query_with(self.params)

    # The cells below are built with f-strings and html.escape (what Django's escape calls)
    # rather than format_html: five hundred cells a page made its lazy-string checks and
    # conditional escaping a visible share of the page's time.

    def filter_link(self, name: str, value, text: str | None = None) -> SafeString:
        query = escape(self.filter_query(name, value))
        value = escape(str(value))
        text = value if text is None else escape(text)
        return mark_safe(
            f'<a class="filter-link" href="{query}" hx-get="{query}" '
            f'title="Only {name} = {value}">{text}</a>'
        )

    def render_select(self, record) -> SafeString:
        return mark_safe(
            f'<input type="checkbox" name="ids" value="{escape(str(record.pk))}" '
            'form="bulk-form" aria-label="Select this error">'
        )

    def render_timestamp(self, record) -> SafeString:
        value = record.timestamp
        local = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        return mark_safe(
            f'<a href="{escape(self.links.detail(record.pk))}" '
            f'title="{time_ago(value, self.status.now)}">'
            f'<time datetime="{value.isoformat()}">{local}</time></a>'
        )

    def render_severity(self, record) -> SafeString:
        value = record.severity
        name = Severity(value).name if value in Severity.values else str(value)
        label = escape(str(record.get_severity_display()))
        return mark_safe(f'<span class="badge sev-{escape(name.lower())}">{label}</span>')

    def render_app(self, record) -> SafeString:
        return self.filter_link("app", record.app)

    def render_file(self, record) -> SafeString:
        file = escape(record.file)
        return mark_safe(f'<span class="clip" title="{file}">{file}</span>')

    def render_function(self, record) -> SafeString:
        return self.filter_link("function", record.function)

    def render_message(self, record) -> SafeString:
        value = record.message
        highlighted = getattr(record, "highlighted_message", None)
        preview = highlighted or escape(value[:MESSAGE_PREVIEW])
        return mark_safe(
            f'<a class="message" href="{escape(self.links.detail(record.pk))}" '
            f'title="{escape(value[:2000])}">{preview}</a>'
        )

    def render_job_id(self, record) -> SafeString:
        return self.filter_link("job_id", record.job_id, str(record.job_id)[:8])

    def render_user_id(self, record) -> SafeString:
        return self.filter_link("user_id", record.user_id, str(record.user_id)[:8])

    def render_status(self, record):
        return self.status.render(record)


@dataclass(frozen=True)
class HtmlRow:
    """One error and its rendered cells, for the list's ``row`` partial."""

    record: AppError
    cells: SafeString
