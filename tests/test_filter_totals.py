"""Every filter is spelled once, in AppErrorFilterSet: the totals are narrowed by the same
declarations that narrow the errors, and answer exactly whenever they have the column."""

import pytest
from django.urls import reverse

from errors.filters import AppErrorFilterSet
from errors.hourly_counts import count_from_daily_totals
from errors.models import AppErrorHourlyCount
from errors.selectors import filter_app_errors
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def errors(staff_client):
    AppErrorFactory(message="a", app="xero", severity="critical", age_hours=1)
    AppErrorFactory(message="b", app="billing", severity="warning", age_hours=30)
    AppErrorFactory(message="c", app="xero-payroll", function="pay_run", age_hours=2)
    done = AppErrorFactory(message="d", app="xero", severity="info", age_hours=3)
    staff_client.post(reverse("error_resolve", args=[done.pk]))


@pytest.mark.parametrize(
    "params",
    [
        {"app": "xero"},
        {"app__icontains": "XERO"},
        {"severity": "error"},
        {"severity__gte": "30", "severity__lte": "40"},
        {"resolved": "true"},
        {"app": "billing", "resolved": "false", "ordering": "-severity"},
    ],
)
def test_a_filter_on_a_totals_column_is_answered_by_the_totals_exactly(errors, params):
    filterset = filter_app_errors(params)
    assert filterset.is_valid()
    assert count_from_daily_totals(filterset.form.cleaned_data) == filterset.qs.count()


@pytest.mark.parametrize(
    "params",
    [
        {"function": "pay_run"},
        {"search": "boom"},
        {"app": "xero", "job_id": "6f1c1f8e-5f49-4a43-8a25-3c1f3a7f0a01"},
        {"range": "24h"},
        {"timestamp__gte": "2026-01-31T09:00"},
    ],
)
def test_a_filter_without_a_totals_column_or_bounding_the_time_is_not(errors, params):
    filterset = filter_app_errors(params)
    assert filterset.is_valid()
    assert count_from_daily_totals(filterset.form.cleaned_data) is None


def test_time_filters_are_left_to_the_caller_when_it_bounds_the_time(errors):
    filterset = filter_app_errors({"range": "24h", "app": "xero"})
    assert filterset.is_valid()
    data = filterset.form.cleaned_data
    hourly = AppErrorHourlyCount.objects.all()
    narrowed = AppErrorFilterSet.filter_totals(hourly, data, time_is_bounded=True)
    assert set(narrowed.values_list("app", flat=True)) == {"xero"}
    assert AppErrorFilterSet.filter_totals(hourly, data, time_is_bounded=False) is None
