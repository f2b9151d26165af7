"""Failures and rules the alert tests share: each call raises and persists a real exception."""

import datetime
from typing import Any

from errors.alerts.models import AlertGroupMinute, AlertRule
from errors.models import AppError
from errors.services import persist_app_error


class PaymentDeclined(Exception):
    pass


def charge_card(invoice: int, **kwargs: Any) -> AppError:
    """One occurrence of the same failure (the invoice number is normalized away)."""
    try:
        raise PaymentDeclined(f"Card declined for invoice {invoice}")
    except PaymentDeclined as exc:
        return persist_app_error(exc, **kwargs)


def send_reminder(invoice: int) -> AppError:
    """An occurrence of another failure, in another group."""
    try:
        raise TimeoutError(f"Mail server timed out for invoice {invoice}")
    except TimeoutError as exc:
        return persist_app_error(exc)


def make_rule(**fields: Any) -> AlertRule:
    values = {
        "name": "Payments",
        "triggers": ["new_group", "regression", "unmuted"],
        "webhook_url": "http://127.0.0.1:9/hook",
    }
    return AlertRule.objects.create(**{**values, **fields})


def move_counted_minutes_back(by: datetime.timedelta) -> None:
    """Age every minute a threshold rule has counted, as if those occurrences came ``by``
    earlier."""
    for minute in AlertGroupMinute.objects.all():
        AlertGroupMinute.objects.filter(pk=minute.pk).update(minute=minute.minute - by)
