"""The benchmark's own database, kept apart from the developer's data.

SQLite: the files live in ``BENCH_VAR_DIR`` (default ``var/bench``). PostgreSQL: the database
named by ``BENCH_DATABASE_URL``, else ``DATABASE_URL``'s database with ``_bench`` appended;
it is created when missing. Both are migrated before every run.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789"


def bench_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every benchmark process runs with: the bench database, DEBUG off
    (as in production: no query log kept in memory), the demo's staff model."""
    environ = dict(os.environ if environ is None else environ)
    env = {key: value for key, value in environ.items() if key != "ERRORS_DATABASE_URL"}
    env["APP_ERRORS_VAR_DIR"] = environ.get("BENCH_VAR_DIR", str(BASE_DIR / "var" / "bench"))
    url = environ.get("BENCH_DATABASE_URL") or bench_database_url(environ.get("DATABASE_URL"))
    if url:
        env["DATABASE_URL"] = url
    else:
        env.pop("DATABASE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="app_errors_site.settings",
        DEBUG="false",
        APP_ERRORS_DEMO="true",
        SECRET_KEY=BENCH_SECRET_KEY,
        PYTHONPATH=str(BASE_DIR),
    )
    return env


def bench_database_url(url: str | None) -> str | None:
    """``DATABASE_URL`` with ``_bench`` appended to the database name (kept if already there)."""
    if not url:
        return None
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.endswith("_bench"):
        name = f"{name}_bench"
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_postgresql_database(url: str) -> bool:
    """Create the database ``url`` names if it does not exist; True when it was created."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone():
            return False
        connection.execute(f'CREATE DATABASE "{name}"')
    return True


def drop_postgresql_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def apply_bench_environment() -> dict[str, str]:
    """Point this process at the bench database (before Django is set up) and make sure
    that database exists. Returns the environment for child processes."""
    env = bench_environment()
    if env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        create_postgresql_database(env["DATABASE_URL"])
    os.environ.clear()
    os.environ.update(env)
    return env


def migrate_bench_database() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("migrate", database="errors", interactive=False, verbosity=0)
    # With DEBUG off, pages name static files by their hashed copies, as in production.
    call_command("collectstatic", interactive=False, verbosity=0)


def ensure_bench_login(username: str = "bench-staff", password: str = "bench-password") -> tuple:
    """A superuser to log in with: the admin changelist baseline needs every permission."""
    from django.contrib.auth import get_user_model

    member, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": True, "is_superuser": True}
    )
    member.is_staff = member.is_superuser = True
    member.set_password(password)
    member.save()
    return username, password


def scratch_environment(name: str) -> dict[str, str]:
    """A benchmark's own throwaway databases: var/bench-<name> for SQLite, DATABASE_URL's
    database with ``_<name>`` appended for PostgreSQL (created when missing)."""
    env = bench_environment()
    directory = BASE_DIR / "var" / f"bench-{name}"
    env["APP_ERRORS_VAR_DIR"] = str(directory)
    env["APP_ERRORS_SPOOL_PATH"] = str(directory / "spool.jsonl")
    url = os.environ.get("DATABASE_URL")
    if url:
        parts = urlsplit(url)
        database = parts.path.lstrip("/").removesuffix(f"_{name}") + f"_{name}"
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{database}"))
        create_postgresql_database(env["DATABASE_URL"])
    else:
        env.pop("DATABASE_URL", None)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """``python manage.py <args>`` in ``env``; its output."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
