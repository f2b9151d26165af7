"""The errors API: list, read, resolve and chart errors over HTTP. Views parse and answer;
reads go through errors.selectors, writes through errors.services."""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from errors.api.filtering import RANK_PARAMETER, AppErrorFilterBackend
from errors.api.pagination import AppErrorPagination
from errors.api.parsers import API_PARSERS
from errors.api.permissions import CanResolveAppErrors
from errors.api.serializers import (
    AppErrorDetailSerializer,
    AppErrorSerializer,
    BulkResolveResultSerializer,
    BulkResolveSerializer,
    TrendSerializer,
)
from errors.filters import AppErrorFilterSet
from errors.models import AppError
from errors.selectors import (
    MAX_TREND_SPAN,
    count_app_errors_over_time,
    get_app_error,
    list_app_errors_by_ids,
    trend_window_for,
)
from errors.services import (
    ResolveAllRefused,
    resolve_app_error,
    resolve_app_errors,
    resolve_matching_app_errors,
    unresolve_app_error,
)

PROBLEMS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input, per field."),
    403: OpenApiResponse(OpenApiTypes.OBJECT, description="Not signed in, or not allowed."),
}
NOT_FOUND = {404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such error.")}


@extend_schema_view(
    list=extend_schema(
        summary="List errors, newest first",
        description="Filtered by any AppErrorFilterSet parameter; `search` is full-text: "
        'words, "a phrase" and prefix* words, all of which must match.',
        parameters=[
            OpenApiParameter(
                RANK_PARAMETER,
                bool,
                description="With `search`: best match first instead of newest first. "
                "The newest 200 matches are ranked; a search matching more lists the "
                "rest after them, newest first.",
            )
        ],
        responses={200: AppErrorSerializer(many=True), **PROBLEMS},
    ),
    retrieve=extend_schema(
        summary="One error with its data",
        responses={200: AppErrorDetailSerializer, **PROBLEMS, **NOT_FOUND},
    ),
)
class AppErrorViewSet(viewsets.GenericViewSet):
    serializer_class = AppErrorSerializer
    pagination_class = AppErrorPagination
    filter_backends = [AppErrorFilterBackend]
    filterset_class = AppErrorFilterSet
    permission_classes = [IsAdminUser]
    parser_classes = API_PARSERS
    lookup_field = "id"
    # Any path segment reaches the view, so a malformed id is a 400 naming it, not a 404.
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return AppError.objects.all()

    def get_permissions(self):
        if self.action in {"mark_resolved", "mark_unresolved", "bulk_resolve"}:
            return [IsAdminUser(), CanResolveAppErrors()]
        return super().get_permissions()

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AppErrorSerializer(page, many=True).data)

    def get_filterset(self) -> AppErrorFilterSet:
        """The request's filters, validated by the view's filter backend (a 400 naming each
        bad field), for the actions that act on the filters rather than list rows."""
        (backend,) = (backend_class() for backend_class in self.filter_backends)
        return backend.valid_filterset(self.request, self.get_queryset(), self)

    def retrieve(self, request: Request, id: str) -> Response:
        return Response(AppErrorDetailSerializer(self.get_app_error(id)).data)

    @extend_schema(
        summary="Mark an error resolved by you (idempotent)",
        request=None,
        responses={200: AppErrorDetailSerializer, **PROBLEMS, **NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def mark_resolved(self, request: Request, id: str) -> Response:
        error = resolve_app_error(error=self.get_app_error(id), by=request.user)
        return Response(AppErrorDetailSerializer(error).data)

    @extend_schema(
        summary="Mark an error unresolved (idempotent)",
        request=None,
        responses={200: AppErrorDetailSerializer, **PROBLEMS, **NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def mark_unresolved(self, request: Request, id: str) -> Response:
        error = unresolve_app_error(error=self.get_app_error(id))
        return Response(AppErrorDetailSerializer(error).data)

    @extend_schema(
        summary="Resolve many errors: the given ids, or every error the filters match",
        request=BulkResolveSerializer,
        responses={200: BulkResolveResultSerializer, **PROBLEMS},
        filters=True,
    )
    @action(detail=False, methods=["post"])
    def bulk_resolve(self, request: Request) -> Response:
        body = BulkResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        filterset = self.get_filterset()
        if "ids" in body.validated_data:
            errors = list_app_errors_by_ids(body.validated_data["ids"])
            return Response({"resolved": resolve_app_errors(errors=errors, by=request.user)})
        try:
            changed = resolve_matching_app_errors(filterset=filterset, by=request.user)
        except ResolveAllRefused:
            raise ValidationError(
                {"ids": ["Give ids, or at least one filter parameter."]}
            ) from None
        return Response({"resolved": changed})

    @extend_schema(
        summary="Errors per hour or day, by severity and by app, for the same filters",
        responses={200: TrendSerializer, **PROBLEMS},
        filters=True,
    )
    @action(detail=False, methods=["get"])
    def trends(self, request: Request) -> Response:
        filterset = self.get_filterset()
        window = trend_window_for(filterset, bounded=False)
        if window.end - window.start > MAX_TREND_SPAN:
            raise ValidationError(
                {"timestamp__gte": [f"A trend spans at most {MAX_TREND_SPAN.days} days."]}
            )
        return Response(count_app_errors_over_time(filterset))

    def get_app_error(self, raw_id: str) -> AppError:
        try:
            error_id = uuid.UUID(raw_id)
        except ValueError:
            raise ValidationError({"id": ["Must be a valid UUID."]}) from None
        error = get_app_error(error_id)
        if error is None:
            raise NotFound("No error with this id.")
        return error
