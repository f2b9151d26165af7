"""The README's "Add to your Django project", followed as a newcomer would: build the wheel,
install it in a fresh virtual environment, `django-admin startproject`, apply the README's
snippets (read from README.md by their markers), migrate, and prove in subprocesses that
errors are kept through a rollback, that views' exceptions are captured, and that the
dashboard and the API answer under the chosen prefix. SQLite always; PostgreSQL too when
DATABASE_URL points at it (in a database of its own)."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from bench.environment import create_postgresql_database, drop_postgresql_database
from tests.readme_snippets import readme_snippet

pytestmark = pytest.mark.slow

REPOSITORY = Path(settings.BASE_DIR)
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRESQL = DATABASE_URL.startswith(("postgres://", "postgresql://"))
DATABASES_UNDER_TEST = ["sqlite", "postgresql"] if ON_POSTGRESQL else ["sqlite"]

# What the test adds to the host project itself: a view that fails, as a host's would.
FAILING_VIEW = """
from django.http import HttpRequest, HttpResponse


def push_invoice(request: HttpRequest) -> HttpResponse:
    raise ZeroDivisionError("host invoice total divided by zero")


urlpatterns += [path("invoices/push/", push_invoice)]
"""

SCENARIO = Path(__file__).with_name("startproject_scenario.py")


def uv() -> str:
    beside_python = Path(sys.executable).with_name("uv")
    return str(beside_python) if beside_python.exists() else shutil.which("uv") or "uv"


def run(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=host_environment(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built the way a release would be: an sdist, then a wheel from it."""
    dist = tmp_path_factory.mktemp("dist")
    run(uv(), "build", "--quiet", "--out-dir", str(dist), str(REPOSITORY), cwd=REPOSITORY)
    (built,) = dist.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def host_python(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed (dependencies from the index)."""
    venv = tmp_path_factory.mktemp("venv")
    run(uv(), "venv", "--quiet", "--no-python-downloads", "--python", sys.executable, str(venv),
        cwd=venv)  # fmt: skip
    python = venv / "bin" / "python"
    assert wheel.name in readme_snippet("install")
    run(uv(), "pip", "install", "--quiet", "--python", str(python), str(wheel), cwd=venv)
    return python


@pytest.fixture
def postgresql_database():
    """A database of this test's own, next to the one DATABASE_URL names."""
    parts = urlsplit(DATABASE_URL)
    url = urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_startproject"))
    drop_postgresql_database(url)
    create_postgresql_database(url)
    yield urlsplit(url)
    drop_postgresql_database(url)


def host_project(python: Path, directory: Path, database: str, request) -> Path:
    """``django-admin startproject hostsite`` with the README's lines applied."""
    directory.mkdir()
    run(str(python.with_name("django-admin")), "startproject", "hostsite", str(directory),
        cwd=directory.parent)  # fmt: skip
    lines = ["", readme_snippet("settings")]
    if database == "postgresql":
        url = request.getfixturevalue("postgresql_database")
        lines.append(
            "DATABASES['default'] = "
            + repr(
                {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": url.path.lstrip("/"),
                    "USER": url.username or "",
                    "PASSWORD": url.password or "",
                    "HOST": url.hostname or "",
                    "PORT": str(url.port or ""),
                }
            )
        )
    lines += [readme_snippet(f"database-{database}"), readme_snippet("logging"), ""]
    with (directory / "hostsite" / "settings.py").open("a") as settings_file:
        settings_file.write("\n".join(lines))
    with (directory / "hostsite" / "urls.py").open("a") as urls_file:
        urls_file.write("\n" + readme_snippet("urls") + "\n" + FAILING_VIEW)
    return directory


def manage(python: Path, project: Path, *args: str) -> str:
    return run(str(python), "manage.py", *args, cwd=project)


def host_environment() -> dict[str, str]:
    """A clean environment: none of this repository's settings variables leak in."""
    ours = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DEBUG", "APP_ERRORS_DEMO", "SECRET_KEY",
            "DJANGO_ALLOW_ASYNC_UNSAFE")  # fmt: skip
    return {key: value for key, value in os.environ.items() if key not in ours}


def test_the_wheel_holds_only_the_errors_and_dashboard_apps(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names if not name.startswith("app_errors-")}
    assert packages == {"errors", "dashboard"}
    for shipped in (
        "errors/migrations/0001_squashed_0011_errors.py",
        "errors/migrations/0012_error_groups.py",
        "errors/templates/errors/spool_banner.html",
        "dashboard/templates/dashboard/base.html",
        "dashboard/templates/dashboard/error_list.html",
        "dashboard/static/dashboard/app.css",
        "dashboard/static/dashboard/vendor/chart.js-4.6.1/chart.umd.min.js",
    ):
        assert shipped in names


@pytest.mark.parametrize("database", DATABASES_UNDER_TEST)
def test_a_fresh_startproject_site_follows_the_readme_and_keeps_every_error(
    host_python, tmp_path, database, request
):
    project = host_project(host_python, tmp_path / "hostsite", database, request)
    manage(host_python, project, "check", "--fail-level", "WARNING")
    for line in readme_snippet("migrate").splitlines():
        command = line.split()
        assert command[:2] == ["python", "manage.py"]
        manage(host_python, project, *command[2:])
    shutil.copy(SCENARIO, project / "scenario.py")
    facts = json.loads(run(str(host_python), "scenario.py", cwd=project))

    assert facts["rolled_back_user_exists"] is False
    assert facts["error_inside_rolled_back_atomic_stored"] is True
    assert facts["failing_view_status"] == 500
    request_context = facts["failing_view_request_context"]
    assert request_context["path"] == "/invoices/push/"
    assert request_context["query_string"] == "invoice=7"
    assert facts["logged_error_stored"] is True
    assert facts["staff_pk_type"] == "int"
    assert facts["pages"] == {
        "/triage/": 200,
        "/triage/errors/<id>/": 200,
        "/triage/api/app-errors/": 200,
        "/triage/api/app-errors/<id>/mark_resolved/": 200,
        "/triage/api/schema/": 200,
        "/triage/api/docs/": 200,
    }
    assert facts["dashboard_lists_the_view_error"] is True
    assert facts["api_lists_the_view_error"] is True
    assert facts["resolved_by_the_staff_member"] is True
    assert facts["detail_names_the_resolver"] is True
    assert facts["anonymous_dashboard_status"] == 302
    assert all(facts["static_files_found"].values()), facts["static_files_found"]
    if database == "sqlite":
        foreign = [table for table in facts["errors_database_tables"] if not table.startswith(
            ("errors_", "django_migrations", "sqlite_"))]  # fmt: skip
        assert foreign == []  # no auth, admin or session tables in the errors database


def test_the_errors_alias_on_the_default_sqlite_file_fails_the_check(host_python, tmp_path):
    project = host_project(host_python, tmp_path / "hostsite", "sqlite", None)
    with (project / "hostsite" / "settings.py").open("a") as settings_file:
        settings_file.write('\nDATABASES["errors"] = {**DATABASES["default"]}\n')
    result = subprocess.run(
        [str(host_python), "manage.py", "check"],
        cwd=project,
        env=host_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "errors.E001" in result.stderr and "same SQLite file" in result.stderr
