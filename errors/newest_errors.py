"""A search's summary (its unresolved count and its trend) from its newest matches alone.

A common word matches a tenth of a million errors; counting and charting every match read
them all, several times the work of the page of results (470-790 ms at a million errors on
SQLite, against 41 ms for the page). So the list's summary of a search reads the newest
``SUMMARY_ROWS`` matches once, newest first (the way the page itself is read, from the time
index), and says what it did not read: the unresolved count is "of the newest N" and the
chart starts where the matches it read are complete. A search matching fewer is summarised
exactly, from the same single read.
"""

import bisect
import dataclasses
import datetime
from collections import Counter
from typing import Any

from django.db import connections
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone

from errors.filters import AppErrorFilterSet
from errors.hourly_counts import offsets_are_whole_hours
from errors.selectors import (
    DEFAULT_ORDERING,
    HOURLY_UP_TO,
    TrendWindow,
    bucket_label,
    bucket_labels,
    trend_series,
    trend_window_for,
)

# On PostgreSQL each match read is a probe into the search index from the time index (about
# 0.3 ms a match read at a million errors, loaded machine); 2,000 keeps the summary of a common
# word under a second there, and the chart still covers a day or more of it.
SUMMARY_ROWS = 2_000
HOUR, DAY = datetime.timedelta(hours=1), datetime.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class NewestAppErrors:
    """The newest matches of a filter, newest first: (UTC timestamp text, severity, app,
    resolved), at most ``limit`` + 1 of them; the one past ``limit`` only tells that more
    match, and how old the newest of those is."""

    limit: int
    rows: list[tuple[str, int, str, bool]]

    @property
    def is_complete(self) -> bool:
        """Whether these are all the matches."""
        return len(self.rows) <= self.limit

    @property
    def counted(self) -> list[tuple[str, int, str, bool]]:
        return self.rows[: self.limit]

    @property
    def unresolved(self) -> int:
        """How many of the counted matches are unresolved: all of the filter's unresolved
        matches when complete, else those among the newest ``limit``."""
        return sum(1 for row in self.counted if not row[3])

    @property
    def newest_left_out(self) -> datetime.datetime | None:
        """When the newest match that was not read happened; None when all were read."""
        return None if self.is_complete else _moment(self.rows[self.limit][0])


def read_newest_app_errors(
    filterset: AppErrorFilterSet, *, limit: int | None = None
) -> NewestAppErrors:
    """The newest ``limit`` (SUMMARY_ROWS) errors a valid filterset matches, and one more if
    there is one, in one query over the time index's own columns: no row is fetched."""
    limit = SUMMARY_ROWS if limit is None else limit
    queryset = (
        filterset.qs.order_by(*DEFAULT_ORDERING)
        .annotate(moment=Cast("timestamp", CharField()))
        .values_list("moment", "severity", "app", "resolved")[: limit + 1]
    )
    # Plain tuples: the ORM's converters, called per value, cost more than the query.
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return NewestAppErrors(limit=limit, rows=cursor.fetchall())


def count_newest_app_errors_over_time(
    filterset: AppErrorFilterSet, newest: NewestAppErrors
) -> dict[str, Any]:
    """``count_app_errors_over_time``'s trend from ``newest`` alone. When more match than were
    read, the trend starts at the first bucket after the newest match left out, so every bar
    it draws is a whole count; ``"newest"`` then says how many matches were read and from
    when the chart is complete (None when the trend is the filter's whole window)."""
    window = trend_window_for(filterset)
    left_out = newest.newest_left_out
    if left_out is not None and left_out >= window.start:
        window = _window_after(left_out, window.end)
    tz = timezone.get_current_timezone()
    # Tallied by the UTC hour's text (or the minute's, in a zone whose offset is not whole
    # hours), which lies in one local hour: a few hundred moments converted, not every row.
    width = 13 if offsets_are_whole_hours(window) else 16
    tally = Counter(
        (text[:width], severity, app)
        for text, severity, app, _ in _within(newest.counted, window.start, window.end)
    )
    labels_of: dict[str, str] = {}
    severity_counts: Counter = Counter()
    app_counts: Counter = Counter()
    for (key, severity, app), n in tally.items():
        if key not in labels_of:
            moment = _moment(key if len(key) == 16 else f"{key}:00")
            labels_of[key] = bucket_label(moment, window.bucket, tz)
        label = labels_of[key]
        severity_counts[(label, severity)] += n
        app_counts[(label, app)] += n
    trend = trend_series(
        window,
        bucket_labels(window, tz),
        _rows_of(severity_counts, "severity"),
        _rows_of(app_counts, "app"),
    )
    trend["newest"] = None if left_out is None else {"rows": newest.limit, "since": window.start}
    return trend


def _rows_of(counts: Counter, name: str) -> list[dict]:
    return [{"label": label, name: value, "n": n} for (label, value), n in counts.items()]


def _window_after(moment: datetime.datetime, end: datetime.datetime) -> TrendWindow:
    """From the first whole bucket after ``moment`` to ``end``: by hour when that spans two
    days or less, else by day (local days and hours)."""
    tz = timezone.get_current_timezone()
    local = timezone.localtime(moment, tz)
    hour = local.replace(minute=0, second=0, microsecond=0) + HOUR
    if end - hour <= HOURLY_UP_TO:
        return TrendWindow(start=min(hour, end), end=end, bucket="hour")
    day = (local.replace(hour=0, minute=0, second=0, microsecond=0) + DAY).replace(tzinfo=None)
    return TrendWindow(start=timezone.make_aware(day, tz), end=end, bucket="day")


def _within(rows: list, start: datetime.datetime, end: datetime.datetime) -> list:
    """The rows (newest first) from ``start`` to ``end``: a slice, found by bisection on their
    UTC text, which orders as the moments do (PostgreSQL's ends in "+00")."""
    oldest_first = rows[::-1]
    first = bisect.bisect_left(oldest_first, _utc_text(start), key=_sortable_text)
    last = bisect.bisect_right(oldest_first, _utc_text(end), key=_sortable_text)
    return oldest_first[first:last]


def _sortable_text(row: tuple) -> str:
    return row[0].removesuffix("+00")


def _utc_text(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _moment(text: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
