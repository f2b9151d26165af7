"""Schemathesis against the running API, signed in with a staff token: for every endpoint
in the OpenAPI schema, generated requests never get a 5xx, and every response (status code,
content type, body) conforms to the schema. Bounded: 30 examples per operation and
generation method, a few hundred requests in all."""

import pytest
import schemathesis
from django.contrib.auth.models import Permission
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import DataGenerationMethod

from errors.services import persist_app_error

pytestmark = [pytest.mark.slow, pytest.mark.django_db(databases="__all__", transaction=True)]

EXAMPLES_PER_OPERATION = 30


@pytest.fixture
def api_schema(live_server, staff):
    for index in range(3):
        persist_app_error(ValueError(f"seeded failure {index}"), additional_context={"n": index})
    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="_alertrule"))
    token = Token.objects.create(user=staff)
    return schemathesis.from_uri(
        f"{live_server.url}/api/schema/?format=json",
        base_url=live_server.url,
        headers={"Authorization": f"Token {token.key}"},
        # Valid requests and deliberately invalid ones: both must get a documented answer.
        data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
    )


schema = schemathesis.from_pytest_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_endpoint_conforms_and_never_fails(case):
    case.call_and_validate()
