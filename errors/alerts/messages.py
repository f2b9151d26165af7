"""What an alert says: the JSON webhook body, Slack's incoming-webhook shape, and the
e-mail, all built from the same facts (the event, the rule, the group with its link)."""

import datetime
from typing import Any
from urllib.parse import urlencode

from django.template.loader import render_to_string

from errors.alerts.models import AlertDelivery, AlertRule, Event
from errors.conf import app_errors_setting
from errors.models import ErrorGroup, Severity

HEADLINES = {
    Event.NEW_GROUP: "New error",
    Event.REGRESSION: "Regression",
    Event.THRESHOLD: "Threshold reached",
    Event.UNMUTED: "Snooze ended",
    Event.SUMMARY: "Alerts suppressed",
    Event.TEST: "Test alert",
}


def absolute_url(path: str) -> str:
    """``path`` under APP_ERRORS["BASE_URL"], where the site is served."""
    return f"{str(app_errors_setting('BASE_URL')).rstrip('/')}{path}"


def group_facts(group: ErrorGroup | None, rule: AlertRule) -> dict[str, Any]:
    """The group as an alert shows it. A test alert has no group: it describes an example
    and links to the rule's page."""
    if group is None:
        now = datetime.datetime.now(datetime.UTC).isoformat()
        return {
            "id": None,
            "title": "Test alert: this rule reaches you",
            "culprit": "",
            "app": rule.app,
            "severity": "ERROR",
            "count": 0,
            "first_seen": now,
            "last_seen": now,
            "url": absolute_url(f"/alerts/{rule.pk}/"),
        }
    return {
        "id": group.pk,
        "title": group.title,
        "culprit": group.culprit,
        "app": group.app,
        "severity": Severity(group.severity).name if group.severity in Severity.values else "",
        "count": group.count,
        "first_seen": group.first_seen.isoformat(),
        "last_seen": group.last_seen.isoformat(),
        "url": absolute_url(f"/groups/{group.pk}/"),
    }


def summary_link(rule: AlertRule, hour: datetime.datetime) -> str:
    """The error list filtered to what the rule watches, in the hour its alerts were capped."""
    query = {
        "app": rule.app,
        "severity__gte": rule.min_severity or "",
        "timestamp__gte": hour.isoformat(),
        "timestamp__lte": (hour + datetime.timedelta(hours=1)).isoformat(),
    }
    return absolute_url("/?" + urlencode({key: value for key, value in query.items() if value}))


def alert_facts(delivery: AlertDelivery, rule: AlertRule) -> dict[str, Any]:
    """The JSON webhook body; the Slack message and the e-mail say the same."""
    facts: dict[str, Any] = {
        "event": delivery.event,
        "rule": rule.name,
        "group": group_facts(delivery.group, rule) if delivery.event != Event.SUMMARY else None,
    }
    if delivery.event == Event.THRESHOLD:
        facts["threshold"] = delivery.details
    if delivery.event == Event.SUMMARY:
        facts["suppressed"] = delivery.details.get("suppressed", 0)
        facts["hour"] = delivery.hour.isoformat() if delivery.hour else None
        facts["url"] = summary_link(rule, delivery.hour)
    return facts


def headline(facts: dict[str, Any]) -> str:
    """One line: what happened, to which group, under which rule."""
    event = HEADLINES.get(facts["event"], facts["event"])
    if facts["event"] == Event.SUMMARY:
        return f"{event}: {facts['suppressed']} alerts of rule {facts['rule']} in the hour"
    group = facts["group"]
    text = f"{event}: {group['title']}"
    if facts["event"] == Event.THRESHOLD:
        threshold = facts["threshold"]
        text += f" ({threshold['count']} in {threshold['minutes']} min)"
    return text


def slack_message(facts: dict[str, Any]) -> dict[str, Any]:
    """Slack's incoming-webhook body: ``text`` for notifications, ``blocks`` to read."""
    line = headline(facts)
    if facts["event"] == Event.SUMMARY:
        link = facts["url"]
        detail = f"Rule *{escape_slack(facts['rule'])}* hit its hourly cap."
    else:
        group = facts["group"]
        link = group["url"]
        detail = (
            f"*{escape_slack(group['severity'])}* in `{escape_slack(group['app'] or '-')}`"
            f" at `{escape_slack(group['culprit'] or '-')}`\n"
            f"{group['count']} occurrences, first seen {group['first_seen']},"
            f" last seen {group['last_seen']}"
            f" (rule *{escape_slack(facts['rule'])}*)"
        )
    return {
        "text": f"{line} {link}",
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*<{link}|{escape_slack(line)}>*"},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": detail}},
        ],
    }


def escape_slack(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def email_message(facts: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the alert's e-mail."""
    context = {"facts": facts, "headline": headline(facts)}
    subject = f"[app-errors] {headline(facts)}"[:200].replace("\n", " ")
    text = render_to_string("errors/alerts/alert_email.txt", context)
    html = render_to_string("errors/alerts/alert_email.html", context)
    return subject, text, html
