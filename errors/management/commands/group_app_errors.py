"""``python manage.py group_app_errors``: give every error recorded before groups existed
its group. Resumable and safe to run while errors are being written (errors/group_backfill.py)."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from errors.group_backfill import (
    BATCH_SIZE,
    count_ungrouped_app_errors,
    group_app_errors,
    refresh_planner_statistics,
)


class Command(BaseCommand):
    help = "Group the errors that have no group yet (stored before groups existed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--limit", type=int, default=None, help="stop after this many")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, batch_size: int, limit: int | None, quiet: bool, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        total = count_ungrouped_app_errors()
        if limit is not None:
            total = min(total, limit)
        started = time.monotonic()

        def show(progress) -> None:
            if quiet or not total:
                return
            elapsed = max(time.monotonic() - started, 1e-9)
            rate = progress.grouped / elapsed
            done = min(progress.grouped / total, 1)
            bar = "#" * int(30 * done) + "." * (30 - int(30 * done))
            sys.stderr.write(f"\r[{bar}] {progress.grouped:>11,}/{total:,} {rate:>8,.0f} errors/s")
            sys.stderr.flush()

        progress = group_app_errors(batch_size=batch_size, limit=limit, on_batch=show)
        if not quiet and total:
            sys.stderr.write("\n")
        if progress.grouped:
            refresh_planner_statistics()
        self.stdout.write(
            f"Grouped {progress.grouped} error(s) into {progress.groups_created} new group(s)"
            f" in {time.monotonic() - started:.1f} s."
        )
