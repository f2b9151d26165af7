"""Reads about error groups: the list, one group, its trend, sparklines, the jobs and users
it hit, and where an occurrence stands in it. Trends read the per-group hourly counts kept on
write (ErrorGroupHourlyCount), never the occurrences."""

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet, Sum, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from errors.counting import COUNT_CAP
from errors.filters import QUICK_RANGES, ErrorGroupFilterSet
from errors.models import (
    AppError,
    ErrorGroup,
    ErrorGroupActivity,
    ErrorGroupHourlyCount,
    ErrorGroupSubject,
    Severity,
    SubjectKind,
)
from errors.selectors import (
    DEFAULT_TREND_RANGE,
    HOURLY_UP_TO,
    MAX_TREND_SPAN,
    NEWS_CAP,
    TOP_APPS,
    TREND_HORIZON,
    TrendWindow,
    bucket_label,
    bucket_labels,
    list_recent_app_error_ids,
)

GROUP_TIE_BREAKER = "-id"
DEFAULT_GROUP_ORDERING = ("-last_seen", GROUP_TIE_BREAKER)
SPARKLINE_DAYS = 14
TOP_SUBJECTS = 5


def filter_error_groups(params: Mapping[str, Any]) -> ErrorGroupFilterSet:
    """Bind request parameters to the one group FilterSet. Check ``is_valid()`` before
    using ``.qs``: invalid parameters are form errors, not exceptions."""
    return ErrorGroupFilterSet(params, queryset=ErrorGroup.objects.all())


def list_error_groups(filterset: ErrorGroupFilterSet) -> QuerySet:
    """The filtered groups, newest last seen first unless ``ordering`` says otherwise,
    always ending with the id so that pages never overlap; who resolved them fetched in one
    extra query (staff live in the default database, groups may not: no join)."""
    queryset = filterset.qs
    ordering = list(queryset.query.order_by) or list(DEFAULT_GROUP_ORDERING)
    if GROUP_TIE_BREAKER not in ordering and "id" not in ordering:
        ordering.append(GROUP_TIE_BREAKER)
    return queryset.order_by(*ordering).prefetch_related("resolved_by")


def list_error_groups_by_ids(ids: Iterable[int]) -> QuerySet:
    """The groups with these ids, for a bulk action on a selection."""
    return ErrorGroup.objects.filter(pk__in=list(ids)).order_by("pk")


def get_error_group(group_id: Any) -> ErrorGroup | None:
    """One group with its resolver, or None for an id that names none (or is not one)."""
    try:
        return ErrorGroup.objects.filter(pk=int(group_id)).prefetch_related("resolved_by").first()
    except (ValueError, TypeError, OverflowError):
        return None


def list_group_activity(group: ErrorGroup, *, limit: int = 100) -> list[ErrorGroupActivity]:
    """The group's timeline, newest first, with who acted fetched in one extra query."""
    return list(
        ErrorGroupActivity.objects.filter(group=group)
        .order_by("-when", "-id")
        .prefetch_related("who")[:limit]
    )


def count_stored_occurrences(group: ErrorGroup) -> int:
    """How many of the group's occurrences are still stored as rows (pruning removes some,
    the storm limit never stores others): counted in the group's index."""
    return AppError.objects.filter(group_id=group.pk).count()


def find_occurrence_position(error: AppError) -> tuple[int, int] | None:
    """``(n, N)``: the error is the n-th of the N stored occurrences of its group, oldest
    first. None for an error not grouped yet. Both are counted in the group's
    (group, timestamp, id) index."""
    if error.group_id is None:
        return None
    rows = AppError.objects.filter(group_id=error.group_id)
    before = rows.filter(
        Q(timestamp__lt=error.timestamp) | Q(timestamp=error.timestamp, id__lte=error.pk)
    )
    return before.count(), rows.count()


