"""``python manage.py prune_app_errors --older-than-days 90``: delete old errors, from cron
or a systemd timer. Safe to run while errors are being written (errors/retention.py)."""

from django.core.management.base import BaseCommand, CommandError

from errors.retention import DEFAULT_BATCH_SIZE, app_errors_older_than, cutoff_for, prune_app_errors


class Command(BaseCommand):
    help = "Delete errors recorded more than --older-than-days days ago."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than-days", type=int, required=True, metavar="DAYS")
        parser.add_argument(
            "--resolved-only", action="store_true", help="keep unresolved errors however old"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="only count what would be deleted"
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)

    def handle(
        self,
        *args,
        older_than_days: int,
        resolved_only: bool,
        dry_run: bool,
        batch_size: int,
        **options,
    ) -> None:
        if older_than_days < 1:
            raise CommandError("--older-than-days must be at least 1.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        cutoff = cutoff_for(older_than_days)
        which = "resolved errors" if resolved_only else "errors"
        before = f"recorded before {cutoff:%Y-%m-%d %H:%M} UTC"
        if dry_run:
            count = app_errors_older_than(cutoff, resolved_only=resolved_only).count()
            self.stdout.write(f"Would delete {count} {which} {before}.")
            return
        deleted = prune_app_errors(cutoff, resolved_only=resolved_only, batch_size=batch_size)
        self.stdout.write(f"Deleted {deleted} {which} {before}.")
