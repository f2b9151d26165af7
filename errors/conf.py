"""The errors app's settings: ``settings.APP_ERRORS`` over these defaults."""

import os
from pathlib import Path
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Where the caller's file paths are made relative to; defaults to settings.BASE_DIR.
    "PROJECT_ROOT": None,
    # JSON lines of errors that could not be written to the database (see replay_error_spool).
    # Left out: derived (default_spool_path); None: no spool, a refused write is only logged.
    "SPOOL_PATH": None,
    # After a write the database took, a process stores the spooled errors (a spool of up to
    # 4 MB), at most once per this many seconds; None leaves the spool to replay_error_spool.
    "SPOOL_AUTO_REPLAY_SECONDS": 30,
    # Longest stored texts, in characters; longer ones are cut with a marker and their
    # original length kept in data["truncated"] (see errors/limits.py).
    "MAX_MESSAGE_LENGTH": 64 * 1024,
    "MAX_TRACE_LENGTH": 256 * 1024,
    "MAX_CONTEXT_VALUE_LENGTH": 16 * 1024,
    "MAX_CONTEXT_LENGTH": 256 * 1024,
    # Context keys filtered on top of the built-in secret names (see errors/scrubbing.py).
    "SCRUB_KEYS": (),
    # At most this many occurrences of one group are stored as rows per clock hour; past it
    # an occurrence is only counted (group, hour, job, user). None stores every one.
    "GROUP_ROWS_PER_HOUR": 1000,
    # Stored on every error; default from the APP_RELEASE / APP_ENVIRONMENT variables.
    "RELEASE": None,
    "ENVIRONMENT": None,
    # Where the site is served: alerts link to group pages under it.
    "BASE_URL": "http://127.0.0.1:8000",
    # A failed alert is retried after this many seconds, doubled at each further attempt,
    # and given up after ALERT_MAX_ATTEMPTS attempts.
    "ALERT_RETRY_SECONDS": 30,
    "ALERT_MAX_ATTEMPTS": 6,
}

ENVIRONMENT_DEFAULTS = {"RELEASE": "APP_RELEASE", "ENVIRONMENT": "APP_ENVIRONMENT"}


def app_errors_setting(name: str) -> Any:
    """One setting of the errors app, from ``settings.APP_ERRORS`` or its default."""
    configured = getattr(settings, "APP_ERRORS", {}) or {}
    if name in configured:
        return configured[name]
    if name == "PROJECT_ROOT":
        return getattr(settings, "BASE_DIR", None)
    if name == "SPOOL_PATH":
        return default_spool_path()
    if name in ENVIRONMENT_DEFAULTS:
        return os.environ.get(ENVIRONMENT_DEFAULTS[name]) or None
    return DEFAULTS[name]


SPOOL_FILE_NAME = "error-spool.jsonl"


def default_spool_path() -> Path | None:
    """Where refused writes go when ``SPOOL_PATH`` is not configured (see spool_path_for)."""
    from errors.routers import errors_alias

    database = settings.DATABASES.get(errors_alias(), {})
    return spool_path_for(database, getattr(settings, "BASE_DIR", None))


def spool_path_for(database: dict, base_dir: Any) -> Path | None:
    """The spool a site gets by leaving ``SPOOL_PATH`` out, so it loses no error to an
    outage: beside the errors SQLite file (a directory the site already writes to), else
    ``BASE_DIR/var/``. None when neither exists; the errors.W002 system check then says so."""
    name = database.get("NAME")
    is_file = name and str(name) != ":memory:" and not str(name).startswith("file:")
    if database.get("ENGINE", "").endswith("sqlite3") and is_file:
        return Path(name).resolve().parent / SPOOL_FILE_NAME
    if base_dir:
        return Path(base_dir) / "var" / SPOOL_FILE_NAME
    return None
