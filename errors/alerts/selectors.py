"""Reads of alert rules and their deliveries, for the API and the dashboard alike."""

from django.db.models import QuerySet

from errors.alerts.models import AlertDelivery, AlertRule
from errors.routers import errors_alias

RECENT_DELIVERIES = 50


def list_alert_rules() -> QuerySet[AlertRule]:
    return AlertRule.objects.using(errors_alias()).order_by("name", "id")


def get_alert_rule(rule_id: int) -> AlertRule | None:
    return AlertRule.objects.using(errors_alias()).filter(pk=rule_id).first()


def list_rule_deliveries(rule: AlertRule) -> QuerySet[AlertDelivery]:
    """A rule's deliveries, newest first, with their groups (one join: same database)."""
    return (
        AlertDelivery.objects.using(errors_alias())
        .filter(rule=rule)
        .select_related("group")
        .order_by("-due_at", "-id")
    )
