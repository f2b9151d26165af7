"""Old errors are deleted by prune_app_errors, a batch at a time, and everything derived from
them (the totals, the search index) follows."""

import io

import pytest
from django.core.management import CommandError, call_command

from errors.hourly_counts import count_from_daily_totals
from errors.models import AppError, AppErrorDailyCount, AppErrorHourlyCount
from errors.retention import cutoff_for, prune_app_errors
from errors.search import search_app_errors
from errors.selectors import filter_app_errors
from errors.services import resolve_app_error
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")

DAY = 24


@pytest.fixture
def aged(staff) -> dict[str, AppError]:
    errors = {
        "old": AppErrorFactory(message="ancient ledger failure", age_hours=40 * DAY),
        "old resolved": AppErrorFactory(
            message="ancient resolved failure", app="billing", age_hours=35 * DAY
        ),
        "older resolved": AppErrorFactory(
            message="older resolved failure", app="billing", age_hours=50 * DAY
        ),
        "recent": AppErrorFactory(message="recent ledger failure", age_hours=10 * DAY),
        "recent resolved": AppErrorFactory(message="recent resolved failure", age_hours=2 * DAY),
    }
    for name in ("old resolved", "older resolved", "recent resolved"):
        resolve_app_error(error=errors[name], by=staff)
    return errors


def messages() -> set[str]:
    return set(AppError.objects.values_list("message", flat=True))


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("prune_app_errors", *args, stdout=out)
    return out.getvalue()


def assert_totals_match_the_errors() -> None:
    for totals in (AppErrorHourlyCount, AppErrorDailyCount):
        assert sum(totals.objects.values_list("total", flat=True)) == AppError.objects.count()
    for params in ({}, {"app": "billing"}, {"resolved": "true"}, {"resolved": "false"}):
        filterset = filter_app_errors(params)
        assert filterset.is_valid()
        assert count_from_daily_totals(filterset.form.cleaned_data) == filterset.qs.count(), params


def test_errors_older_than_the_cutoff_are_deleted_and_the_rest_kept(aged):
    assert prune("--older-than-days", "30").startswith("Deleted 3 errors recorded before ")
    assert messages() == {"recent ledger failure", "recent resolved failure"}
    assert_totals_match_the_errors()
    assert not search_app_errors(AppError.objects.all(), "ancient").exists()
    assert search_app_errors(AppError.objects.all(), "recent").count() == 2


def test_resolved_only_keeps_unresolved_errors_however_old(aged):
    assert "Deleted 2 resolved errors" in prune("--older-than-days", "30", "--resolved-only")
    assert messages() == {
        "ancient ledger failure",
        "recent ledger failure",
        "recent resolved failure",
    }
    assert_totals_match_the_errors()


def test_deletes_in_batches_oldest_first(aged):
    assert prune_app_errors(cutoff_for(30), batch_size=1) == 3
    assert prune_app_errors(cutoff_for(30), batch_size=1) == 0
    assert messages() == {"recent ledger failure", "recent resolved failure"}
    assert_totals_match_the_errors()


def test_errors_recorded_at_the_same_moment_are_all_deleted_across_batches(aged):
    moment = aged["old"].timestamp
    same = [AppErrorFactory(message=f"same moment {n}", age_hours=1) for n in range(3)]
    AppError.objects.filter(pk__in=[error.pk for error in same]).update(timestamp=moment)
    assert prune_app_errors(cutoff_for(30), batch_size=1) == 6
    assert messages() == {"recent ledger failure", "recent resolved failure"}


def test_a_dry_run_counts_and_deletes_nothing(aged):
    out = prune("--older-than-days", "30", "--dry-run")
    assert out.startswith("Would delete 3 errors recorded before ")
    assert "Would delete 2 resolved errors" in prune(
        "--older-than-days", "30", "--resolved-only", "--dry-run"
    )
    assert len(messages()) == 5


@pytest.mark.parametrize(
    "args",
    [
        ("--older-than-days", "0"),
        ("--older-than-days", "-3"),
        ("--older-than-days", "ninety"),
        ("--older-than-days", "30", "--batch-size", "0"),
        (),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_deleted(aged, args):
    with pytest.raises(CommandError):
        prune(*args)
    assert len(messages()) == 5
