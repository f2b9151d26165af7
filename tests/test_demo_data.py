"""The demo data reads like a real team's history: nobody resolves an error before it
happened, or in the future, and every group tells the story its occurrences tell."""

import datetime
import io
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from errors.models import (
    AppError,
    AppErrorDailyCount,
    AppErrorHourlyCount,
    ErrorGroup,
    ErrorGroupHourlyCount,
    ErrorGroupSubject,
)

pytestmark = pytest.mark.django_db(databases="__all__")


def seed(*, count: int, days: int) -> None:
    call_command("seed_demo_errors", count=count, days=days, stdout=io.StringIO())


def utc_hour(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


def rows_by_group() -> dict[int, list[AppError]]:
    rows = defaultdict(list)
    for error in AppError.objects.order_by("timestamp", "id"):
        rows[error.group_id].append(error)
    return rows


def test_demo_errors_are_resolved_after_they_happen_and_never_in_the_future(staff):
    # Two days: most resolved errors are under two days old, where a resolution up to 48
    # hours later would land in the future.
    seed(count=150, days=2)
    checked_at = timezone.now()
    resolved = list(
        AppError.objects.filter(resolved=True).values_list("timestamp", "resolved_timestamp")
    )
    assert len(resolved) >= 20
    assert all(happened < resolved_at <= checked_at for happened, resolved_at in resolved)


def test_demo_errors_resolved_carry_who_and_when(staff):
    seed(count=60, days=7)
    assert not AppError.objects.filter(resolved=True, resolved_timestamp=None).exists()
    assert not AppError.objects.filter(resolved=True, resolved_by_id=None).exists()
    assert not AppError.objects.filter(resolved=False).exclude(resolved_timestamp=None).exists()


def test_demo_groups_are_seen_when_their_occurrences_happened(staff):
    seed(count=200, days=30)
    checked_at = timezone.now()
    groups = {group.pk: group for group in ErrorGroup.objects.all()}
    rows = rows_by_group()
    assert None not in rows and set(rows) == set(groups)
    for group_id, members in rows.items():
        group = groups[group_id]
        assert group.count == len(members)
        assert group.first_seen == members[0].timestamp
        assert group.last_seen == members[-1].timestamp <= checked_at
        assert group.severity == max(row.severity for row in members)
    # Spread over the month, not all "now".
    assert max(g.last_seen for g in groups.values()) - min(
        g.first_seen for g in groups.values()
    ) > datetime.timedelta(days=20)
    assert min(g.last_seen for g in groups.values()) < checked_at - datetime.timedelta(days=1)


def test_demo_group_hourly_counts_fall_on_their_occurrences_hours(staff):
    seed(count=200, days=30)
    expected = Counter((row.group_id, utc_hour(row.timestamp)) for row in AppError.objects.all())
    hourly = {
        (group_id, utc_hour(hour)): count
        for group_id, hour, count in ErrorGroupHourlyCount.objects.values_list(
            "group_id", "hour", "count"
        )
    }
    assert hourly == dict(expected)
    assert len({hour for _, hour in expected}) > 100  # the sparklines have days to show
    for group in ErrorGroup.objects.all():
        in_hours = ErrorGroupHourlyCount.objects.filter(group=group).aggregate(n=Sum("count"))
        assert in_hours["n"] == group.count


def test_demo_groups_count_the_jobs_and_users_their_occurrences_hit(staff):
    seed(count=200, days=30)
    expected: dict[tuple, tuple[int, datetime.datetime]] = {}
    for row in AppError.objects.order_by("timestamp"):
        for kind, subject in (("job", row.job_id), ("user", row.user_id)):
            if subject:
                n, _ = expected.get((row.group_id, kind, subject), (0, None))
                expected[(row.group_id, kind, subject)] = (n + 1, row.timestamp)
    subjects = {
        (group_id, kind, subject): (count, last_seen)
        for group_id, kind, subject, count, last_seen in ErrorGroupSubject.objects.values_list(
            "group_id", "kind", "subject_id", "count", "last_seen"
        )
    }
    assert subjects == expected


def test_demo_groups_are_resolved_exactly_when_all_their_occurrences_are(staff):
    seed(count=200, days=30)
    groups = {group.pk: group for group in ErrorGroup.objects.all()}
    checked_at = timezone.now()
    outcomes = Counter()
    for group_id, members in rows_by_group().items():
        group = groups[group_id]
        all_resolved = all(row.resolved for row in members)
        outcomes[all_resolved] += 1
        assert group.resolved is all_resolved
        if all_resolved:
            latest = max(members, key=lambda row: row.resolved_timestamp)
            assert group.resolved_timestamp == latest.resolved_timestamp <= checked_at
            assert group.resolved_by_id == latest.resolved_by_id == staff.pk
        else:
            assert group.resolved_timestamp is None and group.resolved_by_id is None
    assert outcomes[True] >= 1 and outcomes[False] >= 1


def test_demo_chart_totals_equal_the_occurrences(staff):
    seed(count=200, days=30)
    rows = list(AppError.objects.values_list("timestamp", "app", "severity", "resolved"))
    by_hour = Counter((utc_hour(t), app or "", sev, res) for t, app, sev, res in rows)
    by_day = Counter((utc_hour(t).date(), app or "", sev, res) for t, app, sev, res in rows)
    hourly, daily = Counter(), Counter()
    for hour, app, sev, res, total in AppErrorHourlyCount.objects.values_list(
        "hour", "app", "severity", "resolved", "total"
    ):
        hourly[(utc_hour(hour), app, sev, res)] += total
    for day, app, sev, res, total in AppErrorDailyCount.objects.values_list(
        "day", "app", "severity", "resolved", "total"
    ):
        daily[(day, app, sev, res)] += total
    assert +hourly == by_hour
    assert +daily == by_day
