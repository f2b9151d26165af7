"""Pruning old occurrences keeps groups truthful: counts and first/last seen are lifetime
figures, and a group whose occurrences are all pruned stays."""

import datetime

import pytest
from django.utils import timezone

from errors.models import AppError, ErrorGroup
from errors.retention import prune_app_errors
from errors.services import persist_app_error

pytestmark = pytest.mark.django_db(databases="__all__")


def test_a_group_keeps_its_lifetime_figures_when_its_occurrences_are_pruned():
    errors = [persist_app_error(ValueError(f"Stock item {n} missing")) for n in range(3)]
    group = ErrorGroup.objects.get()
    first_seen, last_seen = group.first_seen, group.last_seen
    AppError.objects.filter(pk__in=[e.pk for e in errors]).update(
        timestamp=timezone.now() - datetime.timedelta(days=100)
    )

    deleted = prune_app_errors(timezone.now() - datetime.timedelta(days=90))

    assert deleted == 3
    group.refresh_from_db()
    assert (group.count, group.first_seen, group.last_seen) == (3, first_seen, last_seen)
    assert not AppError.objects.filter(group=group).exists()
