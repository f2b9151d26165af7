import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Staff are created and signed in by most tests: PBKDF2's deliberate slowness (a large
    part of a second per password) was two thirds of the suite's time, and no test here is
    about the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(db):
    """A staff member allowed to resolve errors."""
    user = get_user_model().objects.create_user(
        username="alice", password="alice-password", is_staff=True, first_name="Alice"
    )
    user.user_permissions.add(*Permission.objects.filter(codename__endswith="_apperror"))
    return user


@pytest.fixture
def viewer(db):
    """A staff member who may look but not resolve."""
    return get_user_model().objects.create_user(
        username="victor", password="victor-password", is_staff=True
    )


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def manager_client(client, staff):
    """A staff member allowed to resolve errors and to manage alert rules, signed in."""
    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="_alertrule"))
    client.force_login(staff)
    return client


@pytest.fixture
def count_queries():
    """Count the queries made on every database alias inside a ``with`` block: errors and
    staff live behind different aliases, so a single-connection count would miss half."""
    import contextlib

    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    @contextlib.contextmanager
    def counting():
        contexts = [CaptureQueriesContext(connections[alias]) for alias in connections]
        with contextlib.ExitStack() as stack:
            for context in contexts:
                stack.enter_context(context)
            result: list[int] = []
            yield result
        result.append(sum(len(context.captured_queries) for context in contexts))

    return counting


@pytest.fixture(autouse=True)
def fresh_alert_rules():
    """Rules are cached per process; a test's rollback deletes its rules without a signal."""
    from errors.alerts.rules import forget_live_rules

    forget_live_rules()
    yield
    forget_live_rules()


@pytest.fixture
def webhook_receiver():
    from tests.webhook_receiver import WebhookReceiver

    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def api(staff) -> APIClient:
    """The API as a staff member allowed to resolve."""
    client = APIClient()
    client.force_authenticate(staff)
    return client


@pytest.fixture
def viewer_api(viewer) -> APIClient:
    """The API as a staff member who may only look."""
    client = APIClient()
    client.force_authenticate(viewer)
    return client
