import pytest
from django.urls import reverse

from errors.models import AppError
from errors.services import persist_app_error

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def admin_client_(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="root-password")
    client.force_login(admin)
    return client, admin


def test_changelist_lists_and_searches(admin_client_):
    client, _ = admin_client_
    persist_app_error(ValueError("Xero invoice rejected"))
    persist_app_error(KeyError("job aging"))
    url = reverse("admin:errors_apperror_changelist")
    response = client.get(url)
    assert response.status_code == 200
    assert b"Xero invoice rejected" in response.content
    response = client.get(url, {"q": "invoice"})
    assert b"Xero invoice rejected" in response.content
    assert b"job aging" not in response.content


def test_changelist_filters_by_severity(admin_client_):
    client, _ = admin_client_
    persist_app_error(ValueError("a warning"), severity="warning")
    persist_app_error(ValueError("a critical"), severity="critical")
    response = client.get(reverse("admin:errors_apperror_changelist"), {"severity__exact": 50})
    assert b"a critical" in response.content and b"a warning" not in response.content


def test_bulk_resolve_action(admin_client_):
    client, admin = admin_client_
    errors = [persist_app_error(ValueError(str(n))) for n in range(3)]
    response = client.post(
        reverse("admin:errors_apperror_changelist"),
        {"action": "mark_resolved", "_selected_action": [str(e.pk) for e in errors[:2]]},
    )
    assert response.status_code == 302
    assert AppError.objects.filter(resolved=True, resolved_by_id=admin.pk).count() == 2
    assert AppError.objects.filter(resolved=False).count() == 1


def test_change_page_opens(admin_client_):
    client, _ = admin_client_
    error = persist_app_error(ValueError("detail"))
    response = client.get(reverse("admin:errors_apperror_change", args=[error.pk]))
    assert response.status_code == 200
