"""Which rules are live, and what makes a rule valid.

The write path asks for the enabled rules on every persisted error, so they are cached per
process and database alias for a few seconds: with no rule at all a write costs one query
every RULES_TTL seconds. Saving or deleting a rule clears this process's cache at once;
other processes see the change within RULES_TTL."""

import dataclasses
import time
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from errors.alerts.models import AlertRule, Trigger
from errors.alerts.webhook_urls import validate_webhook_url
from errors.models import AppError

RULES_TTL = 5.0
# A threshold window is at most a day: the per-minute counts it sums are kept that long.
MAX_THRESHOLD_MINUTES = 24 * 60
MAX_EMAILS = 20


@dataclasses.dataclass(frozen=True)
class LiveRule:
    """What the write path needs of a rule, read once per cache fill."""

    id: int
    triggers: frozenset[str]
    min_severity: int | None
    app: str
    environment: str
    threshold_count: int | None
    threshold_minutes: int | None
    channels: tuple[str, ...]

    def matches(self, error: AppError) -> bool:
        """Whether an occurrence is one this rule watches (severity, app, environment)."""
        if self.min_severity is not None and error.severity < self.min_severity:
            return False
        if self.app and error.app != self.app:
            return False
        return not (self.environment and (error.environment or "") != self.environment)

    @property
    def watches_threshold(self) -> bool:
        return Trigger.THRESHOLD in self.triggers and bool(
            self.threshold_count and self.threshold_minutes
        )


_cache: dict[str, tuple[float, tuple[LiveRule, ...]]] = {}


def live_rules(alias: str) -> tuple[LiveRule, ...]:
    """The enabled rules with somewhere to send to, at most RULES_TTL seconds old."""
    now = time.monotonic()
    cached = _cache.get(alias)
    if cached is not None and cached[0] > now:
        return cached[1]
    rules = tuple(
        LiveRule(
            id=rule.pk,
            triggers=frozenset(rule.triggers or ()),
            min_severity=rule.min_severity,
            app=rule.app,
            environment=rule.environment,
            threshold_count=rule.threshold_count,
            threshold_minutes=rule.threshold_minutes,
            channels=tuple(rule.channels),
        )
        for rule in AlertRule.objects.using(alias).filter(enabled=True).order_by("id")
        if rule.channels
    )
    _cache[alias] = (now + RULES_TTL, rules)
    return rules


def forget_live_rules() -> None:
    """Read the rules again at the next write (after a change, or a test's rollback)."""
    _cache.clear()


@receiver(post_save, sender=AlertRule)
@receiver(post_delete, sender=AlertRule)
def rules_changed(**kwargs: Any) -> None:
    forget_live_rules()


def check_alert_rule(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """The errors of a rule's fields, by field name (empty when the rule is valid). The
    form and the API both ask here, so a rule means the same whichever way it came in."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    triggers = values.get("triggers") or []
    if not isinstance(triggers, list | tuple) or not triggers:
        refuse("triggers", "Choose at least one trigger.")
    else:
        unknown = [str(t) for t in triggers if t not in Trigger.values]
        if unknown:
            refuse("triggers", f"Unknown trigger: {', '.join(unknown)}.")
    if Trigger.THRESHOLD in triggers:
        if not values.get("threshold_count"):
            refuse("threshold_count", "A threshold needs a number of occurrences.")
        minutes = values.get("threshold_minutes")
        if not minutes:
            refuse("threshold_minutes", "A threshold needs a number of minutes.")
        elif minutes > MAX_THRESHOLD_MINUTES:
            refuse("threshold_minutes", f"At most {MAX_THRESHOLD_MINUTES} minutes (a day).")
    url = values.get("webhook_url") or ""
    if url:
        try:
            validate_webhook_url(url)
        except ValidationError as exc:
            refuse("webhook_url", exc.messages[0])
    emails = values.get("emails") or []
    for message in email_errors(emails):
        refuse("emails", message)
    if not url and not emails and "webhook_url" not in errors and "emails" not in errors:
        refuse("webhook_url", "Give a webhook address, e-mail addresses, or both.")
    if values.get("max_per_hour") == 0:
        refuse("max_per_hour", "At least one alert an hour.")
    return errors


def email_errors(emails: Iterable[Any]) -> list[str]:
    emails = list(emails)
    if len(emails) > MAX_EMAILS:
        return [f"At most {MAX_EMAILS} addresses."]
    problems = []
    for email in emails:
        try:
            if not isinstance(email, str):
                raise ValidationError("not text")
            validate_email(email)
        except ValidationError:
            problems.append(f"Not an e-mail address: {str(email)[:100]}.")
    return problems
