"""What the write path records as due: outbox rows in the occurrence's transaction, for the
rules that watch it, never for a muted group; thresholds once per window."""

import datetime

import pytest
from django.utils import timezone

from errors.alerts.models import AlertDelivery
from errors.group_services import mute_error_group, resolve_error_group
from errors.models import ErrorGroup
from tests.alert_scenarios import charge_card, make_rule, move_counted_minutes_back, send_reminder

pytestmark = pytest.mark.django_db(databases="__all__")


def due_events() -> list[tuple[str, str]]:
    return list(AlertDelivery.objects.order_by("id").values_list("event", "channel"))


def test_a_new_group_is_due_once_however_many_occurrences_follow():
    rule = make_rule()
    for invoice in range(5):
        charge_card(invoice)

    delivery = AlertDelivery.objects.get()
    assert (delivery.rule, delivery.event, delivery.status) == (rule, "new_group", "pending")
    assert delivery.group == ErrorGroup.objects.get()


def test_each_channel_of_a_rule_gets_its_own_delivery():
    make_rule(emails=["ops@example.com"])
    charge_card(1)

    assert due_events() == [("new_group", "webhook"), ("new_group", "email")]


def test_nothing_is_due_without_a_matching_enabled_rule():
    make_rule(enabled=False)
    make_rule(app="billing")
    make_rule(min_severity=50)
    make_rule(environment="production")
    charge_card(1, app="jobs", severity="error")

    assert not AlertDelivery.objects.exists()


def test_rules_filter_on_app_environment_and_severity(settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "ENVIRONMENT": "production"}
    watched = make_rule(app="billing", environment="production", min_severity=40)
    charge_card(1, app="billing", severity="critical")

    assert AlertDelivery.objects.get().rule == watched


def test_a_regression_is_due_once(staff):
    make_rule(triggers=["regression"])
    charge_card(1)
    resolve_error_group(group=ErrorGroup.objects.get(), by=staff)

    charge_card(2)
    charge_card(3)

    assert due_events() == [("regression", "webhook")]


def test_a_muted_group_records_nothing_even_when_it_regresses(staff):
    make_rule(triggers=["regression", "threshold"], threshold_count=2, threshold_minutes=10)
    charge_card(1)
    group = ErrorGroup.objects.get()
    mute_error_group(group=group, by=staff)
    resolve_error_group(group=group, by=staff)

    for invoice in range(2, 6):
        charge_card(invoice)

    assert not AlertDelivery.objects.exists()


def test_a_snooze_ending_by_count_makes_unmuted_due(staff):
    make_rule(triggers=["unmuted"])
    charge_card(1)
    mute_error_group(group=ErrorGroup.objects.get(), by=staff, for_occurrences=2)

    charge_card(2)
    assert not AlertDelivery.objects.exists()
    charge_card(3)

    assert due_events() == [("unmuted", "webhook")]


def test_a_snooze_ending_by_time_makes_unmuted_due(staff):
    make_rule(triggers=["unmuted"])
    charge_card(1)
    group = ErrorGroup.objects.get()
    mute_error_group(group=group, by=staff, until=timezone.now() + datetime.timedelta(hours=1))
    charge_card(2)
    assert not AlertDelivery.objects.exists()

    ErrorGroup.objects.filter(pk=group.pk).update(
        muted_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    charge_card(3)

    assert due_events() == [("unmuted", "webhook")]


def test_a_threshold_fires_once_per_window_and_again_in_the_next():
    make_rule(triggers=["threshold"], threshold_count=3, threshold_minutes=10)
    charge_card(1)
    charge_card(2)
    assert not AlertDelivery.objects.exists()

    charge_card(3)
    fired = AlertDelivery.objects.get()
    assert fired.event == "threshold"
    assert fired.details == {"count": 3, "minutes": 10}
    for invoice in range(4, 10):
        charge_card(invoice)
    assert AlertDelivery.objects.count() == 1

    # Eleven minutes later: the earlier occurrences and alert are out of the window.
    later = datetime.timedelta(minutes=11)
    move_counted_minutes_back(later)
    AlertDelivery.objects.update(due_at=fired.due_at - later)
    charge_card(10)
    charge_card(11)
    assert AlertDelivery.objects.count() == 1
    charge_card(12)

    assert AlertDelivery.objects.filter(event="threshold").count() == 2


def test_a_threshold_counts_each_group_on_its_own():
    make_rule(triggers=["threshold"], threshold_count=2, threshold_minutes=5)
    charge_card(1)
    send_reminder(1)

    assert not AlertDelivery.objects.exists()


def test_shed_occurrences_count_towards_a_threshold(settings):
    settings.APP_ERRORS = {**settings.APP_ERRORS, "GROUP_ROWS_PER_HOUR": 1}
    make_rule(triggers=["threshold"], threshold_count=3, threshold_minutes=5)
    for invoice in range(3):
        charge_card(invoice)

    assert ErrorGroup.objects.get().shed_count == 2
    assert AlertDelivery.objects.get().event == "threshold"


def test_a_rule_saved_in_this_process_applies_to_the_next_write():
    charge_card(1)  # fills the cache with no rules
    make_rule(triggers=["new_group"])
    send_reminder(1)

    assert due_events() == [("new_group", "webhook")]


def test_threshold_rules_with_different_windows_each_count_their_own():
    make_rule(triggers=["threshold"], threshold_count=3, threshold_minutes=5)
    long = make_rule(triggers=["threshold"], threshold_count=3, threshold_minutes=60)
    charge_card(1)
    charge_card(2)
    # Both earlier occurrences move 30 minutes back: inside the hour, outside five minutes.
    move_counted_minutes_back(datetime.timedelta(minutes=30))

    charge_card(3)

    assert list(AlertDelivery.objects.values_list("rule", flat=True)) == [long.pk]
