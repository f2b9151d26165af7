import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission


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
