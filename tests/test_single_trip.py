"""Writes as applications make them, in autocommit (not inside a test's transaction): on
PostgreSQL an occurrence of a known, open group is stored and counted in one round trip
(errors.single_trip); anything that needs a decision takes the full path, and nothing of
the attempt stays."""

import datetime
import threading

import pytest
from django.db import connections, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

import errors.group_writes
import errors.inserts
from errors.alerts.models import AlertDelivery, AlertGroupMinute
from errors.group_services import mute_error_group, resolve_error_group
from errors.models import (
    AppError,
    ErrorGroup,
    ErrorGroupActivity,
    ErrorGroupHourlyCount,
    ErrorGroupSubject,
)
from errors.services import persist_app_error
from errors.spool import read_lines, replay_spool
from tests.alert_scenarios import make_rule, move_counted_minutes_back

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

JOB = "7c1811ed-e98f-4c9c-a9f9-58c757ff494f"
USER = "2b0bd6e0-5d37-4c55-9a3c-4a1b4d7e9f10"
ON_POSTGRESQL = connections["errors"].vendor == "postgresql"


def push(job: int) -> AppError:
    try:
        raise RuntimeError(f"Invoice for job {job} not pushed")
    except RuntimeError as exc:
        return persist_app_error(exc, job_id=JOB, additional_context={"job": job})


def statements_of(write) -> list[str]:
    with CaptureQueriesContext(connections["errors"]) as captured:
        result = write()
    return result, [query["sql"] for query in captured.captured_queries]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite has no network round trips to save")
def test_an_occurrence_of_a_known_open_group_is_one_round_trip():
    push(1)

    error, statements = statements_of(lambda: push(2))

    assert len(statements) == 1
    assert statements[0].startswith("BEGIN; SET LOCAL statement_timeout")
    assert statements[0].endswith("; COMMIT")
    assert not error._state.adding and not error.group_change.is_new
    group = ErrorGroup.objects.get()
    assert error.group_change.count == group.count == 2
    assert AppError.objects.get(pk=error.pk).group == group
    assert ErrorGroupSubject.objects.get(group=group, kind="job").count == 2
    assert ErrorGroupHourlyCount.objects.get(group=group).stored == 2


def test_an_occurrence_of_a_resolved_group_reopens_it_once(staff):
    push(1)
    group = ErrorGroup.objects.get()
    resolve_error_group(group=group, by=staff)

    first, second = push(2), push(3)

    group.refresh_from_db()
    assert first.group_change.is_regression and not second.group_change.is_regression
    assert not group.resolved and group.count == 3
    assert ErrorGroupActivity.objects.filter(group=group, kind="regressed").count() == 1
    assert ErrorGroupHourlyCount.objects.get(group=group).count == 3
    assert ErrorGroupSubject.objects.get(group=group, kind="job").count == 3
    assert AppError.objects.filter(resolved=False).count() == 2


def test_a_snooze_counts_down_and_ends_on_its_last_occurrence(staff):
    push(1)
    group = ErrorGroup.objects.get()
    mute_error_group(group=group, by=staff, for_occurrences=3)

    changes = [push(n).group_change for n in range(2, 6)]

    group.refresh_from_db()
    assert [change.is_muted for change in changes] == [True, True, False, False]
    assert [change.snooze_ended for change in changes] == [False, False, True, False]
    assert not group.is_muted and group.count == 5
    assert ErrorGroupActivity.objects.filter(group=group, kind="unmuted").count() == 1


def test_a_muted_group_stays_muted_and_counted():
    push(1)
    group = ErrorGroup.objects.get()
    mute_error_group(group=group, by=None)

    changes = [push(n).group_change for n in range(2, 5)]

    group.refresh_from_db()
    assert all(change.is_muted for change in changes)
    assert group.is_muted and group.count == 4 and AppError.objects.count() == 4


