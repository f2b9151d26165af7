"""One meaning of "resolve all matching", for the dashboard and the API alike."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from errors.models import AppError
from errors.selectors import filter_app_errors
from errors.services import ResolveAllRefused, resolve_matching_app_errors
from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")


def test_resolves_every_unresolved_error_the_filter_matches_and_nothing_else(staff):
    wanted = [AppErrorFactory(message="a", app="xero"), AppErrorFactory(message="b", app="xero")]
    other = AppErrorFactory(message="c", app="billing")
    changed = resolve_matching_app_errors(filterset=filter_app_errors({"app": "xero"}), by=staff)
    assert changed == 2
    assert set(AppError.objects.filter(resolved=True).values_list("pk", flat=True)) == {
        error.pk for error in wanted
    }
    assert AppError.objects.get(pk=other.pk).resolved is False
    assert AppError.objects.get(pk=wanted[0].pk).resolved_by_id == staff.pk


@pytest.mark.parametrize("params", [{}, {"ordering": "-severity"}, {"severity": "loud"}])
def test_refuses_a_filter_that_narrows_nothing_or_does_not_read(staff, params):
    AppErrorFactory(message="a")
    with pytest.raises(ResolveAllRefused):
        resolve_matching_app_errors(filterset=filter_app_errors(params), by=staff)
    assert not AppError.objects.filter(resolved=True).exists()


def test_dashboard_and_api_refuse_resolving_everything_alike(staff_client, staff):
    AppErrorFactory(message="a")
    response = staff_client.post(
        reverse("error_bulk_resolve") + "?ordering=-severity",
        {"scope": "all", "confirmed": "on"},
    )
    assert "Narrow the filter first" in response.content.decode()
    api = APIClient()
    api.force_authenticate(staff)
    response = api.post("/api/app-errors/bulk_resolve/?ordering=-severity", {}, format="json")
    assert response.status_code == 400
    assert "ids" in response.json()
    assert not AppError.objects.filter(resolved=True).exists()
