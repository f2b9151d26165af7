"""Alert rules staff set, and the outbox of alerts due: rows the write path inserts in the
transaction that stored an occurrence, and the deliverer sends later."""

from django.db import models
from django.utils import timezone

from errors.models import ErrorGroup, Severity


class Trigger(models.TextChoices):
    NEW_GROUP = "new_group", "New group"
    REGRESSION = "regression", "Regression"
    THRESHOLD = "threshold", "Threshold"
    UNMUTED = "unmuted", "Snooze ended"


class Event(models.TextChoices):
    """What a delivery announces: a trigger, the rate cap's summary, or a test."""

    NEW_GROUP = "new_group", "New group"
    REGRESSION = "regression", "Regression"
    THRESHOLD = "threshold", "Threshold"
    UNMUTED = "unmuted", "Snooze ended"
    SUMMARY = "summary", "Suppressed alerts"
    TEST = "test", "Test alert"


class WebhookFormat(models.TextChoices):
    JSON = "json", "JSON"
    SLACK = "slack", "Slack"


class Channel(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    EMAIL = "email", "E-mail"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"
    SUPPRESSED = "suppressed", "Suppressed"


# What staff set on a rule, in the order the form and the API show it.
RULE_FIELDS = (
    "name",
    "enabled",
    "triggers",
    "min_severity",
    "app",
    "environment",
    "threshold_count",
    "threshold_minutes",
    "webhook_url",
    "webhook_format",
    "emails",
    "max_per_hour",
)


class AlertRule(models.Model):
    """When to tell whom: which group changes (triggers) of which errors (severity, app,
    environment) are sent to a webhook and/or e-mail addresses, at most ``max_per_hour``."""

    name = models.CharField(max_length=100)
    triggers = models.JSONField(default=list)
    min_severity = models.PositiveSmallIntegerField(choices=Severity.choices, null=True, blank=True)
    app = models.CharField(max_length=100, blank=True, default="")
    environment = models.CharField(max_length=100, blank=True, default="")
    threshold_count = models.PositiveIntegerField(null=True, blank=True)
    threshold_minutes = models.PositiveIntegerField(null=True, blank=True)
    # Not a URLField: its validator refuses hosts without a dot (a chat server on the LAN).
    # Checked by errors.alerts.rules.check_alert_rule (the form and the API both call it).
    webhook_url = models.CharField(max_length=2000, blank=True, default="")
    webhook_format = models.CharField(
        max_length=10, choices=WebhookFormat.choices, default=WebhookFormat.JSON
    )
    emails = models.JSONField(default=list, blank=True)
    max_per_hour = models.PositiveIntegerField(default=60)
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def channels(self) -> list[str]:
        """Where this rule's alerts go: one delivery per channel, each retried on its own."""
        channels = []
        if self.webhook_url:
            channels.append(Channel.WEBHOOK)
        if self.emails:
            channels.append(Channel.EMAIL)
        return channels


class AlertDelivery(models.Model):
    """One alert to one channel of a rule: due, then sent, retried, failed or suppressed.

    Rule and group carry no database constraint: the write path inserts these rows from
    rules cached for a few seconds, and a rule deleted meanwhile must not fail the error's
    write (the deliverer drops such rows)."""

    rule = models.ForeignKey(
        AlertRule, on_delete=models.CASCADE, db_constraint=False, related_name="deliveries"
    )
    group = models.ForeignKey(
        ErrorGroup,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
    )
    event = models.CharField(max_length=20, choices=Event.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    due_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    # The clock hour a suppressed alert fell in, and the hour a summary speaks for.
    hour = models.DateTimeField(null=True, blank=True)
    # Facts of the event beyond the group's (threshold reached, alerts suppressed).
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "alert deliveries"
        ordering = ["-due_at", "-id"]
        indexes = [
            # What the deliverer claims next: small, since delivered rows leave it.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status__in=["pending", "retrying"]),
                name="alertdelivery_due",
            ),
            # A rule's recent deliveries (its page), its sends this hour (the rate cap),
            # and a group's last threshold alert (once per window).
            models.Index(fields=["rule", "due_at", "id"], name="alertdelivery_rule_due"),
            models.Index(fields=["rule", "sent_at"], name="alertdelivery_rule_sent"),
            models.Index(
                fields=["group", "rule", "event", "due_at"], name="alertdelivery_group_event"
            ),
            models.Index(
                fields=["rule", "hour"],
                condition=models.Q(status="suppressed"),
                name="alertdelivery_suppressed",
            ),
        ]
        constraints = [
            # One summary per rule, channel and hour, however many deliverers close it.
            models.UniqueConstraint(
                fields=["rule", "channel", "hour"],
                condition=models.Q(event="summary"),
                name="alertdelivery_one_summary",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} via {self.channel}: {self.status}"


class AlertGroupMinute(models.Model):
    """Occurrences of one group per UTC minute, stored or shed, kept only while a threshold
    rule exists: "N occurrences within M minutes" sums at most M of these rows."""

    group = models.ForeignKey(
        ErrorGroup, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    minute = models.DateTimeField()
    count = models.IntegerField(default=0)

    class Meta:
        db_table = "errors_alert_group_minute"
        constraints = [
            models.UniqueConstraint(fields=["group", "minute"], name="alert_group_minute_key")
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.minute:%Y-%m-%d %H:%M}: {self.count}"
