"""Groups recorded the way an application records them: each occurrence a raised and caught
exception, its group chosen by a custom fingerprint so a test names the groups it needs."""

import datetime
import uuid

from django.utils import timezone

from errors.models import AppError, ErrorGroup
from errors.services import persist_app_error


class InvoiceSyncError(Exception):
    pass


def occur(
    name: str,
    *,
    message: str | None = None,
    exception: type[BaseException] = InvoiceSyncError,
    app: str = "xero",
    severity: str = "error",
    job_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    times: int = 1,
) -> ErrorGroup:
    """Record ``times`` occurrences of the group fingerprinted ``name``; return the group."""
    error = None
    for _ in range(times):
        try:
            raise exception(message or f"{name} failed")
        except exception as exc:
            error = persist_app_error(
                exc,
                app=app,
                severity=severity,
                job_id=job_id,
                user_id=user_id,
                fingerprint=[name],
            )
    return ErrorGroup.objects.get(pk=error.group_id)


def seen(group: ErrorGroup, *, first_days_ago: float, last_days_ago: float) -> ErrorGroup:
    """Move the group's first and last seen (and its occurrences) into the past."""
    now = timezone.now()
    first = now - datetime.timedelta(days=first_days_ago)
    last = now - datetime.timedelta(days=last_days_ago)
    ErrorGroup.objects.filter(pk=group.pk).update(first_seen=first, last_seen=last)
    AppError.objects.filter(group_id=group.pk).update(timestamp=last)
    group.refresh_from_db()
    return group
