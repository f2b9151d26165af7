"""Reads: every list, count and trend the dashboard, the API, the admin and the benchmarks
show goes through here, so each query is tuned once. They return querysets and plain data,
never markup: how a row or a search match looks is the page's business (dashboard.tables).
Filtering is AppErrorFilterSet's (errors.filters); these functions take a bound filterset."""

import dataclasses
import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import CharField, Count, QuerySet, Sum
from django.db.models.functions import Cast, Substr, Trunc
from django.utils import timezone

from errors.counting import COUNT_CAP
from errors.filters import QUICK_RANGES, AppErrorFilterSet, active_filters
from errors.hourly_counts import (
    count_from_daily_totals,
    count_from_hourly_totals,
    window_is_utc,
)
from errors.models import AppError, AppErrorDailyCount, Severity
from errors.search import (
    HIGHLIGHT_START,
    HIGHLIGHT_STOP,
    RANK_WINDOW,
    count_search_matches,
    highlight_messages,
    rank_newest_matches,
)

TIE_BREAKER = "-id"
DEFAULT_ORDERING = ("-timestamp", TIE_BREAKER)
DEFAULT_TREND_RANGE = datetime.timedelta(days=30)
HOURLY_UP_TO = datetime.timedelta(days=2)
# One bucket a day: a chart of centuries would be millions of empty bars.
MAX_TREND_SPAN = datetime.timedelta(days=366)
# Nothing is recorded ahead of the clock; a day of slack covers skewed hosts.
TREND_HORIZON = datetime.timedelta(days=1)
TOP_APPS = 5


def filter_app_errors(params: Mapping[str, Any]) -> AppErrorFilterSet:
    """Bind request parameters to the one FilterSet. Check ``is_valid()`` before using
    ``.qs``: invalid parameters are form errors, not exceptions."""
    return AppErrorFilterSet(params, queryset=AppError.objects.all())


def list_app_errors(filterset: AppErrorFilterSet) -> QuerySet:
    """The filtered errors in a deterministic order (a unique tie-breaker ends every
    ordering), with who resolved them fetched in one extra query, not one per row. The
    resolver lives in the default database and errors may not, so no join."""
    queryset = filterset.qs
    ordering = list(queryset.query.order_by) or list(DEFAULT_ORDERING)
    if TIE_BREAKER not in ordering and "id" not in ordering:
        ordering.append(TIE_BREAKER)
    return queryset.order_by(*ordering).prefetch_related("resolved_by")


