"""Staff only: everyone else is sent to log in, or refused once signed in."""

import pytest
from django.urls import reverse

from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def pages():
    error = AppErrorFactory()
    return [reverse("error_list"), reverse("error_detail", args=[error.pk])]


def test_anonymous_visitors_go_to_the_login_page(client, pages):
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")


def test_signed_in_non_staff_are_refused(client, django_user_model, pages):
    client.force_login(django_user_model.objects.create_user("nina", password="nina-password"))
    for url in pages:
        assert client.get(url).status_code == 403


def test_inactive_staff_cannot_sign_in(client, django_user_model):
    django_user_model.objects.create_user(
        "ivan", password="ivan-password", is_staff=True, is_active=False
    )
    assert not client.login(username="ivan", password="ivan-password")


def test_staff_see_the_dashboard_with_their_name(staff_client, pages):
    for url in pages:
        response = staff_client.get(url)
        assert response.status_code == 200
        assert "Alice" in response.content.decode()


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()
