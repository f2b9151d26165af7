"""Send the alerts the write path recorded: until stopped, or once (for cron and tests)."""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from errors.alerts.delivery import deliver_due_alerts


class Command(BaseCommand):
    help = (
        "Deliver due error alerts (webhooks, e-mail) until stopped with SIGTERM or Ctrl-C; "
        "--once delivers what is due and exits. Several may run against PostgreSQL; run one "
        "against SQLite."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Deliver what is due, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=2.0,
            help="Seconds between looks at the outbox when it is empty (default 2).",
        )

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        stopping = threading.Event()
        if not once:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stopping.set())
        while True:
            run = deliver_due_alerts()
            if run.handled or run.summaries or options["verbosity"] > 1:
                self.stdout.write(
                    f"{run.sent} sent, {run.retrying} to retry, {run.failed} failed,"
                    f" {run.suppressed} suppressed, {run.summaries} summaries queued"
                )
            if once or stopping.is_set():
                return
            if not run.handled:
                # Sleeps until the next look, or returns at once on SIGTERM/SIGINT.
                stopping.wait(interval)
            if stopping.is_set():
                return
