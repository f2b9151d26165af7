"""Alert rules over HTTP: create, read, change and delete rules, send a test alert, and read
a rule's recent deliveries. Reading takes the "view alert rule" permission, each write the
matching one, as in the admin."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from errors.alerts.models import AlertRule
from errors.alerts.selectors import (
    RECENT_DELIVERIES,
    get_alert_rule,
    list_alert_rules,
    list_rule_deliveries,
)
from errors.alerts.services import delete_alert_rule, send_test_alert
from errors.api.alert_serializers import AlertDeliverySerializer, AlertRuleSerializer

PROBLEMS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input, per field."),
    403: OpenApiResponse(OpenApiTypes.OBJECT, description="Not signed in, or not allowed."),
}
NOT_FOUND = {404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such rule.")}
PERMISSIONS = {
    "list": "view",
    "retrieve": "view",
    "deliveries": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "test": "change",
    "destroy": "delete",
}


class HasAlertRulePermission(BasePermission):
    message = "You do not have permission to manage alert rules."

    def has_permission(self, request, view) -> bool:
        needed = PERMISSIONS.get(view.action, "change")
        return bool(request.user.has_perm(f"errors.{needed}_alertrule"))


@extend_schema_view(
    list=extend_schema(
        summary="Every alert rule", responses={200: AlertRuleSerializer(many=True), **PROBLEMS}
    ),
    create=extend_schema(summary="Add a rule", responses={201: AlertRuleSerializer, **PROBLEMS}),
    retrieve=extend_schema(
        summary="One rule", responses={200: AlertRuleSerializer, **PROBLEMS, **NOT_FOUND}
    ),
    update=extend_schema(
        summary="Replace a rule", responses={200: AlertRuleSerializer, **PROBLEMS, **NOT_FOUND}
    ),
    partial_update=extend_schema(
        summary="Change some of a rule's fields",
        responses={200: AlertRuleSerializer, **PROBLEMS, **NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Delete a rule and its deliveries",
        responses={204: None, **PROBLEMS, **NOT_FOUND},
    ),
)
class AlertRuleViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AlertRuleSerializer
    permission_classes = [IsAdminUser, HasAlertRulePermission]
    pagination_class = None
    # Any path segment reaches the view, so a malformed id is a 400 naming it, not a 404.
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return list_alert_rules()

    def get_object(self) -> AlertRule:
        raw_id = self.kwargs["pk"]
        if not raw_id.isdigit() or len(raw_id) > 18:
            raise ValidationError({"id": ["Must be a rule's number."]})
        rule = get_alert_rule(int(raw_id))
        if rule is None:
            raise NotFound("No alert rule with this id.")
        return rule

    def perform_destroy(self, rule: AlertRule) -> None:
        delete_alert_rule(rule=rule)

    @extend_schema(
        summary="Send a test alert to the rule's webhook and e-mail addresses now",
        description="Answers the deliveries it made, sent or failed (a failure that may "
        "pass later is retried by the deliverer).",
        request=None,
        responses={200: AlertDeliverySerializer(many=True), **PROBLEMS, **NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        deliveries = send_test_alert(rule=self.get_object())
        return Response(AlertDeliverySerializer(deliveries, many=True).data)

    @extend_schema(
        summary=f"The rule's {RECENT_DELIVERIES} most recent deliveries, newest first",
        responses={200: AlertDeliverySerializer(many=True), **PROBLEMS, **NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        deliveries = list_rule_deliveries(self.get_object())[:RECENT_DELIVERIES]
        return Response(AlertDeliverySerializer(deliveries, many=True).data)
