"""/api/alert-rules/: CRUD with the field's error on a bad rule, masked webhook addresses,
the permissions, a test alert, and a rule's deliveries."""

import pytest

from errors.alerts.models import AlertDelivery, AlertRule
from tests.alert_scenarios import charge_card, make_rule

pytestmark = pytest.mark.django_db(databases="__all__")

SLACK_HOOK = "https://hooks.slack.com/services/T0001/B0002/abcdefghijklmnopqrstuvwx"


def create(client, **fields):
    body = {"name": "Payments", "triggers": ["new_group"], "webhook_url": SLACK_HOOK, **fields}
    return client.post("/api/alert-rules/", body, content_type="application/json")


def test_a_rule_is_created_with_defaults_and_read_back_masked(manager_client):
    response = create(manager_client, min_severity="warning", webhook_format="slack")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["webhook_url"] == "https://hooks.slack.com/services/T0001/B0002/abcd***"
    assert (body["min_severity"], body["max_per_hour"], body["enabled"]) == (30, 60, True)
    assert AlertRule.objects.get().webhook_url == SLACK_HOOK
    listed = manager_client.get("/api/alert-rules/").json()
    assert [rule["webhook_url"] for rule in listed] == [body["webhook_url"]]


def test_secrets_in_a_webhook_address_are_never_shown_in_full(manager_client):
    url = "http://bot:hunter2@10.0.0.5:8065/hooks/incoming?token=s3cr3t-value&channel=ops"
    rule_id = create(manager_client, webhook_url=url).json()["id"]

    shown = manager_client.get(f"/api/alert-rules/{rule_id}/").json()["webhook_url"]

    assert shown == "http://***@10.0.0.5:8065/hooks/incoming?token=***&channel=***"
    for secret in ("bot", "hunter2", "s3cr3t-value"):
        assert secret not in shown


def test_sending_the_masked_address_back_keeps_the_stored_one(manager_client):
    rule = create(manager_client).json()

    response = manager_client.put(
        f"/api/alert-rules/{rule['id']}/",
        {**rule, "name": "Payments (all)"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    assert AlertRule.objects.get().webhook_url == SLACK_HOOK
    assert AlertRule.objects.get().name == "Payments (all)"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"webhook_url": "ftp://files.example.com/hook"}, "webhook_url"),
        ({"webhook_url": "javascript:alert(1)"}, "webhook_url"),
        ({"webhook_url": "http://"}, "webhook_url"),
        ({"webhook_url": "", "emails": []}, "webhook_url"),
        ({"triggers": []}, "triggers"),
        ({"triggers": ["sometimes"]}, "triggers"),
        ({"triggers": ["threshold"]}, "threshold_count"),
        ({"triggers": ["threshold"], "threshold_count": 5}, "threshold_minutes"),
        ({"min_severity": "loud"}, "min_severity"),
        ({"min_severity": 41}, "min_severity"),
        ({"emails": ["not an address"]}, "emails"),
        ({"webhook_format": "xml"}, "webhook_format"),
        ({"max_per_hour": 0}, "max_per_hour"),
        ({"name": ""}, "name"),
    ],
)
def test_an_invalid_rule_is_a_400_naming_the_field(manager_client, fields, field):
    response = create(manager_client, **fields)

    assert response.status_code == 400
    assert field in response.json()
    assert not AlertRule.objects.exists()


def test_private_and_local_webhook_hosts_are_accepted(manager_client):
    for url in ("http://localhost:8065/hook", "http://192.168.1.20/hook", "https://chat/hooks/1"):
        assert create(manager_client, webhook_url=url).status_code == 201


def test_a_partial_update_is_checked_with_the_rest_of_the_rule(manager_client):
    rule_id = create(manager_client).json()["id"]

    response = manager_client.patch(
        f"/api/alert-rules/{rule_id}/", {"triggers": ["threshold"]}, content_type="application/json"
    )

    assert response.status_code == 400 and "threshold_count" in response.json()


def test_staff_without_the_permission_may_not_read_or_write_rules(client, staff):
    make_rule()
    client.force_login(staff)

    assert client.get("/api/alert-rules/").status_code == 403
    assert create(client).status_code == 403


def test_a_malformed_or_unknown_id_is_a_400_or_404(manager_client):
    assert manager_client.get("/api/alert-rules/abc/").status_code == 400
    assert manager_client.get("/api/alert-rules/999/").status_code == 404


def test_the_test_endpoint_sends_now_and_lists_the_delivery(manager_client, webhook_receiver):
    rule_id = create(manager_client, webhook_url=webhook_receiver.url).json()["id"]

    response = manager_client.post(f"/api/alert-rules/{rule_id}/test/")

    assert response.status_code == 200
    [delivery] = response.json()
    assert (delivery["event"], delivery["status"], delivery["group"]) == ("test", "sent", None)
    [body] = webhook_receiver.bodies
    assert body["event"] == "test" and body["rule"] == "Payments"
    assert body["group"]["url"].endswith(f"/alerts/{rule_id}/")


def test_a_rules_deliveries_are_listed_newest_first(manager_client, webhook_receiver):
    rule_id = create(manager_client, webhook_url=webhook_receiver.url).json()["id"]
    charge_card(1)
    manager_client.post(f"/api/alert-rules/{rule_id}/test/")

    deliveries = manager_client.get(f"/api/alert-rules/{rule_id}/deliveries/").json()

    assert [(d["event"], d["status"]) for d in deliveries] == [
        ("test", "sent"),
        ("new_group", "pending"),
    ]
    assert deliveries[1]["group"]["title"] == "PaymentDeclined: Card declined for invoice 1"


def test_deleting_a_rule_deletes_its_deliveries(manager_client):
    rule_id = create(manager_client).json()["id"]
    charge_card(1)

    assert manager_client.delete(f"/api/alert-rules/{rule_id}/").status_code == 204
    assert not AlertRule.objects.exists() and not AlertDelivery.objects.exists()
