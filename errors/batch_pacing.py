"""Pacing a mass change (a group resolve or unresolve) so that writers keep writing.

Each batch is one short write transaction. How many rows fit in the write-lock budget
depends on the machine, the database and how busy both are (a closed row costs about
0.3 ms of CPU on SQLite, mostly the eight indexes that hold ``resolved``), so the batch size
follows the time the last batch took instead of being fixed. On SQLite, after each batch
the lock is left free for a fifth of the time it was held: the process that just released
its writer turn would otherwise take it straight back before a queued writer is scheduled,
and a write could wait for several batches in a row.
"""

import contextlib
import time
from collections.abc import Iterator

from django.db import connections, transaction

from errors.write_queue import writer_turn

# The write lock one batch should hold: well under the 250 ms a writer may be kept waiting.
# SQLite's lock stops every writer; PostgreSQL's batch locks only its own rows (and one
# totals row of eight shards), so there a batch may run longer and commit less often.
LOCK_BUDGET_S = {"sqlite": 0.1, "postgresql": 0.2}
DEFAULT_BUDGET_S = 0.1
MIN_BATCH = 20
# The first batch's size, before any has been timed: small enough for a slow machine.
FIRST_BATCH = 200
# The share of a batch's lock time the lock is then left free for others (SQLite).
PAUSE_SHARE = 0.2
MAX_PAUSE_S = 0.05


class BatchPacer:
    """Batches of at most ``ceiling`` rows, each sized to hold the lock about its
    database's ``LOCK_BUDGET_S``; ``size`` is the next batch's."""

    def __init__(self, alias: str, ceiling: int) -> None:
        self.alias = alias
        self.ceiling = max(1, ceiling)
        self.size = min(FIRST_BATCH, self.ceiling)
        vendor = connections[alias].vendor
        self.budget = LOCK_BUDGET_S.get(vendor, DEFAULT_BUDGET_S)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """One batch's write transaction, timed from the moment the lock is held."""
        connection = connections[self.alias]
        with writer_turn(connection), transaction.atomic(using=self.alias):
            started = time.perf_counter()
            yield
        held = time.perf_counter() - started
        self.size = next_size(self.size, held, self.ceiling, self.budget)
        if connection.vendor == "sqlite":
            time.sleep(min(held * PAUSE_SHARE, MAX_PAUSE_S))


def next_size(size: int, held: float, ceiling: int, budget: float = DEFAULT_BUDGET_S) -> int:
    """The batch size that would have held the lock ``budget`` seconds, growing at most
    twofold a batch (one fast batch may be luck) and within [MIN_BATCH, ceiling]."""
    scaled = size * budget / held if held > 0 else size * 2
    return max(min(MIN_BATCH, ceiling), min(ceiling, size * 2, int(scaled)))
