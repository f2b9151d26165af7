"""The demo data reads like a real team's history: nobody resolves an error before it
happened, or in the future."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from errors.models import AppError

pytestmark = pytest.mark.django_db(databases="__all__")


def test_demo_errors_are_resolved_after_they_happen_and_never_in_the_future(staff):
    # Two days: most resolved errors are under two days old, where a resolution up to 48
    # hours later would land in the future.
    call_command("seed_demo_errors", count=150, days=2, stdout=io.StringIO())
    checked_at = timezone.now()
    resolved = list(
        AppError.objects.filter(resolved=True).values_list("timestamp", "resolved_timestamp")
    )
    assert len(resolved) >= 20
    assert all(happened < resolved_at <= checked_at for happened, resolved_at in resolved)


def test_demo_errors_resolved_carry_who_and_when(staff):
    call_command("seed_demo_errors", count=60, days=7, stdout=io.StringIO())
    assert not AppError.objects.filter(resolved=True, resolved_timestamp=None).exists()
    assert not AppError.objects.filter(resolved=True, resolved_by_id=None).exists()
    assert not AppError.objects.filter(resolved=False).exclude(resolved_timestamp=None).exists()
