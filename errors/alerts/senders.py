"""Sending one alert over one channel. Each sender returns on success and raises
DeliveryFailure otherwise, saying whether trying again could help."""

import json
import smtplib
import urllib.error
import urllib.request
from typing import Any

from django.core.mail import EmailMultiAlternatives

from errors.alerts.messages import email_message, slack_message
from errors.alerts.models import AlertRule, Channel, WebhookFormat
from errors.alerts.webhook_urls import mask_webhook_url

TIMEOUT_SECONDS = 5
# 4xx answers say the request itself is wrong, except these, which say "later".
RETRYABLE_CLIENT_ERRORS = {408, 425, 429}
REASON_LENGTH = 500


class DeliveryFailure(Exception):
    def __init__(self, reason: str, *, is_retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason[:REASON_LENGTH]
        self.is_retryable = is_retryable


def send_alert(*, rule: AlertRule, channel: str, facts: dict[str, Any]) -> None:
    """Send the alert ``facts`` describes to the rule's webhook or e-mail addresses."""
    if channel == Channel.WEBHOOK:
        body = slack_message(facts) if rule.webhook_format == WebhookFormat.SLACK else facts
        post_webhook(rule.webhook_url, body)
    else:
        send_email(rule.emails, facts)


def post_webhook(url: str, body: dict[str, Any]) -> None:
    """POST ``body`` as JSON. Redirects are not followed: a webhook that moved is a 3xx
    failure to read on the rule's page, not a request sent somewhere unexpected."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "app-errors alerts"},
        method="POST",
    )
    try:
        with NO_REDIRECTS.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        retryable = exc.code >= 500 or exc.code in RETRYABLE_CLIENT_ERRORS
        raise DeliveryFailure(
            f"HTTP {exc.code} {exc.reason} from {mask_webhook_url(url)}", is_retryable=retryable
        ) from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryFailure(
            f"{type(exc).__name__}: {reason} ({mask_webhook_url(url)})", is_retryable=True
        ) from exc


class RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


NO_REDIRECTS = urllib.request.build_opener(RefuseRedirects)


def send_email(recipients: list[str], facts: dict[str, Any]) -> None:
    """One e-mail to every address, plain text with an HTML alternative."""
    subject, text, html = email_message(facts)
    message = EmailMultiAlternatives(subject=subject, body=text, to=list(recipients))
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailure(f"{type(exc).__name__}: {exc}", is_retryable=True) from exc
