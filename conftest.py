"""Shared by tests/ and e2e/."""

import pytest
from django.db import connections


@pytest.fixture(scope="session", autouse=True)
def close_connections_before_teardown(django_db_setup, django_db_blocker):
    """The errors alias holds its own connection to the test database; PostgreSQL refuses to
    drop a database that still has sessions, so close them all before the teardown runs."""
    yield
    with django_db_blocker.unblock():
        connections.close_all()


@pytest.fixture(autouse=True)
def isolated_error_spool(settings, tmp_path, monkeypatch):
    """Each test spools into its own file: a failing write in one test must not show up as
    a pending error (and a dashboard banner) in another, or in the developer's var/. And
    each starts as a fresh process would: its first write looks at the spool."""
    import errors.spool

    settings.APP_ERRORS = {**settings.APP_ERRORS, "SPOOL_PATH": str(tmp_path / "spool.jsonl")}
    monkeypatch.setattr(errors.spool, "_schedule", errors.spool.ReplaySchedule())
    return tmp_path / "spool.jsonl"


@pytest.fixture(autouse=True)
def fresh_group_knowledge():
    """Each test starts as a new process would: knowing no group ids and no full hours
    (a test's rolled-back groups must not be remembered by the next)."""
    from errors.group_writes import forget_learnt

    forget_learnt()
    yield
    forget_learnt()
