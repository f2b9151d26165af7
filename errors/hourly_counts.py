"""The trend chart's counts from the hourly totals (``AppErrorHourlyCount``) instead of the
errors themselves, whenever the filter is one the totals can answer exactly.

Whole hours inside the window come from the totals; the partial hours at either edge are
counted from the errors, so the figures equal a count of the rows. Hours are UTC, so the
buckets are exact in any time zone whose offset is a whole number of hours.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db.models import CharField, Sum
from django.db.models.functions import Cast

from errors.models import AppErrorHourlyCount

HOUR = datetime.timedelta(hours=1)
# Filters the totals carry a column for; any other active filter needs the errors table.
ANSWERABLE = {
    "app",
    "severity",
    "severity__gte",
    "severity__lte",
    "resolved",
    "range",
    "timestamp__gte",
    "timestamp__lte",
    "ordering",
}
Rows = list[dict[str, Any]]


def count_from_hourly_totals(filterset, window, label_of: Callable) -> tuple[Rows, Rows] | None:
    """``(rows by bucket and severity, rows by bucket and app)`` like the grouped queries
    over the errors return them, or None when the filter or time zone needs those queries.
    ``label_of(moment)`` names the bucket a moment falls in."""
    data = filterset.form.cleaned_data
    active = {name for name, value in data.items() if value not in (None, "", [])}
    if not active <= ANSWERABLE or not _whole_hour_offsets(window):
        return None
    first_hour = _ceil_hour(window.start)
    last_hour = _floor_hour(window.end)
    if first_hour >= last_hour:
        return None
    totals = _filter_totals(AppErrorHourlyCount.objects.all(), data).filter(
        hour__gte=first_hour, hour__lt=last_hour
    )
    by_severity: dict[tuple, int] = defaultdict(int)
    by_app: dict[tuple, int] = defaultdict(int)
    labels: dict[str, str] = {}
    hour_text = Cast("hour", CharField())
    for key, (group, counts) in {
        "severity": ("severity", by_severity),
        "app": ("app", by_app),
    }.items():
        rows = (
            totals.annotate(hour_text=hour_text)
            .values_list("hour_text", group)
            .annotate(n=Sum("total"))
            .order_by()
        )
        for text, value, n in rows:
            if text not in labels:
                labels[text] = label_of(_parse_hour(text))
            if n:
                counts[(labels[text], value if key == "severity" else value or None)] += n
    # The partial hours at the edges, from the errors: one range query each.
    for start, end in ((window.start, first_hour), (last_hour, window.end)):
        edge = filterset.qs.filter(timestamp__gte=start, timestamp__lte=end)
        if end == first_hour:
            edge = edge.exclude(timestamp=first_hour)
        for moment, severity, app in edge.values_list("timestamp", "severity", "app"):
            label = label_of(moment)
            by_severity[(label, severity)] += 1
            by_app[(label, app or None)] += 1
    return (
        [{"label": label, "severity": value, "n": n} for (label, value), n in by_severity.items()],
        [{"label": label, "app": value, "n": n} for (label, value), n in by_app.items()],
    )


def _filter_totals(totals, data: dict):
    if data.get("app"):
        totals = totals.filter(app=data["app"])
    for name, lookup in (("severity", "exact"), ("severity__gte", "gte"), ("severity__lte", "lte")):
        if data.get(name) not in (None, ""):
            totals = totals.filter(**{f"severity__{lookup}": int(data[name])})
    if data.get("resolved") is not None:
        totals = totals.filter(resolved=data["resolved"])
    return totals


def _whole_hour_offsets(window) -> bool:
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    return all(
        timezone.localtime(moment, tz).utcoffset() % HOUR == datetime.timedelta(0)
        for moment in (window.start, window.end)
    )


def _floor_hour(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


def _ceil_hour(moment: datetime.datetime) -> datetime.datetime:
    floor = _floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def _parse_hour(text: str) -> datetime.datetime:
    """The hour as the database wrote it as text: ``2026-11-29 02:00:00`` (SQLite) or
    ``2026-11-29 02:00:00+00`` (PostgreSQL, UTC session)."""
    return datetime.datetime.fromisoformat(text[:19]).replace(tzinfo=datetime.UTC)
