"""The dashboard's tables through django-tables2: their columns, how each cell reads, and
the header links (how rows are made and paged: dashboard.table_rows).

Markup lives in ``dashboard/_table.html`` (the table, and the ``row`` partial an inline
resolve answers with); the cells are built here with ``format_html``, so escaping happens in
those two places only. Sorting is not done here: the FilterSet's
``ordering`` parameter orders the queryset, so the dashboard's URLs and the API's speak the
same language; the table reads the same parameter (``order_by_field``) to draw its headers.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

import django_tables2 as tables
from django.http import HttpRequest, QueryDict
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dashboard.dates import format_minute
from dashboard.id_cells import id_link
from dashboard.table_rows import DirectBoundRows, DirectCells
from errors.models import AppError, Severity
from errors.selectors import MessageSpans

PER_PAGE_CHOICES = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 50
MESSAGE_PREVIEW = 300
# A message this short fits the two lines its cell shows on a wide screen: no hover copy.
MESSAGE_SHOWN_WHOLE = 60
TABLE_TEMPLATE = "dashboard/_table.html"


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


def styled(css_class: str) -> dict:
    """A column's cells carry ``css_class``: only the columns the stylesheets
    size get one (a class on every cell of 50 rows is 9 KB of HTML)."""
    return {"td": {"class": css_class}}


class FilterSetOrderedColumn(tables.Column):
    """A column the FilterSet's ``ordering`` parameter sorts: the queryset arrives ordered
    (with its tie-breaker), so the table only reports that the order is already applied."""

    def order(self, queryset, is_descending):
        return queryset, True


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
    costs about a quarter of a millisecond, and every row links three times (which is why
    the columns build their links here rather than with django-tables2's ``linkify``)."""

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


# The id of the hidden form the rows' action buttons belong to (the ``form`` attribute).
ROW_ACTIONS_FORM = "row-actions"


@dataclass(frozen=True)
class StatusCell:
    """The status cell (who resolved an error and when, with the button that changes it),
    on the list and on the detail page. What it needs besides the error is computed once
    per page, not per row; the markup is built with format_html rather than a template
    rendered per row, which cost a page of 50 rows a tenth of its time."""

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
        # Inline, the row's button posts with htmx and the answer names where it goes (the
        # row: see dashboard.views.change_resolution), so no row repeats hx-target/hx-swap.
        return format_html('<div class="status">{}</div>', self.status(error))

    def status(self, error: AppError) -> SafeString:
        if error.resolved:
            parts = [self.resolution(error)]
            if self.can_resolve:
                parts.append(self.form(self.links.unresolve(error.pk), "Unresolve", "unresolve"))
        elif self.can_resolve:
            parts = [self.form(self.links.resolve(error.pk), "Resolve", "resolve")]
        else:
            parts = [format_html('<span class="muted">{}</span>', "Unresolved")]
        return format_html_join("", "{}", zip(parts))

    def resolution(self, error: AppError) -> SafeString:
        staff = error.resolved_by
        who = format_html(" by {}", staff.get_full_name() or staff.get_username()) if staff else ""
        moment = error.resolved_timestamp
        if moment is None:
            return format_html('<span class="resolved-by">Resolved{}</span>', who)
        local = timezone.localtime(moment)
        return format_html(
            '<span class="resolved-by">Resolved{} <time datetime="{}" title="{}">{}</time></span>',
            who,
            local.isoformat(),
            local.strftime("%Y-%m-%d %H:%M"),
            time_ago(moment, self.now),
        )

    def form(self, url: str, label: str, css_class: str) -> SafeString:
        """In a table, a button of the table's one shared form (ROW_ACTIONS_FORM: the CSRF
        token and the way back, written once a page rather than once a row) posting to this
        error's URL; htmx posts it and swaps the row. On its own, a form of its own."""
        if self.inline:
            return format_html(
                '<button type="submit" form="{}" formaction="{}" hx-post="{}" class="{}">{}'
                "</button>",
                ROW_ACTIONS_FORM,
                url,
                url,
                css_class,
                label,
            )
        return format_html(
            '<form method="post" action="{}">{}<button type="submit" class="{}">{}</button></form>',
            url,
            self.hidden_inputs,
            css_class,
            label,
        )

    def shared_form(self) -> SafeString:
        """The form every row's button submits without JavaScript (see ``form``)."""
        if not (self.inline and self.can_resolve):
            return format_html("")
        return format_html(
            '<form id="{}" method="post" hidden>{}</form>', ROW_ACTIONS_FORM, self.hidden_inputs
        )

    @cached_property
    def hidden_inputs(self) -> SafeString:
        return format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<input type="hidden" name="next" value="{}">',
            self.csrf_token,
            self.next_url,
        )


