import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create (or reset) the demo staff login and print it."

    def handle(self, *args, **options) -> None:
        username = os.environ.get("DEMO_USERNAME", "staff")
        password = os.environ.get("DEMO_PASSWORD", "staff-demo-password")
        staff, _ = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": "Demo", "last_name": "Staff"}
        )
        staff.is_staff = True
        staff.is_superuser = True
        staff.set_password(password)
        staff.save()
        staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="errors"))
        self.stdout.write(self.style.SUCCESS(f"Log in as {username} / {password}"))
