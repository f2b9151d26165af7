"""Writers racing on one group: two occurrences of a resolved group arriving at once record
one regression, not two."""

import datetime
import threading

import pytest
from django.db import connections

from errors.group_services import resolve_error_group
from errors.models import ErrorGroup, ErrorGroupActivity, ErrorGroupHourlyCount
from errors.services import persist_app_error

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

WRITERS = 4


def fail(n: int):
    try:
        raise RuntimeError(f"Job {n} could not be invoiced")
    except RuntimeError as exc:
        return persist_app_error(exc, app="jobs", function="invoice")


def write_together(count: int) -> list:
    barrier = threading.Barrier(count)
    results: list = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            results.append(fail(n))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("round_number", range(3))
def test_racing_occurrences_of_a_resolved_group_record_one_regression(staff, round_number):
    fail(0)
    group = ErrorGroup.objects.get()
    resolve_error_group(group=group, by=staff)

    results = write_together(WRITERS)

    group.refresh_from_db()
    assert all(result is not None and not result._state.adding for result in results)
    assert sum(result.group_change.is_regression for result in results) == 1
    assert ErrorGroupActivity.objects.filter(group=group, kind="regressed").count() == 1
    assert group.count == WRITERS + 1
    assert not group.resolved


def someone_waits_for_a_row_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def second_waits_for_first(first_write, second_write) -> tuple:
    """``first_write`` in a transaction left open until ``second_write`` (in a thread) is
    seen waiting for a row lock, or has finished (which would be the bug); then both
    results."""
    from django.db import transaction

    finished = threading.Event()
    second: list = []

    def writer() -> None:
        try:
            second.append(second_write())
        finally:
            connections.close_all()
            finished.set()

    with transaction.atomic(using="errors"):
        first = first_write()
        thread = threading.Thread(target=writer)
        thread.start()
        for _ in range(1000):  # until the second writer blocks on the lock, at most 10 s
            if finished.wait(0.01) or someone_waits_for_a_row_lock():
                break
    thread.join()
    return first, second[0]


@pytest.mark.skipif(
    connections["errors"].vendor != "postgresql",
    reason="SQLite lets one writer in at a time: a second write cannot start meanwhile",
)
def test_an_occurrence_waits_for_the_open_regression_before_it_reads_the_group(staff):
    """Deterministic: the first regression stays uncommitted until the second writer is
    seen waiting for the group's row lock (or has finished, which would be the bug)."""
    fail(0)
    group = ErrorGroup.objects.get()
    resolve_error_group(group=group, by=staff)

    first, second = second_waits_for_first(lambda: fail(1), lambda: fail(2))

    assert first.group_change.is_regression
    assert not second.group_change.is_regression
    assert ErrorGroupActivity.objects.filter(group=group, kind="regressed").count() == 1


def persisted_in_hour(hour: datetime.datetime, n: int):
    """An occurrence stamped in ``hour`` (in this thread only): writers of different hours
    share no hourly row, so only the group row's lock can order them."""
    stamps[threading.get_ident()] = hour
    try:
        return fail(n)
    finally:
        del stamps[threading.get_ident()]


stamps: dict[int, datetime.datetime] = {}


@pytest.mark.skipif(
    connections["errors"].vendor != "postgresql",
    reason="SQLite lets one writer in at a time: a second write cannot start meanwhile",
)
@pytest.mark.parametrize("second_in_a_transaction", [False, True], ids=["autocommit", "atomic"])
def test_occurrences_in_different_hours_wait_for_the_open_regression(
    staff, monkeypatch, second_in_a_transaction
):
    """The two occurrences fall in different hours, so they queue on no shared hourly row:
    without the lock the group row is read under, the second would read the group as still
    resolved and record a second regression."""
    from django.db import transaction
    from django.utils import timezone

    from errors.models import AppError

    field = AppError._meta.get_field("timestamp")
    monkeypatch.setattr(
        field, "_get_default", lambda: stamps.get(threading.get_ident()) or timezone.now()
    )
    fail(0)
    group = ErrorGroup.objects.get()
    resolve_error_group(group=group, by=staff)
    now = timezone.now()
    later = now + datetime.timedelta(hours=1)

    def second_write():
        if not second_in_a_transaction:
            return persisted_in_hour(later, 2)
        with transaction.atomic(using="errors"):
            return persisted_in_hour(later, 2)

    first, second = second_waits_for_first(lambda: persisted_in_hour(now, 1), second_write)

    group.refresh_from_db()
    assert first.group_change.is_regression
    assert not second.group_change.is_regression
    assert ErrorGroupActivity.objects.filter(group=group, kind="regressed").count() == 1
    assert group.count == 3 and not group.resolved
    hours = ErrorGroupHourlyCount.objects.filter(group=group).order_by("hour")
    assert [hour.count for hour in hours][-2:] == [2, 1]