class DashboardTable(DirectCells, tables.Table):
    """What the dashboard's tables share: the current query (``params``: header and filter
    links keep it), the header links, and the cells more than one table shows."""

    def __init__(self, data, *, params: QueryDict, request: HttpRequest | None = None, **kwargs):
        # Not ``request=``: django-tables2 would then page the rows itself, counting every
        # one of a million; the list pages with its capped count (Table.paginate).
        super().__init__(data, **kwargs)
        self.request = request
        self.rows = DirectBoundRows(self.data, table=self)
        self.params = params
        self.links = ErrorLinks()
        self.now = timezone.now()

    def row_actions_form(self) -> SafeString | str:
        """The hidden form the rows' buttons submit, if they have any (StatusCell.form)."""
        return ""

    @cached_property
    def sort_links(self) -> list[SortLink]:
        """Header links that toggle each sortable column between descending and ascending
        (descending first: the newest, the worst), reading the order the request asked for."""
        ordered = {order.bare: order for order in self.order_by or ()}
        links = []
        for column in self.columns:
            if not column.orderable:
                links.append(SortLink(column.name, str(column.header), None, ""))
                continue
            order = ordered.get(column.name)
            direction = "" if order is None else "desc" if order.is_descending else "asc"
            next_value = column.name if direction == "desc" else f"-{column.name}"
            query = query_with(self.params, **{self.order_by_field: next_value})
            links.append(SortLink(column.name, str(column.header), query, direction))
        return links

    def render_severity(self, record) -> SafeString:
        value = record.severity
        name = Severity(value).name if value in Severity.values else str(value)
        return format_html(
            '<span class="badge sev-{}">{}</span>', name.lower(), record.get_severity_display()
        )

    def render_message(self, record) -> SafeString:
        """The message links to the error; a message longer than the two lines the cell
        shows also has the whole of it (up to 2,000 characters) on hover."""
        value = record.message
        if len(value) <= MESSAGE_SHOWN_WHOLE and "\n" not in value:
            return format_html(
                '<a class="message" href="{}"{}>{}</a>',
                self.links.detail(record.pk),
                self.unboosted,
                self.message_preview(record),
            )
        return format_html(
            '<a class="message" href="{}"{} title="{}">{}</a>',
            self.links.detail(record.pk),
            self.unboosted,
            value[:2000],
            self.message_preview(record),
        )

    @cached_property
    def unboosted(self) -> SafeString:
        """What keeps a link to another page a plain link in a body that boosts its links."""
        boosted = self.attrs.get("tbody", {}).get("hx-boost") == "true"
        return SafeString(' hx-boost="false"' if boosted else "")

    def message_preview(self, record) -> str | SafeString:
        return record.message[:MESSAGE_PREVIEW]


