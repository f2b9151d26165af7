"""The /alerts/ pages: staff with the alert rule permissions list, create and edit rules
(server-side errors shown in the form, with or without htmx), send a test alert and read a
rule's deliveries; others are refused."""

import pytest
from django.contrib.auth.models import Permission

from errors.alerts.models import AlertRule
from tests.alert_scenarios import charge_card, make_rule

pytestmark = pytest.mark.django_db(databases="__all__")

SECRET_HOOK = "https://chat.example.com/hooks/abcdefghijklmnopqrstuvwxyz123456"


def rule_form(**fields):
    return {
        "name": "Payments",
        "enabled": "on",
        "triggers": ["new_group", "regression"],
        "min_severity": "",
        "app": "",
        "environment": "",
        "threshold_count": "",
        "threshold_minutes": "",
        "webhook_url": SECRET_HOOK,
        "webhook_format": "json",
        "emails": "ops@example.com, dev@example.com",
        "max_per_hour": "60",
        **fields,
    }


def test_the_rule_list_shows_rules_with_masked_webhooks(manager_client):
    make_rule(name="Payments", webhook_url=SECRET_HOOK)

    html = manager_client.get("/alerts/").content.decode()

    assert "Payments" in html and "https://chat.example.com/hooks/abcd***" in html
    assert SECRET_HOOK not in html
    assert 'href="/alerts/new/"' in html


def test_the_navigation_links_to_alerts_for_those_allowed(manager_client, client, viewer):
    assert 'href="/alerts/"' in manager_client.get("/").content.decode()
    client.force_login(viewer)
    assert 'href="/alerts/"' not in client.get("/").content.decode()


def test_a_rule_is_created_with_a_plain_post(manager_client):
    response = manager_client.post("/alerts/new/", rule_form())

    rule = AlertRule.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/alerts/{rule.pk}/"
    assert rule.triggers == ["new_group", "regression"]
    assert rule.emails == ["ops@example.com", "dev@example.com"]
    assert rule.webhook_url == SECRET_HOOK


def test_an_invalid_rule_is_shown_again_with_the_fields_errors(manager_client):
    response = manager_client.post(
        "/alerts/new/", rule_form(webhook_url="file:///etc/passwd", triggers=["threshold"])
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Webhook addresses must start with http:// or https://." in html
    assert "A threshold needs a number of occurrences." in html
    assert "<html" in html  # the whole page, for a browser without JavaScript
    assert not AlertRule.objects.exists()


def test_htmx_gets_only_the_form_back_with_its_errors(manager_client):
    response = manager_client.post(
        "/alerts/new/", rule_form(emails="not-an-address", webhook_url=""), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert "<html" not in html and 'id="rule-form"' in html
    assert "Not an e-mail address: not-an-address." in html


def test_htmx_is_sent_to_the_rule_page_after_a_save(manager_client):
    response = manager_client.post("/alerts/new/", rule_form(), HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"] == f"/alerts/{AlertRule.objects.get().pk}/"


def test_editing_keeps_the_stored_webhook_when_the_masked_one_comes_back(manager_client):
    rule = make_rule(webhook_url=SECRET_HOOK)
    form = manager_client.get(f"/alerts/{rule.pk}/edit/").content.decode()
    assert "https://chat.example.com/hooks/abcd***" in form and SECRET_HOOK not in form

    manager_client.post(
        f"/alerts/{rule.pk}/edit/",
        rule_form(name="Renamed", webhook_url="https://chat.example.com/hooks/abcd***"),
    )

    rule.refresh_from_db()
    assert (rule.name, rule.webhook_url) == ("Renamed", SECRET_HOOK)


def test_the_test_button_sends_and_the_rule_page_lists_the_delivery(
    manager_client, webhook_receiver
):
    rule = make_rule(webhook_url=webhook_receiver.url)
    charge_card(1)

    response = manager_client.post(f"/alerts/{rule.pk}/test/", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert [body["event"] for body in webhook_receiver.bodies] == ["test"]
    assert "<html" not in html and 'id="deliveries"' in html
    assert "Test alert" in html and "Sent" in html
    assert "PaymentDeclined: Card declined for invoice 1" in html  # the pending new-group alert


def test_a_failed_delivery_says_why_on_the_rule_page(manager_client, webhook_receiver):
    rule = make_rule(webhook_url=webhook_receiver.url)
    webhook_receiver.statuses = [404]

    manager_client.post(f"/alerts/{rule.pk}/test/")
    html = manager_client.get(f"/alerts/{rule.pk}/").content.decode()

    assert "Failed" in html and "HTTP 404" in html


def test_staff_without_the_permission_are_refused(client, viewer):
    rule = make_rule()
    client.force_login(viewer)

    for url in ("/alerts/", f"/alerts/{rule.pk}/", "/alerts/new/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/alerts/{rule.pk}/test/").status_code == 403


def test_a_viewer_with_only_the_view_permission_sees_no_buttons(client, viewer):
    viewer.user_permissions.add(Permission.objects.get(codename="view_alertrule"))
    rule = make_rule()
    client.force_login(viewer)

    html = client.get(f"/alerts/{rule.pk}/").content.decode()

    assert rule.name in html and "Send a test alert" not in html
    assert client.post(f"/alerts/{rule.pk}/test/").status_code == 403


def test_deleting_a_rule(manager_client):
    rule = make_rule()

    response = manager_client.post(f"/alerts/{rule.pk}/delete/")

    assert response.status_code == 302 and not AlertRule.objects.exists()


def test_the_new_rule_form_starts_with_empty_email_addresses(manager_client):
    html = manager_client.get("/alerts/new/").content.decode()

    assert "[]" not in html
