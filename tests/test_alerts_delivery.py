"""The deliverer: webhooks to a real local HTTP server, e-mail through the locmem backend;
retries with backoff, the hourly cap and its summary, and the outcome of every alert."""

import datetime
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from errors.alerts.delivery import deliver_due_alerts
from errors.alerts.models import AlertDelivery
from errors.group_services import resolve_error_group
from errors.models import ErrorGroup
from tests.alert_scenarios import charge_card, make_rule, send_reminder

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture(autouse=True)
def site_address(settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "BASE_URL": "https://errors.example.com/"}


def test_a_new_group_is_posted_once_as_json_with_a_link_to_the_group(webhook_receiver):
    make_rule(name="Payments", webhook_url=webhook_receiver.url)
    for invoice in range(4):
        charge_card(invoice, app="billing")

    call_command("deliver_error_alerts", "--once")
    call_command("deliver_error_alerts", "--once")

    group = ErrorGroup.objects.get()
    [body] = webhook_receiver.bodies
    assert body["event"] == "new_group" and body["rule"] == "Payments"
    assert body["group"] == {
        "id": group.pk,
        "title": "PaymentDeclined: Card declined for invoice 0",
        "culprit": group.culprit,
        "app": "billing",
        "severity": "ERROR",
        "count": 4,
        "first_seen": group.first_seen.isoformat(),
        "last_seen": group.last_seen.isoformat(),
        "url": f"https://errors.example.com/groups/{group.pk}/",
    }
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert delivery.sent_at is not None


def test_a_regression_is_posted_once(webhook_receiver, staff):
    make_rule(triggers=["regression"], webhook_url=webhook_receiver.url)
    charge_card(1)
    resolve_error_group(group=ErrorGroup.objects.get(), by=staff)
    charge_card(2)
    charge_card(3)

    deliver_due_alerts()

    assert [body["event"] for body in webhook_receiver.bodies] == ["regression"]


def test_slack_format_carries_the_same_facts(webhook_receiver):
    make_rule(webhook_url=webhook_receiver.url, webhook_format="slack")
    charge_card(1, app="billing")

    deliver_due_alerts()

    [body] = webhook_receiver.bodies
    group = ErrorGroup.objects.get()
    assert body["text"].startswith("New error: PaymentDeclined: Card declined for invoice 1")
    assert f"https://errors.example.com/groups/{group.pk}/" in body["text"]
    assert [block["type"] for block in body["blocks"]] == ["section", "section"]
    assert "`billing`" in body["blocks"][1]["text"]["text"]


def test_email_has_text_and_html_with_the_group_link(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_rule(webhook_url="", emails=["ops@example.com", "dev@example.com"])
    charge_card(1)

    deliver_due_alerts()

    [message] = mail.outbox
    link = f"https://errors.example.com/groups/{ErrorGroup.objects.get().pk}/"
    assert message.to == ["ops@example.com", "dev@example.com"]
    assert message.subject == "[app-errors] New error: PaymentDeclined: Card declined for invoice 1"
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f'href="{link}"' in html
    assert AlertDelivery.objects.get().status == "sent"


def test_a_500_is_retried_with_backoff_then_sent(webhook_receiver):
    make_rule(webhook_url=webhook_receiver.url)
    webhook_receiver.statuses = [500, 503]
    charge_card(1)
    now = timezone.now()

    deliver_due_alerts(now=now)
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("retrying", 1)
    assert "HTTP 500" in delivery.last_error
    assert delivery.next_attempt_at == now + datetime.timedelta(seconds=30)

    deliver_due_alerts(now=now + datetime.timedelta(seconds=10))  # not due yet
    assert len(webhook_receiver.received) == 1

    deliver_due_alerts(now=now + datetime.timedelta(seconds=30))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("retrying", 2)
    assert delivery.next_attempt_at == now + datetime.timedelta(seconds=90)

    deliver_due_alerts(now=now + datetime.timedelta(seconds=90))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    assert [request["status"] for request in webhook_receiver.received] == [500, 503, 200]


def test_a_404_is_not_retried(webhook_receiver):
    make_rule(webhook_url=webhook_receiver.url)
    webhook_receiver.statuses = [404]
    charge_card(1)

    deliver_due_alerts()
    deliver_due_alerts(now=timezone.now() + datetime.timedelta(days=1))

    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "HTTP 404" in delivery.last_error
    assert len(webhook_receiver.received) == 1


def test_a_refused_connection_is_retried_until_the_limit(settings, webhook_receiver):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "ALERT_MAX_ATTEMPTS": 2}
    webhook_receiver.server.server_close()  # nothing listens on its port any more
    make_rule(webhook_url=webhook_receiver.url)
    charge_card(1)
    now = timezone.now()

    deliver_due_alerts(now=now)
    assert AlertDelivery.objects.get().status == "retrying"
    deliver_due_alerts(now=now + datetime.timedelta(minutes=1))

    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert "refused" in delivery.last_error.lower()


