"""The groups API: list and read groups, resolve, unresolve, mute and unmute them. Views
parse and answer; reads go through errors.group_selectors, writes through
errors.group_services."""

from django.core.paginator import InvalidPage
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from errors.api.filtering import AppErrorFilterBackend
from errors.api.group_serializers import (
    ErrorGroupDetailSerializer,
    ErrorGroupSerializer,
    MuteGroupSerializer,
    ResolveGroupSerializer,
)
from errors.api.pagination import AppErrorPagination
from errors.api.permissions import CanResolveAppErrors
from errors.api.views import PROBLEMS
from errors.filters import ErrorGroupFilterSet
from errors.group_selectors import get_error_group, list_error_groups, list_group_activity
from errors.group_services import (
    mute_error_group,
    resolve_error_group,
    unmute_error_group,
    unresolve_error_group,
)
from errors.models import ErrorGroup

NOT_FOUND_GROUP = {404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such group.")}

WRITE_ACTIONS = {"mark_resolved", "mark_unresolved", "mute", "unmute"}


class ErrorGroupFilterBackend(AppErrorFilterBackend):
    """The one ErrorGroupFilterSet, read through the selector (its order and tie-breaker);
    invalid parameters are a 400 naming each field."""

    def filter_queryset(self, request, queryset, view):
        return list_error_groups(self.valid_filterset(request, queryset, view))


class ErrorGroupPagination(AppErrorPagination):
    """Pages of groups, counted exactly (there are thousands of groups, not millions);
    the same page parameters and 400s as the error list."""

    def paginate_queryset(self, queryset, request, view=None):
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        number = request.query_params.get(self.page_query_param) or 1
        try:
            self.page = paginator.page(number)
        except InvalidPage as exc:
            raise ValidationError({self.page_query_param: [str(exc)]}) from None
        self.request = request
        return list(self.page)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "count": self.page.paginator.count,
                "count_is_exact": True,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )


@extend_schema_view(
    list=extend_schema(
        summary="List error groups, last seen first",
        description="Filtered by any ErrorGroupFilterSet parameter; every group unless "
        "`status` is given (`unresolved` is unresolved and not muted).",
        responses={200: ErrorGroupSerializer(many=True), **PROBLEMS},
    ),
    retrieve=extend_schema(
        summary="One group with why it was grouped and its activity",
        responses={200: ErrorGroupDetailSerializer, **PROBLEMS, **NOT_FOUND_GROUP},
    ),
)
class ErrorGroupViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ErrorGroupSerializer
    pagination_class = ErrorGroupPagination
    filter_backends = [ErrorGroupFilterBackend]
    filterset_class = ErrorGroupFilterSet
    permission_classes = [IsAdminUser]
    lookup_field = "id"
    # Any path segment reaches the view, so a malformed id is a 400 naming it, not a 404.
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return ErrorGroup.objects.all()

    def get_permissions(self):
        if self.action in WRITE_ACTIONS:
            return [IsAdminUser(), CanResolveAppErrors()]
        return super().get_permissions()

    def retrieve(self, request: Request, id: str) -> Response:
        return self.detail_response(self.get_group(id))

    @extend_schema(
        summary="Resolve a group and its open occurrences (idempotent)",
        request=ResolveGroupSerializer,
        responses={200: ErrorGroupDetailSerializer, **PROBLEMS, **NOT_FOUND_GROUP},
    )
    @action(detail=True, methods=["post"])
    def mark_resolved(self, request: Request, id: str) -> Response:
        body = ResolveGroupSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        group = resolve_error_group(
            group=self.get_group(id),
            by=request.user,
            in_next_release=body.validated_data["in_next_release"],
        )
        return self.detail_response(group)

    @extend_schema(
        summary="Reopen a group and the occurrences its resolve closed (idempotent)",
        request=None,
        responses={200: ErrorGroupDetailSerializer, **PROBLEMS, **NOT_FOUND_GROUP},
    )
    @action(detail=True, methods=["post"])
    def mark_unresolved(self, request: Request, id: str) -> Response:
        group = unresolve_error_group(group=self.get_group(id), by=request.user)
        return self.detail_response(group)

    @extend_schema(
        summary="Mute a group: for good, until a moment, or for the next N occurrences",
        request=MuteGroupSerializer,
        responses={200: ErrorGroupDetailSerializer, **PROBLEMS, **NOT_FOUND_GROUP},
    )
    @action(detail=True, methods=["post"])
    def mute(self, request: Request, id: str) -> Response:
        body = MuteGroupSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        group = mute_error_group(group=self.get_group(id), by=request.user, **body.validated_data)
        return self.detail_response(group)

    @extend_schema(
        summary="Unmute a group (idempotent)",
        request=None,
        responses={200: ErrorGroupDetailSerializer, **PROBLEMS, **NOT_FOUND_GROUP},
    )
    @action(detail=True, methods=["post"])
    def unmute(self, request: Request, id: str) -> Response:
        group = unmute_error_group(group=self.get_group(id), by=request.user)
        return self.detail_response(group)

    def detail_response(self, group: ErrorGroup) -> Response:
        fresh = get_error_group(group.pk)
        context = {"activity": list_group_activity(fresh)}
        return Response(ErrorGroupDetailSerializer(fresh, context=context).data)

    def get_group(self, raw_id: str) -> ErrorGroup:
        if not raw_id.isascii() or not raw_id.isdigit() or not 0 < int(raw_id) < 2**63:
            raise ValidationError({"id": ["Must be a positive whole number."]})
        group = get_error_group(raw_id)
        if group is None:
            raise NotFound("No group with this id.")
        return group
