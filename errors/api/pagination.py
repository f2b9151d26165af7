"""Page-number pagination that answers bad paging with a 400 naming the parameter: a client
that asks for page 9 of 3, or 500 rows a page, made a mistake it can fix, not a lookup of
something missing (DRF's default is a 404 and a silent clamp)."""

from django.core.paginator import InvalidPage
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from errors.selectors import slice_app_errors

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class TwoStepRows:
    """An ordered queryset as the paginator sees it: counted by the database, sliced by ids
    first (errors.selectors.slice_app_errors)."""

    def __init__(self, queryset: QuerySet) -> None:
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list:
        return slice_app_errors(self.queryset, page.start or 0, page.stop)


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
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(TwoStepRows(queryset), page_size)
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            raise ValidationError({self.page_query_param: [str(exc)]}) from None
        self.request = request
        return list(self.page)

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
