import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from demo.seeding import seed_demo_errors


class Command(BaseCommand):
    help = "Record demo errors by raising and catching real exceptions in the demo services."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, default=600)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if errors exist.")

    def handle(self, *args, count: int, days: int, seed: int, if_empty: bool, **options) -> None:
        from errors.models import AppError

        if if_empty and AppError.objects.exists():
            self.stdout.write("Errors already recorded; not seeding.")
            return
        resolver = get_user_model().objects.filter(is_staff=True).order_by("date_joined").first()
        stored = seed_demo_errors(
            count=count, days=days, seed=seed, resolver=resolver, progress=self.progress
        )
        sys.stderr.write("\n")
        self.stdout.write(self.style.SUCCESS(f"Recorded {stored} demo errors over {days} days."))

    def progress(self, done: int, total: int) -> None:
        if done == total or done % max(1, total // 100) == 0:
            filled = int(30 * done / total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
            sys.stderr.flush()