def count_app_errors(queryset: QuerySet, *, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows ``queryset`` holds, counting at most ``cap`` + 1 of them; and whether
    that count is exact. An exact COUNT(*) over millions of rows reads them all, which a list
    page cannot wait for: past the cap the page says "10,000+", truthfully.

    The count runs over a LIMITed subquery of ids, so the database stops after cap + 1 rows."""
    # SELECT COUNT(*) FROM (SELECT id ... LIMIT cap + 1): read from the filter's index alone.
    # (An "id IN (subquery)" form first materialises the ids, then probes: 25x slower.)
    total = queryset.order_by().values("pk")[: cap + 1].count()
    if total > cap:
        return cap, False
    return total, True


def count_filtered_app_errors(
    filterset: AppErrorFilterSet, *, resolved: bool | None = None, cap: int = COUNT_CAP
) -> tuple[int, bool]:
    """How many errors a valid filterset matches (only the resolved or unresolved ones when
    ``resolved`` is given), and whether the count is exact: the one count the list page and
    the API show. Exact from the daily totals when the filter is one they answer
    (errors.hourly_counts.count_from_daily_totals), else counted up to ``cap`` (in the search
    index for a bare search, else count_app_errors). A filter that already fixes the resolved state
    answers the other one without a query."""
    data = dict(filterset.form.cleaned_data)
    if resolved is not None:
        if data.get("resolved") is not None and data["resolved"] != resolved:
            return 0, True
        data["resolved"] = resolved
    total = count_from_daily_totals(data)
    if total is not None:
        return total, True
    search = data.get("search")
    if active_filters(data) - {"ordering"} == {"search"} and search.strip():
        # A bare search is counted in the search index alone, many times faster than
        # counting its matches among the errors.
        return count_search_matches(filterset.qs, search, cap=cap)
    queryset = filterset.qs if resolved is None else filterset.qs.filter(resolved=resolved)
    return count_app_errors(queryset, cap=cap)


NEWS_CAP = 99
# How many recent rows a poll looks up one by one; past it (a storm since the page was
# opened) the filter reads the recent rows through its own index instead.
RECENT_ROWS = 1_000


def list_recent_app_error_ids(
    since: datetime.datetime, *, limit: int | None = None
) -> list[uuid.UUID] | None:
    """The ids of the errors recorded after ``since``, read from the end of the time index;
    None when there are more than ``limit`` (``RECENT_ROWS``) of them."""
    limit = RECENT_ROWS if limit is None else limit
    recent = AppError.objects.filter(timestamp__gt=since).order_by()
    ids = list(recent.values_list("pk", flat=True)[: limit + 1])
    return None if len(ids) > limit else ids


def count_app_errors_since(
    filterset: AppErrorFilterSet, since: datetime.datetime, *, cap: int = NEWS_CAP
) -> tuple[int, bool]:
    """How many errors a valid filterset matches that were recorded after ``since`` (when a
    list page was rendered), counting at most ``cap`` + 1; and whether exactly. The list
    polls this while it is open, so it must not depend on the filter's selectivity: the few
    recent rows are found in the time index, then checked against the filter by primary
    key (a filter on severity alone would otherwise walk every row of that severity)."""
    recent = filterset.qs.filter(timestamp__gt=since)
    ids = list_recent_app_error_ids(since)
    if ids is not None:
        recent = recent.filter(pk__in=ids)
    return count_app_errors(recent, cap=cap)


def get_app_error(error_id: uuid.UUID | str) -> AppError | None:
    try:
        return AppError.objects.filter(pk=error_id).prefetch_related("resolved_by").first()
    except (ValueError, TypeError):
        return None


def list_ranked_app_errors(filterset: AppErrorFilterSet) -> "QuerySet | RankedAppErrors":
    """The filtered errors with the search's best matches first: the newest
    errors.search.RANK_WINDOW matches ranked best first, then the rest newest first (see
    errors.search.rank_newest_matches for why). Without a search, as list_app_errors."""
    text = filterset.form.cleaned_data.get("search") if filterset.is_valid() else None
    if not text:
        return list_app_errors(filterset)
    return RankedAppErrors(list_app_errors(filterset), text)


class RankedAppErrors:
    """Search results in ranked order, sliceable like a queryset (``errors[0:50]`` is a list
    of rows) and iterable. The ranked window is the newest matches reordered, so past it the
    order is the queryset's own, newest first: every row appears once either way."""

    def __init__(self, newest_first: QuerySet, text: str, *, window: int = RANK_WINDOW) -> None:
        self.newest_first = newest_first
        self.text = text
        self.window_size = window
        self._window: list | None = None

    @property
    def window(self) -> list:
        if self._window is None:
            self._window = rank_newest_matches(
                self.newest_first, self.text, window=self.window_size
            )
        return self._window

    def count(self) -> int:
        return self.newest_first.count()

    def __getitem__(self, page: slice) -> list[AppError]:
        start, stop = page.start or 0, page.stop
        ranked = self.window[start:stop]
        rows = _rows_in_order(self.newest_first.db, ranked)
        size = len(self.window)
        if (stop is None or stop > size) and size == self.window_size:
            rows += slice_app_errors(self.newest_first, max(start, size), stop)
        return rows

    def __iter__(self):
        return iter(self[0:None])


def slice_app_errors(queryset: QuerySet, start: int, stop: int) -> list[AppError]:
    """Rows ``start`` to ``stop`` of an ordered queryset, in two steps: the page's ids first,
    sorted with nothing but the sort keys, then those rows. Sorting thousands of search
    matches whole (multi-KB ``data`` included) is what made a broad search slow."""
    ids = list(queryset.values_list("pk", flat=True)[start:stop])
    return _rows_in_order(queryset.db, ids)


def _rows_in_order(alias: str, ids: list) -> list[AppError]:
    rows = AppError.objects.using(alias).filter(pk__in=ids).prefetch_related("resolved_by")
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def list_app_errors_by_ids(ids: Iterable[uuid.UUID]) -> QuerySet:
    """The errors with these ids, for bulk triage of a selection."""
    return AppError.objects.filter(pk__in=list(ids))


def has_active_filters(filterset: AppErrorFilterSet) -> bool:
    """Whether a valid filterset narrows the errors at all (ordering alone does not): bulk
    actions refuse to act on "everything" by accident."""
    data = filterset.form.cleaned_data if filterset.is_valid() else {}
    return bool(active_filters(data) - {"ordering"})


# A message cut where the search matched: (text, whether the search matched it), in order.
MessageSpans = list[tuple[str, bool]]


def highlight_app_error_messages(errors: QuerySet | list[AppError], text: str) -> dict:
    """``{error id: MessageSpans}``: each error's message cut into the words the search
    ``text`` matched and the text between them, for the rows of a page of search results.
    Plain text: the page decides how a match looks (and escapes it). Rows whose message did
    not match (only their context did) are absent: show their message plain."""
    if isinstance(errors, list):
        errors = AppError.objects.filter(pk__in=[error.pk for error in errors])
    return {
        pk: message_spans(text_with_marks)
        for pk, text_with_marks in highlight_messages(errors, text).items()
    }


def message_spans(text_with_marks: str) -> MessageSpans:
    """The backend's highlighted text (matches between HIGHLIGHT_START and HIGHLIGHT_STOP)
    as spans; empty spans are dropped."""
    spans = []
    for part in text_with_marks.split(HIGHLIGHT_START):
        hit, _, rest = part.rpartition(HIGHLIGHT_STOP) if HIGHLIGHT_STOP in part else ("", "", part)
        if hit:
            spans.append((hit, True))
        if rest:
            spans.append((rest, False))
    return spans


def list_app_names() -> list[str]:
    """The apps that have recorded errors, for the filter dropdown."""
    # From the daily totals (a few rows per app and day), not a DISTINCT over every error:
    # PostgreSQL reads the whole index for that.
    names = (
        AppErrorDailyCount.objects.exclude(app="")
        .values("app")
        .annotate(errors=Sum("total"))
        .filter(errors__gt=0)
        .order_by("app")
    )
    return [row["app"] for row in names]


def list_related_app_errors(error: AppError, *, limit: int = 10) -> QuerySet:
    """Recent other occurrences of the same exception type in the same function."""
    return (
        AppError.objects.filter(
            function=error.function,
            app=error.app,
            data__exception_type=_json_exception_type(error),
        )
        .exclude(pk=error.pk)
        .order_by(*DEFAULT_ORDERING)[:limit]
    )


def _json_exception_type(error: AppError) -> Any:
    """The exception type as ``data`` holds it (None for an error without one): compared in
    the JSON, not the column, because PostgreSQL's apperror_related index is over
    ``data -> 'exception_type'`` and rows stored before the column have it only there."""
    return (error.data or {}).get("exception_type", "") if isinstance(error.data, dict) else ""


@dataclasses.dataclass(frozen=True)
class TrendWindow:
    start: datetime.datetime
    end: datetime.datetime
    bucket: str  # "hour" or "day"


def trend_window_for(
    filterset: AppErrorFilterSet, *, now: datetime.datetime | None = None, bounded: bool = True
) -> TrendWindow:
    """The time span a trend covers: the filter's own range, else the last 30 days; by hour
    when it spans two days or less, else by day. ``bounded`` keeps it drawable: at most
    ``MAX_TREND_SPAN``, ending no later than a day from now (the newest part of a wider
    filter, which is where errors are)."""
    now = now or timezone.now()
    data = filterset.form.cleaned_data if filterset.is_bound and filterset.is_valid() else {}
    end = data.get("timestamp__lte") or now
    start = data.get("timestamp__gte")
    if data.get("range") in QUICK_RANGES:
        start = max(start or now - QUICK_RANGES[data["range"]], now - QUICK_RANGES[data["range"]])
    if start is None:
        start = end - DEFAULT_TREND_RANGE
    if bounded:
        end = min(end, now + TREND_HORIZON)
        start = min(max(start, end - MAX_TREND_SPAN), end)
    bucket = "hour" if end - start <= HOURLY_UP_TO else "day"
    return TrendWindow(start=start, end=end, bucket=bucket)


def count_app_errors_over_time(filterset: AppErrorFilterSet) -> dict[str, Any]:
    """Errors per time bucket, stacked by severity and by app (the top apps, the rest as
    "other"), in the configured time zone. Counted by the database, grouped rows only."""
    window = trend_window_for(filterset)
    tz = timezone.get_current_timezone()
    labels = bucket_labels(window, tz)
    # Exact hourly totals kept by triggers answer most filters without grouping the errors.
    counted = count_from_hourly_totals(
        filterset, window, lambda moment: bucket_label(moment, window.bucket, tz)
    )
    if counted is not None:
        severity_rows, app_rows = counted
    else:
        severity_rows, app_rows = _count_grouped_errors(filterset, window, tz)
    return trend_series(window, labels, severity_rows, app_rows)


def trend_series(
    window: TrendWindow, labels: list[str], severity_rows: list[dict], app_rows: list[dict]
) -> dict[str, Any]:
    """The trend's shape, from rows of ``{"label", "severity" or "app", "n"}``: a series per
    severity and per top app (the rest as "other"), each a count per bucket label."""
    by_severity: dict[str, list[int]] = {}
    index = {label: position for position, label in enumerate(labels)}
    for row in severity_rows:
        name = Severity(row["severity"]).name if row["severity"] in Severity.values else "OTHER"
        series = by_severity.setdefault(name, [0] * len(labels))
        position = index.get(row["label"])
        if position is not None:
            series[position] += row["n"]
    app_totals: dict[str, int] = defaultdict(int)
    for row in app_rows:
        app_totals[row["app"] or "(none)"] += row["n"]
    top = sorted(app_totals, key=lambda app: (-app_totals[app], app))[:TOP_APPS]
    by_app: dict[str, list[int]] = {app: [0] * len(labels) for app in top}
    for row in app_rows:
        app = row["app"] or "(none)"
        name = app if app in by_app else "other"
        series = by_app.setdefault(name, [0] * len(labels))
        position = index.get(row["label"])
        if position is not None:
            series[position] += row["n"]
    ordered_severities = [s.name for s in sorted(Severity, reverse=True) if s.name in by_severity]
    return {
        "bucket": window.bucket,
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "labels": labels,
        "by_severity": {name: by_severity[name] for name in ordered_severities},
        "by_app": by_app,
        "total": sum(app_totals.values()),
    }


def _count_grouped_errors(filterset: AppErrorFilterSet, window: TrendWindow, tz):
    """Rows by bucket and severity, and by bucket and app, grouped by the database in one
    pass (bucket, severity, app: a few hundred groups), split here: two GROUP BYs read a hot
    function's tens of thousands of index entries twice. At UTC a bucket is a prefix of the
    timestamp's UTC text, which SQLite computes itself instead of calling Trunc's Python
    function once per row."""
    queryset = filterset.qs.filter(timestamp__gte=window.start, timestamp__lte=window.end)
    if window_is_utc(window):
        width = 13 if window.bucket == "hour" else 10  # "2026-11-29 02" or "2026-11-29"
        bucket = Substr(Cast("timestamp", CharField()), 1, width)

        def label_of(text):
            return f"{text[:10]}T{text[11:13]}:00" if window.bucket == "hour" else text
    else:
        bucket = Trunc("timestamp", window.bucket, tzinfo=tz)

        def label_of(moment):
            return bucket_label(moment, window.bucket, tz)

    groups = queryset.annotate(bucket=bucket).order_by()
    counts: dict[str, dict[tuple, int]] = {"severity": defaultdict(int), "app": defaultdict(int)}
    for row in groups.values("bucket", "severity", "app").annotate(n=Count("id")):
        label = label_of(row["bucket"])
        for group in ("severity", "app"):
            counts[group][(label, row[group])] += row["n"]
    return [
        [{"label": label, group: value, "n": n} for (label, value), n in counts[group].items()]
        for group in ("severity", "app")
    ]


def bucket_label(moment: datetime.datetime, bucket: str, tz: datetime.tzinfo) -> str:
    """The chart's label of the hour or day holding ``moment`` in ``tz``: every trend
    (occurrences, groups, a search's newest matches) places its counts by it."""
    local = timezone.localtime(moment, tz) if timezone.is_aware(moment) else moment
    return local.strftime("%Y-%m-%dT%H:00") if bucket == "hour" else local.strftime("%Y-%m-%d")


def bucket_labels(window: TrendWindow, tz: datetime.tzinfo) -> list[str]:
    """Every bucket's label across ``window``, oldest first: the chart's x axis."""
    step = datetime.timedelta(hours=1) if window.bucket == "hour" else datetime.timedelta(days=1)
    labels, cursor = [], timezone.localtime(window.start, tz)
    cursor = cursor.replace(minute=0, second=0, microsecond=0)
    if window.bucket == "day":
        cursor = cursor.replace(hour=0)
    end = timezone.localtime(window.end, tz)
    while cursor <= end:
        labels.append(bucket_label(cursor, window.bucket, tz))
        cursor += step
    return labels
