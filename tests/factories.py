"""Rows for tests, built the way the application builds them, so a test reads as its
scenario: ``AppErrorFactory(app="xero", severity="warning", age_hours=30)``."""

import datetime

import factory
from django.utils import timezone

from errors.models import AppError
from errors.services import persist_app_error


class AppErrorFactory(factory.django.DjangoModelFactory):
    """An error recorded through ``persist_app_error``, as an application records one (its
    context scrubbed, its totals and search index written by the database's triggers), then
    dated ``age_hours`` ago.

    ``exception`` is the class raised with ``message``; ``context`` is the additional
    context. Only ``create`` is meaningful: there is no unsaved error to build."""

    class Meta:
        model = AppError

    message = "Xero contact sync failed"
    exception = ValueError
    app = "xero"
    file = factory.LazyAttribute(lambda error: f"{error.app}/sync.py")
    function = "sync_contacts"
    severity = "error"
    job_id = None
    user_id = None
    context = None
    age_hours = 1

    @classmethod
    def _create(
        cls,
        model_class: type[AppError],
        *,
        message: str,
        exception: type[BaseException],
        context: dict | None,
        age_hours: float,
        **columns,
    ) -> AppError:
        error = persist_app_error(exception(message), additional_context=context, **columns)
        model_class.objects.filter(pk=error.pk).update(
            timestamp=timezone.now() - datetime.timedelta(hours=age_hours)
        )
        error.refresh_from_db()
        return error
