"""The export over the API: every error the filters match, as CSV or JSON lines, streamed
(errors.export_formats), for scripts that want more than pages of 200."""

from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAdminUser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from errors.export_formats import CONTENT_TYPES, stream_app_errors
from errors.filters import AppErrorFilterSet
from errors.models import AppError
from errors.selectors import filter_app_errors

PROBLEMS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid filter, per field."),
    403: OpenApiResponse(OpenApiTypes.OBJECT, description="Not signed in, or not allowed."),
}


class ProblemsInJson(BaseContentNegotiation):
    """The file's type is the address's (.csv, .jsonl), whatever Accept says; a problem is
    answered in JSON like everywhere else in the API."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AppErrorExportView(GenericAPIView):
    file_format = ""
    permission_classes = [IsAdminUser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = ProblemsInJson
    # For the schema's parameters; the rows are read through errors.selectors.
    filter_backends = [DjangoFilterBackend]
    filterset_class = AppErrorFilterSet
    queryset = AppError.objects.none()
    pagination_class = None

    def get(self, request: Request) -> StreamingHttpResponse:
        filterset = filter_app_errors(request.query_params)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return stream_app_errors(filterset, self.file_format)


def _described(file_format: str, what: str) -> dict:
    return {
        "operation_id": f"app_errors_export_{file_format}",
        "summary": f"Every error the filters match, as {what}, in the list's order",
        "description": "Streamed: any number of rows. The columns of the list's rows; "
        "the same filters and `ordering` (`rank` does not apply).",
        "filters": True,
        "responses": {
            (200, CONTENT_TYPES[file_format].split(";")[0]): OpenApiResponse(
                OpenApiTypes.STR, description=what
            ),
            **PROBLEMS,
        },
    }


@extend_schema_view(get=extend_schema(**_described("csv", "CSV (UTF-8 with a byte order mark)")))
class AppErrorCsvExportView(AppErrorExportView):
    file_format = "csv"


@extend_schema_view(get=extend_schema(**_described("jsonl", "JSON lines (one list row per line)")))
class AppErrorJsonLinesExportView(AppErrorExportView):
    file_format = "jsonl"
