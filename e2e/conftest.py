"""Browser journeys in Debian's Chromium against a live server."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser journey is slow (a live server and Chromium): ``make test-fast`` leaves
    them out with ``-m "not slow"``; ``make test`` runs them."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def staff_member(transactional_db, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(
        username="erin", password="erin-password", is_staff=True, first_name="Erin"
    )
    user.user_permissions.add(*Permission.objects.filter(codename__endswith="_apperror"))
    return user


def log_in(page, live_server, username: str, password: str, next_path: str = "/") -> None:
    """Log in through the real form, as a person would."""
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[type=submit]")


@pytest.fixture
def scenario(staff_member):
    """Every page the layout and accessibility journeys visit, with something on each (see
    e2e.layout_pages); the staff member may also manage alert rules."""
    from django.contrib.auth.models import Permission

    from e2e.layout_pages import seed_layout_scenario
    from errors.alerts.rules import forget_live_rules

    staff_member.user_permissions.add(*Permission.objects.filter(codename__endswith="_alertrule"))
    yield seed_layout_scenario(staff_member)
    forget_live_rules()  # the flush after the test deletes the rule without a signal
