"""Keep resolved_by's SET_NULL promise across databases; group a small backlog of errors
stored before groups existed as soon as the tables are migrated."""

import logging

from django.conf import settings
from django.db import DatabaseError
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from errors.models import AppError, ErrorGroup, ErrorGroupActivity


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL)
def clear_resolved_by(sender, instance, **kwargs) -> None:
    AppError.objects.filter(resolved_by_id=instance.pk).update(resolved_by=None)
    ErrorGroup.objects.filter(resolved_by_id=instance.pk).update(resolved_by=None)
    ErrorGroupActivity.objects.filter(who_id=instance.pk).update(who=None)


# Up to this many ungrouped errors are grouped by ``migrate`` itself (seconds); a larger
# backlog is left to ``group_app_errors``, which shows progress and can be stopped.
GROUP_ON_MIGRATE_UP_TO = 10_000


def group_small_backlog(sender, using: str, **kwargs) -> None:
    from errors.group_backfill import group_app_errors
    from errors.routers import errors_alias

    if using != errors_alias():
        return
    try:
        backlog = AppError.objects.using(using).filter(group__isnull=True)
        waiting = backlog[: GROUP_ON_MIGRATE_UP_TO + 1].count()
        if 0 < waiting <= GROUP_ON_MIGRATE_UP_TO:
            group_app_errors()
        elif waiting:
            logging.getLogger("errors.groups").warning(
                "%s+ errors have no group yet: run manage.py group_app_errors.", waiting - 1
            )
    except DatabaseError:  # migrated back before groups existed: nothing to group
        return
