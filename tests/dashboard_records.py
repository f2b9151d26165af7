"""Errors recorded the way an application records them, for the dashboard tests."""

import datetime
import uuid

from django.utils import timezone

from errors.models import AppError
from errors.services import persist_app_error


def record(
    message: str = "Xero contact sync failed",
    *,
    app: str = "xero",
    function: str = "sync_contacts",
    severity: str = "error",
    age_hours: float = 1,
    job_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    context: dict | None = None,
) -> AppError:
    error = persist_app_error(
        ValueError(message),
        app=app,
        file=f"{app}/sync.py",
        function=function,
        severity=severity,
        job_id=job_id,
        user_id=user_id,
        additional_context=context,
    )
    AppError.objects.filter(pk=error.pk).update(
        timestamp=timezone.now() - datetime.timedelta(hours=age_hours)
    )
    error.refresh_from_db()
    return error
