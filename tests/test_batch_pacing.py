"""A mass change sizes its batches by the time the last one held the write lock."""

import pytest

from errors.batch_pacing import DEFAULT_BUDGET_S, FIRST_BATCH, MIN_BATCH, BatchPacer, next_size
from errors.models import AppError
from errors.routers import errors_alias


def test_a_slow_batch_shrinks_the_next_to_the_budget():
    assert next_size(1000, DEFAULT_BUDGET_S * 4, 2000) == 250


def test_the_budget_is_the_databases():
    assert next_size(1000, 0.4, 2000, budget=0.2) == 500
    assert next_size(1000, 0.4, 2000, budget=0.1) == 250


def test_a_fast_batch_grows_the_next_at_most_twofold_and_never_past_the_ceiling():
    assert next_size(300, DEFAULT_BUDGET_S / 100, 2000) == 600
    assert next_size(1500, DEFAULT_BUDGET_S / 100, 2000) == 2000
    assert next_size(300, 0.0, 2000) == 600


def test_the_size_stays_at_least_the_minimum_unless_the_ceiling_is_lower():
    assert next_size(100, 60.0, 2000) == MIN_BATCH
    assert next_size(3, 60.0, 3) == 3


@pytest.mark.django_db(databases="__all__")
def test_a_batch_is_a_transaction_that_retimes_the_next():
    pacer = BatchPacer(errors_alias(), 5000)
    assert pacer.size == FIRST_BATCH
    with pytest.raises(RuntimeError), pacer.batch():
        AppError.objects.create(message="rolled back with its batch")
        raise RuntimeError("the batch fails")
    assert not AppError.objects.filter(message="rolled back with its batch").exists()
    with pacer.batch():
        AppError.objects.create(message="kept")
    assert AppError.objects.filter(message="kept").exists()
    assert pacer.size > FIRST_BATCH  # one insert holds the lock far less than the budget