def test_an_hour_filled_by_another_process_sheds_the_occurrence(settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "GROUP_ROWS_PER_HOUR": 3}
    stored = [push(n) for n in range(3)]
    # Another process filled the hour: this one has not learnt it.
    errors.group_writes._full_hours.clear()

    shed = push(3)

    group = ErrorGroup.objects.get()
    assert all(error.group_change.stored for error in stored)
    assert not shed.group_change.stored and shed._state.adding
    assert (group.count, group.shed_count, AppError.objects.count()) == (4, 1, 3)
    hour = ErrorGroupHourlyCount.objects.get(group=group)
    assert (hour.count, hour.stored) == (4, 3)
    assert ErrorGroupSubject.objects.get(group=group, kind="job").count == 4


class PushedTwice(Exception):
    pass


class PushedTwiceInATransaction(Exception):
    pass


def push_as(failure: type[Exception], severity: str) -> AppError:
    try:
        raise failure("Invoice not pushed")
    except failure as exc:
        return persist_app_error(exc, severity=severity, job_id=JOB, user_id=USER)


def group_figures(first: AppError, second: AppError) -> dict:
    """What two occurrences left on their group, its hours and its subjects."""
    group = ErrorGroup.objects.get(pk=AppError.objects.get(pk=second.pk).group_id)
    hours = ErrorGroupHourlyCount.objects.filter(group=group)
    return {
        "group": (group.count, group.shed_count, group.severity, group.resolved),
        "releases": (group.first_release, group.last_release),
        "seen": (group.first_seen == first.timestamp, group.last_seen == second.timestamp),
        "hours": hours.aggregate(count=Sum("count"), stored=Sum("stored")),
        "subjects": sorted(
            (subject.kind, subject.count, subject.last_seen == second.timestamp)
            for subject in ErrorGroupSubject.objects.filter(group=group)
        ),
    }


def test_the_one_trip_counts_leave_the_rows_the_full_path_leaves(settings):
    """On PostgreSQL the one round trip counts through a PL/pgSQL function of its own
    (migration 0017); a write inside the caller's transaction takes the full path."""
    settings.APP_ERRORS = {**settings.APP_ERRORS, "RELEASE": "2.0"}
    push(0)  # release 2.0 is known from now on
    figures = []
    for failure, in_transaction in ((PushedTwice, False), (PushedTwiceInATransaction, True)):
        settings.APP_ERRORS = {**settings.APP_ERRORS, "RELEASE": ""}
        first = push_as(failure, "warning")
        settings.APP_ERRORS = {**settings.APP_ERRORS, "RELEASE": "2.0"}
        if in_transaction:
            with transaction.atomic(using="errors"):
                second = push_as(failure, "critical")
        else:
            second, statements = statements_of(lambda f=failure: push_as(f, "critical"))
            assert len(statements) == 1 or not ON_POSTGRESQL
        figures.append(group_figures(first, second))

    assert figures[0] == figures[1]
    assert figures[0]["group"] == (2, 0, 50, False)
    assert figures[0]["releases"] == ("2.0", "2.0")
    assert figures[0]["subjects"] == [("job", 2, True), ("user", 2, True)]


def test_a_threshold_rule_sees_every_occurrence():
    rule = make_rule(triggers=["threshold"], threshold_count=3, threshold_minutes=10)
    for n in range(4):
        push(n)

    delivery = AlertDelivery.objects.get()
    assert (delivery.rule, delivery.event) == (rule, "threshold")
    assert ErrorGroup.objects.get().count == 4


@pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite has no network round trips to save")
def test_a_threshold_counts_in_the_one_round_trip_until_its_alert_is_due():
    make_rule(triggers=["threshold"], threshold_count=3, threshold_minutes=10)
    push(1)

    _, counted = statements_of(lambda: push(2))
    assert len(counted) == 1 and not AlertDelivery.objects.exists()
    _, due = statements_of(lambda: push(3))
    assert len(due) > 1  # the trip failed on purpose; the full path recorded the alert
    _, after = statements_of(lambda: push(4))
    assert len(after) == 1  # fired within the window: counted, not due again

    delivery = AlertDelivery.objects.get()
    assert (delivery.event, delivery.details) == ("threshold", {"count": 3, "minutes": 10})
    assert AlertGroupMinute.objects.get().count == 4
    assert ErrorGroup.objects.get().count == 4


