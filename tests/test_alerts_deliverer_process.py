"""The deliverer as staff run it: a process that sends what is due, keeps looking, and exits
cleanly on SIGTERM or Ctrl-C (SIGINT)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

from errors.alerts.models import AlertDelivery
from tests.alert_scenarios import charge_card, make_rule

pytestmark = [pytest.mark.django_db(databases="__all__", transaction=True), pytest.mark.slow]

BASE_DIR = Path(__file__).resolve().parent.parent


def database_url(alias: str) -> str:
    """The test database behind ``alias``, as the URL a child process is configured with."""
    database = connections[alias].settings_dict
    if connections[alias].vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    user, host, port = database["USER"], database["HOST"], database["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{database['NAME']}"


def start_deliverer() -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url("default")}
    if connections["errors"].vendor == "sqlite":
        env["ERRORS_DATABASE_URL"] = database_url("errors")
    return subprocess.Popen(
        [sys.executable, "manage.py", "deliver_error_alerts", "--interval", "0.2", "-v", "2"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_deliverer_sends_what_is_due_and_stops_cleanly_on_a_signal(webhook_receiver, stop):
    make_rule(webhook_url=webhook_receiver.url)
    charge_card(1)

    deliverer = start_deliverer()
    try:
        first_pass = deliverer.stdout.readline()  # printed once the first pass is done
        assert first_pass.startswith("1 sent"), deliverer.stderr.read()
        assert deliverer.stdout.readline().startswith("0 sent")  # it keeps looking
        deliverer.send_signal(stop)
        assert deliverer.wait(timeout=30) == 0
    finally:
        deliverer.kill()
    assert "Traceback" not in deliverer.stderr.read()
    assert [body["event"] for body in webhook_receiver.bodies] == ["new_group"]
    assert AlertDelivery.objects.get().status == "sent"
