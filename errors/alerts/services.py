"""Writes on alert rules: saving, deleting, and sending a test alert at once."""

from django.db import transaction
from django.utils import timezone

from errors.alerts.delivery import LEASE, deliver
from errors.alerts.models import AlertDelivery, AlertRule, Event
from errors.routers import errors_alias


def save_alert_rule(*, rule: AlertRule) -> AlertRule:
    """Store a rule already checked (errors.alerts.rules.check_alert_rule); this process
    applies it to the next error written, others within a few seconds."""
    with transaction.atomic(using=errors_alias()):
        rule.save(using=errors_alias())
    return rule


def delete_alert_rule(*, rule: AlertRule) -> None:
    """Delete a rule and its deliveries."""
    with transaction.atomic(using=errors_alias()):
        AlertDelivery.objects.using(errors_alias()).filter(rule=rule).delete()
        rule.delete(using=errors_alias())


def send_test_alert(*, rule: AlertRule) -> list[AlertDelivery]:
    """Send a test alert to each of the rule's channels now, in the request, and record the
    outcome like any other delivery (a failure is retried by the deliverer). The rows are
    leased to this call, so a deliverer running meanwhile does not send them too."""
    now = timezone.now()
    deliveries = [
        AlertDelivery.objects.using(errors_alias()).create(
            rule=rule, event=Event.TEST, channel=channel, due_at=now, next_attempt_at=now + LEASE
        )
        for channel in rule.channels
    ]
    for delivery in deliveries:
        deliver(delivery, rule=rule, now=now)
    return deliveries
