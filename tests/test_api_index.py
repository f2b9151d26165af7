"""``/api/`` lists what the API offers, and the dashboard links to the API and its docs."""

import pytest

pytestmark = pytest.mark.django_db(databases="__all__")

POST_ONLY = {"app-errors/bulk_resolve"}


def test_api_root_lists_every_endpoint_with_absolute_links_that_answer(staff, staff_client):
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="_alertrule"))
    response = staff_client.get("/api/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    links = response.json()
    assert {
        "app-errors",
        "app-errors/trends",
        "app-errors/bulk_resolve",
        "app-errors/export.csv",
        "app-errors/export.jsonl",
        "groups",
        "alert-rules",
        "schema",
        "docs",
    } <= set(links)
    assert links["app-errors"] == "http://testserver/api/app-errors/"
    assert links["docs"] == "http://testserver/api/docs/"
    for name, url in links.items():
        assert url.startswith("http://testserver/api/")
        if name not in POST_ONLY:
            assert staff_client.get(url).status_code == 200, name


def test_api_root_in_a_browser_is_a_page_of_links(staff_client):
    response = staff_client.get("/api/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert 'href="http://testserver/api/app-errors/"' in response.content.decode()


def test_api_root_is_for_staff_only(client, django_user_model):
    assert client.get("/api/").status_code in {401, 403}
    client.force_login(django_user_model.objects.create_user(username="bob"))
    assert client.get("/api/").status_code == 403


def test_dashboard_navigation_links_to_the_api_and_its_docs(staff_client):
    html = staff_client.get("/").content.decode()
    assert '<a href="/api/docs/">API docs</a>' in html
    assert '<a href="/api/">API</a>' in html


def test_signed_out_pages_show_no_api_links(client):
    html = client.get("/accounts/login/").content.decode()
    assert "/api/docs/" not in html
