"""The group list's table and the group page's table of occurrences (django-tables2).

Cells are small templates under ``dashboard/cells/``; the rows are rendered by the lean
``dashboard/_group_table.html``, whose ``row`` partial lets an inline resolve answer with
exactly one row. Header links sort through the FilterSet's ``ordering`` parameter, so the
dashboard's URLs and the API's speak the same language."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import django_tables2 as tables
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dashboard.id_cells import id_link
from dashboard.table_rows import DirectBoundRows, DirectCells
from dashboard.tables import time_ago
from errors.models import AppError, ErrorGroup, Severity

GROUP_SORTING = ("last_seen", "first_seen", "count", "severity")


class GroupLinks:
    """The URLs of one group's pages and actions, reversed once for a whole page of rows
    (a reverse() costs about a quarter of a millisecond; every row links five times)."""

    MARKER = 987654321
    NAMES = ("group_detail", "group_resolve", "group_unresolve", "group_mute", "group_unmute")

    def __init__(self) -> None:
        self.parts = {
            name: reverse(name, args=[self.MARKER]).split(str(self.MARKER)) for name in self.NAMES
        }

    def for_group(self, pk: int) -> "GroupUrls":
        return GroupUrls(*(f"{prefix}{pk}{suffix}" for prefix, suffix in self.parts.values()))


@dataclass(frozen=True)
class GroupUrls:
    detail: str
    resolve: str
    unresolve: str
    mute: str
    unmute: str


class GroupTable(DirectCells, tables.Table):
    """One group per row: how bad, what, where, how often and lately, and its state with
    inline Resolve / Unresolve and Mute / Unmute for staff allowed to resolve.

    The title and status cells are templates (links and buttons); the small fixed fragments
    (badge, times, sparkline) are built with format_html in render methods: fifty rows of
    nine template cells cost more than the rest of the page. Rows are DirectBoundRows, each
    cell made by its render method called directly (django-tables2's generic dispatch per
    cell was half the page's time)."""

    select = tables.Column(empty_values=(), verbose_name="", orderable=False, accessor="pk")
    severity = tables.Column(order_by=("severity", "id"))
    title = tables.TemplateColumn(
        template_name="dashboard/cells/_group_title.html", verbose_name="Group", orderable=False
    )
    exception_type = tables.Column(verbose_name="Type", orderable=False)
    app = tables.Column(orderable=False)
    count = tables.Column(attrs={"td": {"class": "num"}}, order_by=("count", "id"))
    trend = tables.Column(verbose_name="14 days", accessor="pk", orderable=False, empty_values=())
    first_seen = tables.Column(order_by=("first_seen", "id"))
    last_seen = tables.Column(order_by=("last_seen", "id"))
    status = tables.TemplateColumn(
        template_name="dashboard/cells/_group_status.html",
        accessor="pk",
        empty_values=(),
        orderable=False,
    )

    class Meta:
        model = ErrorGroup
        fields = ()
        template_name = "dashboard/_group_table.html"
        order_by_field = "ordering"
        empty_text = "No groups match."
        attrs = {"class": "errors groups"}
        row_attrs = {"id": lambda record: f"group-{record.pk}"}

    def __init__(self, data, *, can_resolve: bool, next_url: str, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.rows = DirectBoundRows(self.data, table=self)
        self.can_resolve = can_resolve
        self.next_url = next_url
        self.links = GroupLinks()
        self.now = timezone.now()

    def cell_class(self, column) -> str:
        """Every cell is classed by its column (the stylesheets and tests find them so)."""
        declared = super().cell_class(column)
        return f"col-{column.name}" + (f" {declared}" if declared else "")

    def render_title(self, record: ErrorGroup) -> SafeString:
        return self.cell_templates["title"].render({"record": record})

    def render_status(self, record: ErrorGroup) -> SafeString:
        context = {"record": record, "can_resolve": self.can_resolve}
        return self.cell_templates["status"].render(context)

    @cached_property
    def cell_templates(self) -> dict:
        """The template columns' templates, loaded once per table."""
        return {
            name: get_template(self.columns[name].column.template_name)
            for name in ("title", "status")
        }

    @property
    def has_row_actions(self) -> bool:
        """Whether the rows' buttons need the table's hidden form (cells/_group_status.html)."""
        return self.can_resolve

    def prepare_rows(self, records: Iterable[ErrorGroup], sparklines: dict) -> None:
        """Give each record of the page what its cells read (its URLs and sparkline),
        computed once per page rather than per cell."""
        for record in records:
            record.urls = self.links.for_group(record.pk)
            record.sparkline = sparklines.get(record.pk)

    def render_select(self, record: ErrorGroup) -> SafeString:
        return format_html(
            '<input type="checkbox" name="ids" value="{}" form="group-bulk-form" '
            'aria-label="Select this group">',
            record.pk,
        )

    def render_severity(self, record: ErrorGroup) -> SafeString:
        value = record.severity
        name = Severity(value).name.lower() if value in Severity.values else str(value)
        return format_html(
            '<span class="badge sev-{}">{}</span>', name, record.get_severity_display()
        )

    def render_trend(self, record: ErrorGroup) -> SafeString:
        line = getattr(record, "sparkline", None)
        if line is None:
            return format_html("")
        return format_html(
            '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
            'aria-label="{} in 14 days"><polyline points="{}"/></svg>',
            line.width,
            line.height,
            line.width,
            line.height,
            line.total,
            line.points,
        )

    def render_first_seen(self, record: ErrorGroup) -> SafeString:
        return self.moment(record.first_seen)

    def render_last_seen(self, record: ErrorGroup) -> SafeString:
        return self.moment(record.last_seen)

    def moment(self, value: datetime.datetime) -> SafeString:
        """Relative, with the absolute time on hover."""
        local = timezone.localtime(value)
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            local.isoformat(timespec="seconds"),
            local.strftime("%Y-%m-%d %H:%M:%S %Z"),
            time_ago(value, self.now),
        )


class OccurrenceTable(tables.Table):
    """The group page's occurrences, newest first: when, how bad, what, for whom, where."""

    timestamp = tables.TemplateColumn(
        template_name="dashboard/cells/_occurrence_time.html", verbose_name="Time"
    )
    severity = tables.TemplateColumn(template_name="dashboard/cells/_severity.html")
    message = tables.Column(attrs={"td": {"class": "col-message"}})
    job_id = tables.Column(verbose_name="Job")
    user_id = tables.Column(verbose_name="User")
    release = tables.Column()
    environment = tables.Column()
    resolved = tables.BooleanColumn(verbose_name="Resolved")

    class Meta:
        model = AppError
        fields = ()
        orderable = False
        template_name = "dashboard/_group_table.html"
        empty_text = "No stored occurrence matches."
        attrs = {"class": "errors occurrences"}

    def render_job_id(self, value) -> SafeString:
        return id_link(value, kind="job", href=f"?job_id={value}")

    def render_user_id(self, value) -> SafeString:
        return id_link(value, kind="user", href=f"?user_id={value}")
