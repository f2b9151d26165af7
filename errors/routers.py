"""Send every AppError read and write through the ``errors`` database alias.

A second alias means a second connection: an error row commits on its own, whatever the
caller's transaction on ``default`` does next. When the alias points at another database
(SQLite's one-writer-per-file rule makes this the embedded default), the errors tables live
only there, and nothing else is migrated into it; when it points at the same database (a
second PostgreSQL connection), migrations run the usual way on either alias.
"""

import os

from django.conf import settings

ERRORS_APP_LABEL = "errors"


def errors_alias() -> str:
    """The alias errors are written through: ``errors`` when configured, else ``default``."""
    return "errors" if "errors" in settings.DATABASES else "default"


_is_separate: bool | None = None


def database_identity(config: dict) -> tuple:
    """What says which database a connection reaches: a SQLite file by its real path (a
    ``Path`` and the same path as a string, or through a symlink, are one file)."""
    name = config.get("NAME")
    if config.get("ENGINE", "").endswith("sqlite3") and name and str(name) != ":memory:":
        name = os.path.realpath(os.fspath(name))
    return (config.get("ENGINE"), name, config.get("HOST") or "", str(config.get("PORT") or ""))


def detect_separate_database() -> bool:
    """Whether the errors alias names another database than ``default`` (not just another
    connection to the same one). Read once at start-up: the test runner later renames the
    databases one alias at a time, which would make a later comparison lie."""
    global _is_separate
    if errors_alias() == "default":
        _is_separate = False
    else:
        default, errors = settings.DATABASES["default"], settings.DATABASES["errors"]
        _is_separate = database_identity(default) != database_identity(errors)
    return _is_separate


def errors_database_is_separate() -> bool:
    return detect_separate_database() if _is_separate is None else _is_separate


class AppErrorRouter:
    """Errors' models to the errors alias; every other model is left to the next router (or
    ``default``). With a separate errors database, only the errors app migrates into it and
    the errors app migrates nowhere else."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label == ERRORS_APP_LABEL:
            return errors_alias()
        # Following resolved_by from an AppError: Django would otherwise look for the staff
        # member in the error's own database.
        instance = hints.get("instance")
        if instance is not None and instance._meta.app_label == ERRORS_APP_LABEL:
            return "default"
        return None

    def db_for_write(self, model, **hints):
        return self.db_for_read(model, **hints)

    def allow_relation(self, obj1, obj2, **hints):
        # resolved_by points from the errors database at Staff in default.
        labels = {obj1._meta.app_label, obj2._meta.app_label}
        return True if ERRORS_APP_LABEL in labels else None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if not errors_database_is_separate():
            return None
        if db == "errors":
            return app_label == ERRORS_APP_LABEL
        if app_label == ERRORS_APP_LABEL:
            return False
        return None
