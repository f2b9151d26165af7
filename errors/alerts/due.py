"""What the write path calls, inside the transaction that stored an occurrence, to record
the alerts that occurrence makes due (rows in the outbox; never any network)."""

from typing import Any


def record_due_alerts(*, cursor: Any, connection: Any, change: Any, error: Any) -> None:
    """Record the alerts ``change`` (an errors.group_writes.GroupChange) makes due.

    Called for every stored or shed occurrence, after the group row is updated and still
    under its lock, in the same transaction. Must be cheap when no rule matches."""
    return None