def test_threshold_windows_count_earlier_minutes_each_rule_its_own():
    make_rule(triggers=["threshold"], threshold_count=3, threshold_minutes=5)
    long = make_rule(triggers=["threshold"], threshold_count=3, threshold_minutes=60)
    push(1)
    push(2)
    # Both earlier occurrences move 30 minutes back: inside the hour, outside five minutes.
    move_counted_minutes_back(datetime.timedelta(minutes=30))

    push(3)
    push(4)

    assert list(AlertDelivery.objects.values_list("rule", flat=True)) == [long.pk]
    assert AlertDelivery.objects.get().details == {"count": 3, "minutes": 60}


def test_a_short_window_fires_on_its_own_count_after_a_long_one_fired():
    short = make_rule(triggers=["threshold"], threshold_count=3, threshold_minutes=5)
    long = make_rule(triggers=["threshold"], threshold_count=3, threshold_minutes=60)
    push(1)
    push(2)
    move_counted_minutes_back(datetime.timedelta(minutes=30))
    push(3)  # the hour holds three: the long rule fires, five minutes hold one
    push(4)
    assert list(AlertDelivery.objects.values_list("rule", flat=True)) == [long.pk]

    push(5)  # five minutes hold three now; the long rule fired within its hour

    fired = AlertDelivery.objects.order_by("id").values_list("rule", "details")
    assert list(fired) == [
        (long.pk, {"count": 3, "minutes": 60}),
        (short.pk, {"count": 3, "minutes": 5}),
    ]


def test_writers_racing_on_one_group_fire_its_threshold_once():
    make_rule(triggers=["threshold"], threshold_count=10, threshold_minutes=10)
    push(0)  # the group is known: the writers count in one round trip until it is due
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def write(first: int) -> None:
        try:
            start.wait(10)
            for job in range(first, first + 5):
                assert not push(job)._state.adding  # stored, not spooled
        except BaseException as failure:  # reported below, from the test's thread
            failures.append(failure)
        finally:
            connections.close_all()

    writers = [threading.Thread(target=write, args=(1 + 5 * n,)) for n in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    assert failures == []
    assert AlertDelivery.objects.get().details == {"count": 10, "minutes": 10}
    assert AlertGroupMinute.objects.aggregate(total=Sum("count"))["total"] == 21
    assert ErrorGroup.objects.get().count == 21


def test_a_group_deleted_since_it_was_learnt_is_made_again():
    push(1)
    AppError.objects.all().delete()
    ErrorGroup.objects.all().delete()

    error = push(2)

    group = ErrorGroup.objects.get()
    assert error.group_change.is_new and group.count == 1
    assert AppError.objects.get(pk=error.pk).group == group


def hold_group_row(group_id: int, holding: threading.Event, release: threading.Event) -> None:
    from django.db import transaction

    try:
        with transaction.atomic(using="errors"):
            ErrorGroup.objects.select_for_update().get(pk=group_id)
            holding.set()
            release.wait(30)
    finally:
        connections.close_all()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the statement timeout is PostgreSQL's")
def test_a_write_past_its_timeout_is_spooled_and_the_connection_still_works(
    monkeypatch, isolated_error_spool
):
    push(1)
    group = ErrorGroup.objects.get()
    monkeypatch.setattr(errors.inserts, "POSTGRESQL_WRITE_TIMEOUT", "200ms")
    monkeypatch.setattr(errors.inserts, "_statements", {})
    holding, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_group_row, args=(group.pk, holding, release))
    holder.start()
    assert holding.wait(10)
    try:
        spooled = push(2)
    finally:
        release.set()
        holder.join()

    assert spooled._state.adding
    with open(isolated_error_spool, "rb") as spool:
        assert [line for line in read_lines(spool.fileno()) if str(spooled.pk) in line.decode()]
    group.refresh_from_db()
    assert group.count == 1 and AppError.objects.count() == 1
    assert not push(3)._state.adding
    assert replay_spool().stored == 1
    group.refresh_from_db()
    assert group.count == 3 and AppError.objects.filter(pk=spooled.pk).exists()
