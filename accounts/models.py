import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class Staff(AbstractUser):
    """A member of staff. UUID keys match the system this tracker serves, whose
    ``resolved_by`` points at ``accounts.Staff``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = "staff member"
        verbose_name_plural = "staff"

    def __str__(self) -> str:
        return self.get_full_name() or self.username
