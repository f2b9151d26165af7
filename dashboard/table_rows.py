"""How the dashboard's tables make and page their rows: django-tables2's rows with the cells
computed directly, and the capped paginator that reads one page in two steps."""

from collections.abc import Callable
from functools import cached_property

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django_tables2.columns import BoundColumn
from django_tables2.rows import BoundRow, BoundRows
from django_tables2.utils import AttributeDict

from errors.selectors import slice_app_errors


class DirectCells:
    """For a django-tables2 table whose rows are DirectBoundRows: how each column's cell is
    made and opened, worked out once per table rather than once per cell."""

    # Columns whose cells read plainly without their header beside them on a narrow-screen
    # card (a time, a severity badge, a button): no ``data-label``, 20 bytes a cell saved.
    self_evident_columns: frozenset[str] = frozenset()

    @cached_property
    def cell_renderers(self) -> list[tuple[BoundColumn, Callable]]:
        """For each column, what turns a record into its cell: the table's ``render_<name>``
        with the record, or the value; a value the column counts as empty shows the
        column's default ("—")."""
        return [(column, self.cell_renderer(column)) for column in self.columns]

    def cell_renderer(self, column: BoundColumn) -> Callable:
        render = getattr(self, f"render_{column.name}", None)
        accessor, empty, default = str(column.accessor), column.column.empty_values, column.default

        def cell(record):
            value = getattr(record, accessor)
            if value in empty:
                return default
            return value if render is None else render(record)

        return cell

    def cell_class(self, column: BoundColumn) -> str | None:
        """The class of a column's cells: the one its ``attrs`` declare, if any."""
        return column.column.attrs.get("td", {}).get("class")

    @cached_property
    def cell_openings(self) -> dict[str, SafeString]:
        """Each column's ``<td>``: its class (``cell_class``), and its header as
        ``data-label`` (the narrow-screen card layout shows it beside the value) where it
        has one and the cell does not speak for itself."""
        openings = {}
        for column in self.columns:
            css_class = self.cell_class(column)
            header = "" if column.name in self.self_evident_columns else str(column.header)
            openings[column.name] = format_html(
                "<td{}{}>",
                format_html(' class="{}"', css_class) if css_class else "",
                format_html(' data-label="{}"', header) if header else "",
            )
        return openings


class DirectBoundRow(BoundRow):
    """A row whose cells come from the table's ``cell_renderers``: each column's render
    method called directly with the record. django-tables2's generic dispatch (the accessor
    resolved and the render method's signature inspected again for every cell) cost as much
    as the page's markup."""

    def items(self):
        record = self.record
        for column, render in self.table.cell_renderers:
            yield column, render(record)

    @property
    def cells_html(self) -> SafeString:
        """The row's ``<td>`` cells, each opened as the table's ``cell_openings`` say: joined
        here rather than by a template loop, which cost a page of 50 rows about 10 ms (500
        cells)."""
        openings = self.table.cell_openings
        return format_html_join(
            "",
            "{}{}</td>",
            ((openings[column.name], cell) for column, cell in self.items()),
        )

    @property
    def attrs(self) -> AttributeDict:
        """The table's ``row_attrs``, each callable called with the record."""
        record = self.record
        return AttributeDict(
            {
                name: value(record) if callable(value) else value
                for name, value in self.table.row_attrs.items()
            }
        )

    def get_cell(self, name: str):
        return dict(self.items())[self.table.columns[name]]


class DirectBoundRows(BoundRows):
    def __iter__(self):
        for record in self.data:
            yield DirectBoundRow(record, table=self.table)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return DirectBoundRows(self.data[key], table=self.table)
        return DirectBoundRow(self.data[key], table=self.table)


class CappedPaginator(Paginator):
    """A Paginator over a table's rows with a count made elsewhere (``total``: the count and
    whether it is exact), so the list's one count serves the summary and the pager alike.
    Past a capped count the last page is not known: the pager says "of 200+"."""

    def __init__(self, object_list: BoundRows, per_page: int, *, total: tuple[int, bool]):
        super().__init__(object_list, per_page)
        self.count, self.is_exact = total

    def page(self, number) -> Page:
        """The page's rows in two steps (slice_app_errors): the ids alone come from the
        list's index, then 50 rows by id, instead of reading every skipped row whole on the
        way to a deep page (page 500 on PostgreSQL: 90 ms against 10). A page past the end
        shows the last one, as ``get_page`` does: a link made before a resolve may point
        there."""
        number = self.get_page_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        rows = self.object_list  # BoundRows over the table's queryset (TableQuerysetData)
        records = slice_app_errors(rows.data.data, bottom, top)
        return self._get_page(DirectBoundRows(records, table=rows.table), number, self)

    def get_page_number(self, number) -> int:
        try:
            return self.validate_number(number)
        except PageNotAnInteger:
            return 1
        except EmptyPage:
            return self.num_pages
