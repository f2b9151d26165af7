"""The trend chart's counts from the totals the triggers keep (``AppErrorDailyCount``,
``AppErrorHourlyCount``) instead of the errors themselves, whenever the filter is one the
totals can answer exactly.

A window is cut in three: whole UTC days come from the daily totals (when the chart counts
by day in a time zone at UTC), whole hours from the hourly totals, and the partial hours at
either edge from the errors, so the figures equal a count of the rows. Hourly totals are
exact in any time zone whose offset is a whole number of hours.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from errors.filters import AppErrorFilterSet
from errors.models import AppError, AppErrorDailyCount, AppErrorHourlyCount

if TYPE_CHECKING:  # errors.selectors imports this module
    from errors.selectors import TrendWindow

HOUR, DAY = datetime.timedelta(hours=1), datetime.timedelta(days=1)
Rows = list[dict[str, Any]]


def count_from_hourly_totals(filterset, window, label_of: Callable) -> tuple[Rows, Rows] | None:
    """``(rows by bucket and severity, rows by bucket and app)``, each row holding the bucket's
    ``label``, or None when the filter or time zone needs the grouped queries over the errors.
    ``label_of(moment)`` names the bucket a moment falls in."""
    data = filterset.form.cleaned_data
    hourly = AppErrorFilterSet.filter_totals(
        AppErrorHourlyCount.objects.all(), data, time_is_bounded=True
    )
    if hourly is None or not offsets_are_whole_hours(window):
        return None
    first_hour, last_hour = _ceil(window.start, HOUR), _floor(window.end, HOUR)
    if first_hour >= last_hour:
        return None
    counts = {"severity": defaultdict(int), "app": defaultdict(int)}
    hour_spans = [(first_hour, last_hour)]
    if window.bucket == "day" and window_is_utc(window):
        first_day, last_day = _ceil(window.start, DAY), _floor(window.end, DAY)
        if first_day < last_day:
            days = AppErrorFilterSet.filter_totals(
                AppErrorDailyCount.objects.all(), data, time_is_bounded=True
            ).filter(day__gte=first_day.date(), day__lt=last_day.date())
            _add_totals(days, "day", label_of, counts)
            hour_spans = [(first_hour, first_day), (last_day, last_hour)]
    for start, end in hour_spans:
        if start < end:
            hours = hourly.filter(hour__gte=start, hour__lt=end)
            _add_totals(hours, "hour", label_of, counts)
    # The partial hours at the edges, from the errors: one tight range query each (the
    # window already holds the filter's own time bounds, which would only widen the scan).
    errors = AppErrorFilterSet.filter_totals(
        AppError.objects.order_by(), data, time_is_bounded=True
    )
    for start, end in ((window.start, first_hour), (last_hour, window.end)):
        edge = errors.filter(timestamp__gte=start, timestamp__lte=end)
        if end == first_hour:
            edge = edge.exclude(timestamp=first_hour)
        for moment, severity, app in edge.values_list("timestamp", "severity", "app"):
            label = label_of(moment)
            counts["severity"][(label, severity)] += 1
            counts["app"][(label, app or None)] += 1
    return tuple(
        [{"label": label, group: value, "n": n} for (label, value), n in counts[group].items()]
        for group in ("severity", "app")
    )


def count_from_daily_totals(data: dict[str, Any]) -> int | None:
    """How many errors match the filter values ``data`` (a FilterSet's cleaned data) at any
    time, summed from the daily totals: exact, and a few thousand rows read instead of up to
    a million errors counted. None when a filter has no column in the totals or bounds the
    time."""
    totals = AppErrorFilterSet.filter_totals(
        AppErrorDailyCount.objects.all(), data, time_is_bounded=False
    )
    if totals is None:
        return None
    return totals.aggregate(n=Sum("total"))["n"] or 0


def _add_totals(totals, period: str, label_of: Callable, counts: dict) -> None:
    """Sum the totals by period and group in the database; name each period's bucket once."""
    labels: dict[str, str] = {}
    for group in ("severity", "app"):
        rows = (
            totals.annotate(period_text=Cast(period, CharField()))
            .values_list("period_text", group)
            .annotate(n=Sum("total"))
            .order_by()
        )
        for text, value, n in rows:
            if text not in labels:
                labels[text] = label_of(_parse_period(text))
            if n:
                counts[group][(labels[text], value or None if group == "app" else value)] += n


def offsets_are_whole_hours(window: "TrendWindow") -> bool:
    """Whether the current time zone is a whole number of hours from UTC across ``window``:
    then UTC hours are local hours, and hourly counts can be read and labelled as they are."""
    tz = timezone.get_current_timezone()
    return all(
        timezone.localtime(moment, tz).utcoffset() % HOUR == datetime.timedelta(0)
        for moment in (window.start, window.end)
    )


def window_is_utc(window) -> bool:
    """Whether every day of the window starts at UTC midnight in the current time zone."""
    tz = timezone.get_current_timezone()
    moment = _floor(window.start, DAY)
    while moment <= window.end + DAY:
        if timezone.localtime(moment, tz).utcoffset():
            return False
        moment += DAY
    return True


def _floor(moment: datetime.datetime, unit: datetime.timedelta) -> datetime.datetime:
    moment = moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if unit == DAY else moment


def _ceil(moment: datetime.datetime, unit: datetime.timedelta) -> datetime.datetime:
    floor = _floor(moment, unit)
    return floor if floor == moment else floor + unit


def _parse_period(text: str) -> datetime.datetime:
    """An hour or day as the database wrote it as text: ``2026-11-29 02:00:00`` (SQLite),
    ``2026-11-29 02:00:00+00`` (PostgreSQL, UTC session) or ``2026-11-29``."""
    return datetime.datetime.fromisoformat(text[:19]).replace(tzinfo=datetime.UTC)
