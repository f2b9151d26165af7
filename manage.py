#!/usr/bin/env python
"""Django's command-line utility for app-errors."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app_errors_site.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A configuration mistake (SECRET_KEY missing, a boolean that is not true/false)
        # deserves its sentence, not a traceback through Django's settings loader.
        sys.exit(f"manage.py: {exc}")


if __name__ == "__main__":
    main()
