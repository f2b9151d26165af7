"""System checks for the configurations that lose errors without a word: each one found by
someone adding the app to a new project, where the failure shows only during an outage or
inside a rolled-back transaction."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from errors.conf import app_errors_setting
from errors.routers import database_identity

ROUTER = "errors.routers.AppErrorRouter"
MIDDLEWARE = "errors.middleware.AppErrorMiddleware"


@register()
def check_errors_database(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return errors_database_problems(settings.DATABASES, getattr(settings, "DATABASE_ROUTERS", []))


def errors_database_problems(databases: dict, routers: list) -> list[CheckMessage]:
    """The errors alias must be a connection of its own, and the router must send errors
    through it; on SQLite it must also be a file of its own."""
    if "errors" not in databases:
        return [
            Warning(
                "No 'errors' database alias: errors are written through 'default', so an "
                "error recorded inside a transaction that rolls back is lost with it.",
                hint="Add DATABASES['errors'] (a second PostgreSQL connection, or a separate "
                "SQLite file) and DATABASE_ROUTERS = ['errors.routers.AppErrorRouter'].",
                id="errors.W001",
            )
        ]
    messages: list[CheckMessage] = []
    default, errors = databases.get("default", {}), databases["errors"]
    is_sqlite = errors.get("ENGINE", "").endswith("sqlite3")
    if is_sqlite and database_identity(default) == database_identity(errors):
        messages.append(
            Error(
                "DATABASES['errors'] is the same SQLite file as DATABASES['default']. SQLite "
                "allows one writer per file: an error recorded inside atomic() waits for the "
                "caller's own write lock, times out and is lost.",
                hint="Give the errors alias a file of its own, e.g. "
                "DATABASES['errors'] = {'ENGINE': 'django.db.backends.sqlite3', "
                "'NAME': BASE_DIR / 'errors.sqlite3'}.",
                id="errors.E001",
            )
        )
    if ROUTER not in routers:
        messages.append(
            Error(
                f"DATABASE_ROUTERS does not include {ROUTER!r}: errors are not sent through "
                "the 'errors' alias, and its tables are not migrated there.",
                hint=f"DATABASE_ROUTERS = [{ROUTER!r}] (before any router that claims every "
                "model).",
                id="errors.E002",
            )
        )
    return messages


@register()
def check_spool_path(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return spool_problems(app_errors_setting("SPOOL_PATH"))


def spool_problems(spool_path: Any) -> list[CheckMessage]:
    """An error refused by the database (down, locked, full) is kept in the spool; with no
    spool it is only logged."""
    if spool_path:
        return []
    return [
        Warning(
            "No spool for errors the database refuses: during an outage they are only logged. "
            "None was configured and none can be derived (no SQLite errors file, no BASE_DIR).",
            hint="Set APP_ERRORS = {'SPOOL_PATH': '/var/lib/<site>/error-spool.jsonl'}, a file "
            "the site's processes can write.",
            id="errors.W002",
        )
    ]


@register()
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return middleware_problems(getattr(settings, "MIDDLEWARE", []))


def middleware_problems(middleware: list) -> list[CheckMessage]:
    """Unhandled view exceptions are recorded by the middleware, and only by it."""
    if MIDDLEWARE in middleware:
        return []
    return [
        Warning(
            f"{MIDDLEWARE!r} is not in MIDDLEWARE: exceptions a view lets escape are not recorded.",
            hint=f"Add {MIDDLEWARE!r} as the last entry of MIDDLEWARE.",
            id="errors.W003",
        )
    ]