def count_error_groups_since(
    filterset: ErrorGroupFilterSet, since: datetime.datetime, *, cap: int = NEWS_CAP
) -> tuple[int, bool]:
    """How many groups a valid filterset matches that have had an occurrence after ``since``
    (when the list was rendered), counting at most ``cap`` + 1; and whether exactly.
    Groups carry no index on ``last_seen`` (every write updates it), so the groups of the
    few recent occurrences are found through the errors' time index and read by primary
    key; past ``RECENT_ROWS`` recent occurrences the groups table is read whole (a few
    thousand short rows, as the list itself does)."""
    groups = filterset.qs.filter(last_seen__gt=since).order_by()
    ids = list_recent_app_error_ids(since)
    if ids is not None:
        recent = AppError.objects.filter(pk__in=ids).order_by()
        group_ids = recent.values_list("group_id", flat=True)
        groups = groups.filter(pk__in={pk for pk in group_ids if pk is not None})
    total = groups.values("pk")[: cap + 1].count()
    return (cap, False) if total > cap else (total, True)


def count_ungrouped_app_errors(*, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many errors have no group yet (rows from before groups existed, until
    ``group_app_errors`` has run), counting at most ``cap`` + 1; and whether exactly. The
    usual answer, none, is one probe of the group index."""
    ungrouped = AppError.objects.filter(group__isnull=True).order_by()
    if not ungrouped.exists():
        return 0, True
    total = ungrouped.values("pk")[: cap + 1].count()
    return (cap, False) if total > cap else (total, True)


def list_top_subjects(
    group: ErrorGroup, kind: str, *, limit: int = TOP_SUBJECTS
) -> list[ErrorGroupSubject]:
    """The jobs (``kind="job"``) or users the group hit most, with their counts."""
    return list(
        ErrorGroupSubject.objects.filter(group=group, kind=kind).order_by(
            "-count", "-last_seen", "-id"
        )[:limit]
    )


def list_affected_subjects(group: ErrorGroup) -> dict[str, list[ErrorGroupSubject]]:
    """The jobs and users the group hit most, for the group page."""
    return {
        "jobs": list_top_subjects(group, SubjectKind.JOB),
        "users": list_top_subjects(group, SubjectKind.USER),
    }


@dataclasses.dataclass(frozen=True)
class Sparkline:
    """A group's daily occurrences over the last days, oldest first, and the polyline
    points that draw it in a ``width`` x ``height`` box."""

    counts: list[int]
    width: int
    height: int

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def points(self) -> str:
        peak = max(self.counts) or 1
        step = self.width / max(len(self.counts) - 1, 1)
        return " ".join(
            f"{index * step:.1f},{self.height - 1 - (self.height - 2) * count / peak:.1f}"
            for index, count in enumerate(self.counts)
        )


def build_sparklines(
    group_ids: Iterable[int],
    *,
    days: int = SPARKLINE_DAYS,
    now: datetime.datetime | None = None,
    width: int = 84,
    height: int = 20,
) -> dict[int, Sparkline]:
    """``{group id: Sparkline}`` of the last ``days`` days (in the configured time zone) for
    a page of groups, in ONE query over their hourly counts."""
    ids = list(group_ids)
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now or timezone.now(), tz).date()
    first_day = today - datetime.timedelta(days=days - 1)
    start = datetime.datetime.combine(first_day, datetime.time(), tzinfo=tz)
    counts = {pk: [0] * days for pk in ids}
    if ids:
        # Hours read as the database's text and placed once per distinct hour: a page of
        # groups shares its few hundred hours, and the ORM's conversion of every row's
        # time cost most of the list page (16,800 rows for 50 busy groups).
        rows = (
            ErrorGroupHourlyCount.objects.filter(group_id__in=ids, hour__gte=start)
            .annotate(hour_text=Cast("hour", TextField()))
            .values_list("group_id", "hour_text", "count")
            .order_by()
        )
        positions: dict[str, int] = {}
        for group_id, hour, count in rows:
            position = positions.get(hour)
            if position is None:
                position = positions[hour] = _day_position(hour, tz, first_day)
            if 0 <= position < days:
                counts[group_id][position] += count
    return {pk: Sparkline(series, width, height) for pk, series in counts.items()}


def _day_position(hour: str, tz: datetime.tzinfo, first_day: datetime.date) -> int:
    """Which day from ``first_day`` (in ``tz``) a stored hour falls on. Both databases give
    their times' text in UTC (SQLite without an offset)."""
    moment = datetime.datetime.fromisoformat(hour)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return (moment.astimezone(tz).date() - first_day).days


def group_trend_window(
    filterset: ErrorGroupFilterSet | None = None, *, now: datetime.datetime | None = None
) -> TrendWindow:
    """The span a group trend covers: the filter's time range, else the last 30 days,
    bounded to a year ending no later than a day from now; by hour over two days or less."""
    now = now or timezone.now()
    data = filterset.form.cleaned_data if filterset is not None and filterset.is_valid() else {}
    end = min(data.get("timestamp__lte") or data.get("last_seen__lte") or now, now + TREND_HORIZON)
    start = data.get("timestamp__gte") or data.get("last_seen__gte")
    if data.get("range") in QUICK_RANGES:
        start = max(start or now - QUICK_RANGES[data["range"]], now - QUICK_RANGES[data["range"]])
    if start is None:
        start = end - DEFAULT_TREND_RANGE
    start = min(max(start, end - MAX_TREND_SPAN), end)
    bucket = "hour" if end - start <= HOURLY_UP_TO else "day"
    return TrendWindow(start=start, end=end, bucket=bucket)


def count_groups_over_time(groups: QuerySet, window: TrendWindow) -> dict[str, Any]:
    """Occurrences per bucket of the ``groups`` (a filtered queryset), by the groups'
    severity and by app, in the shape ``count_app_errors_over_time`` returns (the same
    charts draw it). Sums the hourly counts: one row per group and hour with occurrences,
    grouped by the database by hour, severity and app."""
    tz = timezone.get_current_timezone()
    labels = bucket_labels(window, tz)
    index = {label: position for position, label in enumerate(labels)}
    hour_start = window.start.replace(minute=0, second=0, microsecond=0)
    rows = (
        ErrorGroupHourlyCount.objects.filter(
            group_id__in=groups.order_by().values("pk"),
            hour__gte=hour_start,
            hour__lte=window.end,
        )
        .values("hour", "group__severity", "group__app")
        .annotate(n=Sum("count"))
        .order_by()
    )
    by_severity: dict[str, list[int]] = {}
    by_app_rows: list[tuple[str, int, int]] = []
    app_totals: dict[str, int] = defaultdict(int)
    for row in rows:
        position = index.get(bucket_label(row["hour"], window.bucket, tz))
        if position is None:
            continue
        severity = row["group__severity"]
        name = Severity(severity).name if severity in Severity.values else "OTHER"
        by_severity.setdefault(name, [0] * len(labels))[position] += row["n"]
        app = row["group__app"] or "(none)"
        app_totals[app] += row["n"]
        by_app_rows.append((app, position, row["n"]))
    top = sorted(app_totals, key=lambda app: (-app_totals[app], app))[:TOP_APPS]
    by_app: dict[str, list[int]] = {app: [0] * len(labels) for app in top}
    for app, position, n in by_app_rows:
        by_app.setdefault(app if app in by_app else "other", [0] * len(labels))[position] += n
    ordered = [s.name for s in sorted(Severity, reverse=True) if s.name in by_severity]
    return {
        "bucket": window.bucket,
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "labels": labels,
        "by_severity": {name: by_severity[name] for name in ordered},
        "by_app": by_app,
        "total": sum(app_totals.values()),
    }


def count_group_over_time(
    group: ErrorGroup, *, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """One group's occurrences per bucket, from its first to its last seen (at most the
    last 30 days, by hour when that is two days or less)."""
    now = now or timezone.now()
    end = min(max(group.last_seen, now - datetime.timedelta(hours=1)), now + TREND_HORIZON)
    start = max(group.first_seen, end - DEFAULT_TREND_RANGE)
    if end - start < datetime.timedelta(hours=24):
        start = end - datetime.timedelta(hours=24)
    bucket = "hour" if end - start <= HOURLY_UP_TO else "day"
    window = TrendWindow(start=start, end=end, bucket=bucket)
    return count_groups_over_time(ErrorGroup.objects.filter(pk=group.pk), window)