def test_an_smtp_failure_is_retried(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 5
    make_rule(webhook_url="", emails=["ops@example.com"])
    charge_card(1)

    deliver_due_alerts()

    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("retrying", 1)
    assert "ConnectionRefusedError" in delivery.last_error


def test_past_the_hourly_cap_alerts_are_suppressed_and_summarized_when_the_hour_closes(
    webhook_receiver,
):
    rule = make_rule(webhook_url=webhook_receiver.url, max_per_hour=2, app="")
    for failure in (ValueError, KeyError, TypeError, LookupError, OSError):
        charge_card(1, fingerprint=[failure.__name__])
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    AlertDelivery.objects.update(due_at=hour, next_attempt_at=hour)

    deliver_due_alerts(now=hour + datetime.timedelta(minutes=30))

    statuses = list(AlertDelivery.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["sent", "sent", "suppressed", "suppressed", "suppressed"]
    assert len(webhook_receiver.received) == 2

    deliver_due_alerts(now=hour + datetime.timedelta(minutes=59))  # the hour is still open
    assert len(webhook_receiver.received) == 2

    deliver_due_alerts(now=hour + datetime.timedelta(hours=1, seconds=1))
    deliver_due_alerts(now=hour + datetime.timedelta(hours=1, minutes=5))

    summary = webhook_receiver.bodies[2]
    assert len(webhook_receiver.received) == 3
    assert summary["event"] == "summary" and summary["suppressed"] == 3
    assert summary["rule"] == rule.name
    assert summary["url"].startswith("https://errors.example.com/?timestamp__gte=")
    assert AlertDelivery.objects.get(event="summary").status == "sent"


def test_a_deleted_rule_drops_its_pending_alerts(webhook_receiver):
    rule = make_rule(webhook_url=webhook_receiver.url)
    charge_card(1)
    send_reminder(1)
    rule.delete()

    deliver_due_alerts()

    assert not webhook_receiver.received
    assert not AlertDelivery.objects.exists()


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_two_deliverers_at_once_send_each_alert_once(webhook_receiver):
    """Two threads, each with its own database connections, drain one outbox together
    (SKIP LOCKED on PostgreSQL, a conditional claim on SQLite)."""
    make_rule(webhook_url=webhook_receiver.url, max_per_hour=1000)
    for number in range(40):
        charge_card(1, fingerprint=[f"failure {number}"])
    start = threading.Barrier(2)
    outcomes: list[int] = []

    def deliverer() -> None:
        try:
            start.wait()
            outcomes.append(deliver_due_alerts().sent)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    group_ids = [body["group"]["id"] for body in webhook_receiver.bodies]
    assert sorted(group_ids) == sorted(ErrorGroup.objects.values_list("id", flat=True))
    assert len(group_ids) == len(set(group_ids)) == 40
    assert sum(outcomes) == 40
    assert set(AlertDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_alerts_of_a_rule_turned_off_meanwhile_are_not_sent(webhook_receiver):
    rule = make_rule(webhook_url=webhook_receiver.url)
    charge_card(1)
    rule.enabled = False
    rule.save()

    deliver_due_alerts()

    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == (
        "failed",
        "Not sent: the rule was turned off.",
    )
    assert not webhook_receiver.received
