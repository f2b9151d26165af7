"""A staff member sets up an alert rule in the browser, sends a test alert to a webhook
(a real HTTP server in a thread) and sees the delivery listed on the rule's page."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from e2e.conftest import log_in
from errors.alerts.rules import forget_live_rules
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def webhook_receiver():
    with WebhookReceiver() as receiver:
        yield receiver
    forget_live_rules()  # the flush after this test deletes the rule without a signal


@pytest.fixture
def alert_manager(staff_member):
    staff_member.user_permissions.add(*Permission.objects.filter(codename__endswith="_alertrule"))
    return staff_member


def test_create_a_rule_send_a_test_alert_and_see_it_delivered(
    page, live_server, alert_manager, webhook_receiver
):
    log_in(page, live_server, "erin", "erin-password")
    page.get_by_role("link", name="Alerts").click()
    expect(page.get_by_role("heading", name="Alert rules")).to_be_visible()
    page.get_by_role("link", name="New rule").click()

    page.get_by_label("Name").fill("Payments on call")
    page.get_by_label("New group").check()
    page.get_by_label("Webhook address").fill("ftp://chat.example.com/hook")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#rule-form")).to_contain_text(
        "Webhook addresses must start with http:// or https://."
    )

    page.get_by_label("Webhook address").fill(webhook_receiver.url)
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("heading", name="Payments on call")).to_be_visible()
    expect(page.locator("#deliveries")).to_contain_text("Nothing sent yet.")

    page.get_by_role("button", name="Send a test alert").click()

    deliveries = page.locator("#deliveries")
    expect(deliveries).to_contain_text("Test alert")
    expect(deliveries.locator(".delivery-sent")).to_have_text("Sent")
    assert [body["event"] for body in webhook_receiver.bodies] == ["test"]
    assert webhook_receiver.bodies[0]["rule"] == "Payments on call"
