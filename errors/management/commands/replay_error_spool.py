"""``python manage.py replay_error_spool``: store the errors spooled while the database was
away. Safe to run any time, and again: an id already stored is never inserted twice."""

from pathlib import Path

from django.core.management.base import BaseCommand

from errors.spool import REPLAY_BATCH_SIZE, replay_spool, spool_path


class Command(BaseCommand):
    help = "Insert the errors waiting in the spool file and remove the ones stored."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--path", type=Path, help="the spool file (default: SPOOL_PATH)")
        parser.add_argument("--batch-size", type=int, default=REPLAY_BATCH_SIZE)

    def handle(self, *args, path: Path | None, batch_size: int, **options) -> None:
        path = path or spool_path()
        if path is None:
            self.stdout.write("No spool configured (APP_ERRORS['SPOOL_PATH']).")
            return
        result = replay_spool(path, batch_size=max(batch_size, 1))
        self.stdout.write(f"{result.summary()} in {path}.")
