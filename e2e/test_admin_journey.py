import pytest
from playwright.sync_api import expect

from e2e.conftest import log_in
from errors.services import persist_app_error

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_staff_member_sees_errors_in_the_admin(page, live_server, django_user_model):
    django_user_model.objects.create_superuser("root", password="root-password")
    try:
        raise ValueError("Xero contact sync failed")
    except ValueError as exc:
        persist_app_error(exc)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/errors/apperror/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", "root-password")
    page.click("[type=submit]")
    expect(page.locator("#result_list")).to_contain_text("Xero contact sync failed")


def test_log_in_helper_reaches_the_admin(page, live_server, staff_member):
    log_in(page, live_server, "erin", "erin-password", next_path="/admin/")
    expect(page).to_have_url(f"{live_server.url}/admin/")
