"""A JSON body nested past Python's recursion limit is a 400 on every API endpoint that
takes a body, never a RecursionError answered with a 500."""

import pytest

from tests.factories import AppErrorFactory

pytestmark = pytest.mark.django_db(databases="__all__")

DEPTH = 100_000
DEEP_BODIES = {
    "unclosed": "[" * DEPTH,
    "closed": "[" * DEPTH + "]" * DEPTH,
    "objects": '{"a":' * DEPTH + "1" + "}" * DEPTH,
    "inside ids": '{"ids": ' + "[" * DEPTH + "]" * DEPTH + "}",
}


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
def test_deeply_nested_bulk_resolve_body_is_a_400(staff_client, body):
    error = AppErrorFactory()
    response = staff_client.post(
        "/api/app-errors/bulk_resolve/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    error.refresh_from_db()
    assert error.resolved is False


@pytest.mark.parametrize("action", ["mark_resolved", "mark_unresolved"])
def test_deeply_nested_body_on_a_resolve_action_is_not_a_500(staff_client, action):
    """These actions take no body: a deep one is ignored or refused, never a failure."""
    error = AppErrorFactory()
    response = staff_client.post(
        f"/api/app-errors/{error.pk}/{action}/", "[" * DEPTH, content_type="application/json"
    )
    assert response.status_code in (200, 400)
