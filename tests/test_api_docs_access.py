"""The OpenAPI schema and the browsable docs describe every filter and action: staff only,
like the API itself."""

import pytest

PAGES = ["/api/schema/", "/api/docs/"]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_refused_the_api_description(client, db, page):
    response = client.get(page)
    assert response.status_code in (401, 403)
    assert b"app-errors" not in response.content


@pytest.mark.parametrize("page", PAGES)
def test_signed_in_non_staff_are_refused_the_api_description(client, django_user_model, page):
    member = django_user_model.objects.create_user(username="nina", password="nina-password")
    client.force_login(member)
    assert client.get(page).status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_staff_read_the_api_description(staff_client, page):
    response = staff_client.get(page)
    assert response.status_code == 200
