"""A queue for SQLite error writers across processes.

SQLite lets one writer in at a time, and a writer that finds the database locked sleeps in
growing steps (1 ms up to 100 ms) before it tries again, so with several processes writing
most of the time passes asleep while the lock is free. Error writers to one SQLite file
therefore first take an exclusive ``flock`` on a file beside it: the kernel hands the lock
to the next waiter the moment it is released, and SQLite's own lock is then always free.
Other databases need no queue (PostgreSQL locks rows, not the database).
"""

import contextlib
import fcntl
import os
from collections.abc import Iterator
from typing import Any

_descriptors: dict[str, tuple[int, int]] = {}


def _descriptor(path: str) -> int:
    """One descriptor per process: a forked child must not share its parent's, since a
    flock belongs to the open file, which fork shares."""
    pid = os.getpid()
    cached = _descriptors.get(path)
    if cached is not None and cached[0] == pid:
        return cached[1]
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    _descriptors[path] = (pid, fd)
    return fd


@contextlib.contextmanager
def sqlite_writer_turn(database_name: str) -> Iterator[None]:
    """Wait for this process's turn to write to the SQLite file ``database_name``."""
    if not database_name or database_name == ":memory:" or database_name.startswith("file:"):
        yield
        return
    try:
        fd = _descriptor(f"{database_name}-writers.lock")
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:  # no queue (read-only or missing directory): SQLite's own lock still holds
        yield
        return
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def writer_turn(connection: Any) -> contextlib.AbstractContextManager:
    """The turn to write errors on ``connection``: SQLite queues, other databases need not."""
    if connection.vendor == "sqlite":
        return sqlite_writer_turn(str(connection.settings_dict["NAME"]))
    return contextlib.nullcontext()
