"""Draining the outbox: claim a due alert, send it, store the outcome.

On PostgreSQL each alert is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and its rule
row locked, in a transaction held while it is sent (at most the 5 s timeout): several
deliverers can run, none sends an alert another holds, and the hourly cap of a rule is
counted by one deliverer at a time. SQLite has neither, and a transaction held across a
network call would stall every error write; there an alert is claimed by an UPDATE that
only succeeds if the row is still as it was read (and pushes its next attempt a lease
ahead), so a second deliverer sends nothing twice, but the hourly cap is only exact with
one: run one deliverer on SQLite. An alert is sent at least once: if a deliverer dies
between the send and storing the outcome, the alert is sent again (after the lease on
SQLite)."""

import contextlib
import dataclasses
import datetime

from django.db import connections, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from errors.alerts.messages import alert_facts
from errors.alerts.models import (
    AlertDelivery,
    AlertGroupMinute,
    AlertRule,
    DeliveryStatus,
    Event,
)
from errors.alerts.rules import MAX_THRESHOLD_MINUTES
from errors.alerts.senders import DeliveryFailure, send_alert
from errors.conf import app_errors_setting
from errors.routers import errors_alias

DUE = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
# Alerts that never count against a rule's hourly cap.
UNCAPPED = (Event.SUMMARY, Event.TEST)
# How long an alert claimed on SQLite stays with its deliverer (longer than any send).
LEASE = datetime.timedelta(seconds=60)
PRUNE_EVERY = datetime.timedelta(minutes=10)
_pruned_at: datetime.datetime | None = None


@dataclasses.dataclass
class DeliveryRun:
    """What one pass over the outbox did, by outcome."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    suppressed: int = 0
    summaries: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.suppressed


def deliver_due_alerts(*, now: datetime.datetime | None = None, limit: int = 500) -> DeliveryRun:
    """Send every alert due by ``now`` (at most ``limit``), after queueing the summaries of
    the capped hours that have closed. ``now`` is the deliverer's clock."""
    now = now or timezone.now()
    run = DeliveryRun()
    run.summaries = queue_summaries(now=now)
    while run.handled < limit:
        outcome = deliver_next(now=now)
        if outcome is None:
            break
        if outcome != CLAIMED_ELSEWHERE:
            setattr(run, outcome, getattr(run, outcome) + 1)
    forget_old_minutes(now=now)
    return run


CLAIMED_ELSEWHERE = "claimed elsewhere"


def deliver_next(*, now: datetime.datetime) -> str | None:
    """Claim and deliver the alert due longest; its new status, CLAIMED_ELSEWHERE when
    another deliverer took it first, or None when none is due."""
    alias = errors_alias()
    locking = connections[alias].features.has_select_for_update_skip_locked
    with transaction.atomic(using=alias) if locking else contextlib.nullcontext():
        delivery = (
            AlertDelivery.objects.using(alias)
            .select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=DUE, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .first()
        )
        if delivery is None:
            return None
        if not locking and not lease(delivery, now=now):
            return CLAIMED_ELSEWHERE
        rule = AlertRule.objects.using(alias).select_for_update().filter(pk=delivery.rule_id)
        rule = rule.first()
        if rule is None:
            delivery.delete()
            return "failed"
        deliver(delivery, rule=rule, now=now)
        return delivery.status


def lease(delivery: AlertDelivery, *, now: datetime.datetime) -> bool:
    """Take ``delivery`` if no other deliverer changed it since it was read."""
    unchanged = AlertDelivery.objects.using(errors_alias()).filter(
        pk=delivery.pk,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
    )
    return unchanged.update(next_attempt_at=now + LEASE) == 1


def deliver(delivery: AlertDelivery, *, rule: AlertRule, now: datetime.datetime) -> None:
    """Send one alert, or suppress it past the rule's hourly cap, and store the outcome."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    if not rule.enabled and delivery.event != Event.TEST:
        # Turned off after the alert was due: staff asked for silence.
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = "Not sent: the rule was turned off."
        delivery.save(update_fields=["status", "last_error"])
        return
    if delivery.event not in UNCAPPED and sent_this_hour(delivery, hour) >= rule.max_per_hour:
        delivery.status = DeliveryStatus.SUPPRESSED
        delivery.hour = hour
        delivery.save(update_fields=["status", "hour"])
        return
    delivery.attempts += 1
    try:
        send_alert(rule=rule, channel=delivery.channel, facts=alert_facts(delivery, rule))
    except DeliveryFailure as failure:
        delivery.last_error = failure.reason
        if failure.is_retryable and delivery.attempts < app_errors_setting("ALERT_MAX_ATTEMPTS"):
            delivery.status = DeliveryStatus.RETRYING
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        else:
            delivery.status = DeliveryStatus.FAILED
    else:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now
        delivery.last_error = ""
    delivery.save(update_fields=["status", "attempts", "last_error", "sent_at", "next_attempt_at"])


def retry_delay(attempts: int) -> datetime.timedelta:
    """Exponential backoff: ALERT_RETRY_SECONDS after the first failure, doubling."""
    return datetime.timedelta(
        seconds=app_errors_setting("ALERT_RETRY_SECONDS") * 2 ** (attempts - 1)
    )


def sent_this_hour(delivery: AlertDelivery, hour: datetime.datetime) -> int:
    return (
        AlertDelivery.objects.using(errors_alias())
        .filter(rule_id=delivery.rule_id, channel=delivery.channel, sent_at__gte=hour)
        .exclude(event__in=UNCAPPED)
        .count()
    )


def queue_summaries(*, now: datetime.datetime) -> int:
    """For every rule, channel and closed hour with suppressed alerts and no summary yet,
    queue the summary that says how many (one, however many deliverers race on it)."""
    alias = errors_alias()
    hour = now.replace(minute=0, second=0, microsecond=0)
    deliveries = AlertDelivery.objects.using(alias)
    summarized = deliveries.filter(
        event=Event.SUMMARY,
        rule_id=OuterRef("rule_id"),
        channel=OuterRef("channel"),
        hour=OuterRef("hour"),
    )
    closed = (
        deliveries.filter(
            status=DeliveryStatus.SUPPRESSED,
            hour__lt=hour,
            hour__gte=hour - datetime.timedelta(days=1),
        )
        .filter(~Exists(summarized))
        .values("rule_id", "channel", "hour")
        .annotate(suppressed=Count("id"))
        .order_by("hour", "rule_id", "channel")
    )
    summaries = [
        AlertDelivery(
            rule_id=row["rule_id"],
            channel=row["channel"],
            hour=row["hour"],
            event=Event.SUMMARY,
            due_at=now,
            next_attempt_at=now,
            details={"suppressed": row["suppressed"]},
        )
        for row in closed
    ]
    deliveries.bulk_create(summaries, ignore_conflicts=True)
    return len(summaries)


def forget_old_minutes(*, now: datetime.datetime) -> None:
    """Drop the per-minute counts no threshold window can reach any more (a scan of that
    small table, so at most once per PRUNE_EVERY)."""
    global _pruned_at
    if _pruned_at is not None and abs(now - _pruned_at) < PRUNE_EVERY:
        return
    _pruned_at = now
    oldest = now - datetime.timedelta(minutes=MAX_THRESHOLD_MINUTES + 1)
    AlertGroupMinute.objects.using(errors_alias()).filter(minute__lt=oldest).delete()