class AppErrorTable(DashboardTable):
    """One error per row: when, how bad, where, what, and whether someone has dealt with it.

    ``params`` is the current query (filter links keep it and narrow it further);
    ``can_resolve`` decides whether the Resolve buttons appear; ``highlights`` (set once the
    page is known) holds the search's matched words of each message."""

    select = tables.Column(empty_values=(), verbose_name="", orderable=False, accessor="pk")
    timestamp = FilterSetOrderedColumn(verbose_name="Time", attrs=styled("col-timestamp"))
    severity = FilterSetOrderedColumn()
    app = FilterSetOrderedColumn()
    file = tables.Column(orderable=False, attrs=styled("col-file"))
    function = FilterSetOrderedColumn(attrs=styled("col-function"))
    message = tables.Column(orderable=False, attrs=styled("col-message"))
    job_id = tables.Column(verbose_name="Job", orderable=False)
    user_id = tables.Column(verbose_name="User", orderable=False)
    resolved = FilterSetOrderedColumn(verbose_name="Status", empty_values=())

    self_evident_columns = frozenset({"select", "timestamp", "severity", "message", "resolved"})

    class Meta:
        model = AppError
        fields = ()
        template_name = TABLE_TEMPLATE
        order_by_field = "ordering"  # the FilterSet's parameter
        empty_text = ""
        attrs = {
            "class": "errors",
            # Filter links in the cells narrow the whole page, filter form included: htmx
            # follows every link in the body (hx-boost) but the message's, which opens the
            # error's page.
            "tbody": {"hx-boost": "true", "hx-target": "#dashboard-body", "hx-swap": "outerHTML"},
        }
        row_attrs = {
            "id": lambda record: f"error-{record.pk}",
            "class": lambda record: "is-resolved" if record.resolved else None,
        }

    def __init__(
        self,
        data: Iterable[AppError],
        *,
        params: QueryDict,
        can_resolve: bool,
        next_url: str,
        request: HttpRequest | None = None,
    ):
        super().__init__(data, params=params, request=request)
        self.highlights: dict[object, MessageSpans] = {}
        self.status = StatusCell.for_request(request, can_resolve=can_resolve, next_url=next_url)

    def row_actions_form(self) -> SafeString:
        return self.status.shared_form()

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

    def filter_link(self, name: str, value) -> SafeString:
        """A link narrowing the list to ``value``; htmx follows it in place because the table
        body boosts its links (Meta.attrs), so the query is written once, not twice."""
        return format_html(
            '<a class="filter-link" href="{}">{}</a>', self.filter_query(name, value), value
        )

    def render_select(self, record) -> SafeString:
        return format_html(
            '<input type="checkbox" name="ids" value="{}" form="bulk-form" '
            'aria-label="Select this error">',
            record.pk,
        )

    def render_timestamp(self, record) -> SafeString:
        """When, to the minute, and how long ago on hover; the message is the row's link."""
        value = record.timestamp
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            time_ago(value, self.now),
            format_minute(value, now=self.now),
        )

    def render_app(self, record) -> SafeString:
        return self.filter_link("app", record.app)

    def render_file(self, record) -> SafeString:
        return format_html('<span class="clip" title="{}">{}</span>', record.file, record.file)

    def render_function(self, record) -> SafeString:
        return self.filter_link("function", record.function)

    def message_preview(self, record) -> str | SafeString:
        """The message, with the search's matched words marked on a page of search results."""
        spans = self.highlights.get(record.pk)
        if not spans:
            return super().message_preview(record)
        return format_html_join(
            "",
            "{}",
            ((format_html("<mark>{}</mark>", text) if hit else text,) for text, hit in spans),
        )

    def render_resolved(self, record) -> SafeString:
        return self.status.render(record)

    def render_job_id(self, record) -> SafeString:
        query = self.filter_query("job_id", record.job_id)
        return id_link(record.job_id, kind="job", href=query)

    def render_user_id(self, record) -> SafeString:
        query = self.filter_query("user_id", record.user_id)
        return id_link(record.user_id, kind="user", href=query)


class RelatedAppErrorTable(DashboardTable):
    """Other occurrences of an error, on its page: when, how bad, what, and whether dealt
    with. A short list in its own order (newest first), so nothing sorts or pages."""

    timestamp = tables.Column(verbose_name="Time")
    severity = tables.Column()
    message = tables.Column()
    resolved = tables.Column(verbose_name="Status", empty_values=())

    class Meta:
        model = AppError
        fields = ()
        template_name = TABLE_TEMPLATE
        orderable = False
        empty_text = ""
        attrs = {"class": "errors related"}

    def render_timestamp(self, record) -> SafeString:
        value = record.timestamp
        return format_html(
            '<a href="{}"><time datetime="{}" title="{}">{}</time></a>',
            self.links.detail(record.pk),
            value.isoformat(),
            time_ago(value, self.now),
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S"),
        )

    def render_resolved(self, record) -> str:
        return "Resolved" if record.resolved else "Unresolved"
