"""Page-number pagination that answers bad paging with a 400 naming the parameter: a client
that asks for page 9 of 3, or 500 rows a page, made a mistake it can fix, not a lookup of
something missing (DRF's default is a 404 and a silent clamp).

The count is exact from the daily totals where they answer the filter, else up to COUNT_CAP
rows (or the end of the page after the one asked for, if deeper); past it the answer says
``"count_is_exact": false`` and ``count`` is the cap. Counting every one of a search's
100,000 matches costs more than finding the page, and no one pages that far.
"""

from collections.abc import Callable

from django.core.paginator import InvalidPage
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from errors.counting import COUNT_CAP, count_cap_for_page
from errors.selectors import count_app_errors, count_filtered_app_errors, slice_app_errors

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

# How many rows a list holds, counting at most ``cap`` + 1: (count, whether it is exact).
Counter = Callable[[int], tuple[int, bool]]


class TwoStepRows:
    """Ordered rows as the paginator sees it: counted up to ``cap`` by ``counter``, sliced
    by ids first (errors.selectors.slice_app_errors, or the rows' own slicing when they are
    not a queryset, as ranked results are not)."""

    def __init__(self, rows, *, counter: Counter, cap: int) -> None:
        self.rows = rows
        self.counter = counter
        self.cap = cap
        self.is_exact = True

    def count(self) -> int:
        total, self.is_exact = self.counter(self.cap)
        # Past the cap, one row more than the cap: the paginator then offers a next page.
        return total if self.is_exact else total + 1

    def __getitem__(self, page: slice) -> list:
        if isinstance(self.rows, QuerySet):
            return slice_app_errors(self.rows, page.start or 0, page.stop)
        return self.rows[page]


class AppErrorPagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({"page_size": ["A whole number is required."]}) from None
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Ensure this value is between 1 and {self.max_page_size}."]}
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        """One page of ``queryset``: counted through the filterset the view's filter backend
        bound (errors.selectors.count_filtered_app_errors: in the daily totals or the search
        index where they answer), else among the rows."""
        filterset = getattr(view, "filterset", None)
        if filterset is not None:
            return self.paginate_app_errors(
                queryset, request, counter=lambda cap: count_filtered_app_errors(filterset, cap=cap)
            )
        return self.paginate_app_errors(
            queryset, request, counter=lambda cap: count_app_errors(queryset, cap=cap)
        )

    def paginate_app_errors(self, rows, request, *, counter: Counter) -> list:
        """One page of ``rows``, counted by ``counter``."""
        page_size = self.get_page_size(request)
        raw_number = request.query_params.get(self.page_query_param, "")
        asked = int(raw_number) if raw_number.isdigit() else 1
        self.rows = TwoStepRows(rows, counter=counter, cap=count_cap_for_page(asked, page_size))
        paginator = self.django_paginator_class(self.rows, page_size)
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            raise ValidationError({self.page_query_param: [str(exc)]}) from None
        self.request = request
        return list(self.page)

    def get_paginated_response(self, data) -> Response:
        is_exact = self.rows.is_exact
        return Response(
            {
                "count": self.page.paginator.count - (0 if is_exact else 1),
                "count_is_exact": is_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["count", "count_is_exact", "results"]
        properties = paginated["properties"]
        properties["count"]["description"] = (
            "How many errors match: exact from the daily totals for a filter on app, severity "
            f"and resolved state alone, else counted up to {COUNT_CAP:,} (or to the end of the "
            "page after the one asked for, if deeper); when more match, the cap, and "
            "`count_is_exact` is false."
        )
        properties["count_is_exact"] = {
            "type": "boolean",
            "description": "False when more errors match than `count` says.",
            "example": True,
        }
        return paginated

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters
