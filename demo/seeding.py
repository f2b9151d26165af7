"""Fill the database with demo errors by really raising and catching them."""

import datetime
import decimal
import random
import uuid
from collections.abc import Callable

from django.utils import timezone

from demo.records import DemoJob
from demo.scenarios import SCENARIOS
from errors.group_rebuild import rebuild_groups_of
from errors.models import AppError

CLIENTS = [
    "Harbour Joinery",
    "Kiwi Fabrication",
    "Southern Sheetmetal",
    "Alpine Glass",
    "Tui Signs",
]
STATUSES = ["quoting", "in_progress", "on_hold", "completed", "invoiced"]
MIN_RESOLUTION_DELAY = datetime.timedelta(minutes=10)
MAX_RESOLUTION_DELAY = datetime.timedelta(hours=48)


def make_jobs(rng: random.Random, count: int) -> list[DemoJob]:
    now = timezone.now()
    return [
        DemoJob(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            job_number=1000 + index,
            name=f"Job {1000 + index}",
            client=rng.choice(CLIENTS),
            status=rng.choice(STATUSES),
            quoted=decimal.Decimal(rng.randint(200, 20000)),
            created_at=now - datetime.timedelta(days=rng.randint(0, 120)),
        )
        for index in range(count)
    ]


def resolution_delay(rng: random.Random, age: datetime.timedelta) -> datetime.timedelta:
    """How long after an error someone resolved it: ten minutes to two days, and never
    longer than the error's age, so no error looks resolved in the future."""
    longest = min(MAX_RESOLUTION_DELAY, age)
    return datetime.timedelta(
        seconds=rng.uniform(MIN_RESOLUTION_DELAY.total_seconds(), longest.total_seconds())
    )


def seed_demo_errors(
    *,
    count: int,
    days: int,
    resolver=None,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Record ``count`` errors through the demo services, spread over the last ``days`` days,
    older ones more often resolved. Returns how many rows were stored.

    Each error is recorded live (so it is a real capture, grouped as any other) and then
    back-dated and perhaps resolved; its group, counted at the time of recording, is then
    rebuilt from the rows as they were left."""
    rng = random.Random(seed)
    jobs = make_jobs(rng, max(10, count // 20))
    users = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(8)]
    weights = [weight for weight, _, _ in SCENARIOS]
    now = timezone.now()
    stored: list[AppError] = []
    for index in range(count):
        _, action, failures = rng.choices(SCENARIOS, weights=weights)[0]
        latest = action(rng.choice(jobs), rng.choice(users), rng.choice(failures))
        if latest is None:
            raise RuntimeError("A demo error was not stored: is the errors database migrated?")
        age = datetime.timedelta(seconds=rng.uniform(0, days * 86400))
        latest.timestamp = now - age
        if resolver is not None and age > datetime.timedelta(days=1) and rng.random() < 0.6:
            latest.resolved = True
            latest.resolved_by = resolver
            latest.resolved_timestamp = latest.timestamp + resolution_delay(rng, age)
        stored.append(latest)
        if progress is not None:
            progress(index + 1, count)
    fields = ["timestamp", "resolved", "resolved_by", "resolved_timestamp"]
    AppError.objects.bulk_update(stored, fields, batch_size=500)
    rebuild_groups_of(error_ids=[error.pk for error in stored])
    return len(stored)
