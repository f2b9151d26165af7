"""Keep resolved_by's SET_NULL promise across databases."""

from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from errors.models import AppError


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL)
def clear_resolved_by(sender, instance, **kwargs) -> None:
    AppError.objects.filter(resolved_by_id=instance.pk).update(resolved_by=None)
