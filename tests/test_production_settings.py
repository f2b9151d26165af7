"""The site's production settings: off unless asked for, refused without a key, and clean
under ``check --deploy`` with the environment the README documents."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from tests.readme_snippets import readme_environment

pytestmark = pytest.mark.slow

SETTINGS_JSON = """
import json
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "INSTALLED_APPS": settings.INSTALLED_APPS,
    "AUTH_USER_MODEL": settings.AUTH_USER_MODEL,
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
}))
"""

# Set for development by pytest, the developer or the browser tests (async safety off).
DEVELOPMENT_VARIABLES = (
    "DEBUG",
    "APP_ERRORS_DEMO",
    "SECRET_KEY",
    "DATABASE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def site_environment(tmp_path, **variables: str) -> dict[str, str]:
    """The test process's environment without what pytest and the developer set for
    development, plus ``variables``."""
    env = {key: value for key, value in os.environ.items() if key not in DEVELOPMENT_VARIABLES}
    return {**env, "APP_ERRORS_VAR_DIR": str(tmp_path / "var"), **variables}


def run_site(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        env={**env, "DJANGO_SETTINGS_MODULE": "app_errors_site.settings"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )


def site_settings(env: dict[str, str]) -> dict:
    result = run_site(env, "-c", "import django; django.setup()\n" + SETTINGS_JSON)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def production_environment(tmp_path) -> dict[str, str]:
    documented = readme_environment("deploy-environment")
    assert documented["SECRET_KEY"] == "", "the README must not publish a key"
    return site_environment(tmp_path, **{**documented, "SECRET_KEY": secrets.token_urlsafe(50)})


def test_check_deploy_reports_nothing_with_the_documented_environment(tmp_path):
    check = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = run_site(production_environment(tmp_path), *check)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout and result.stderr == ""


def test_the_documented_environment_runs_without_debug_or_the_demo(tmp_path):
    configured = site_settings(production_environment(tmp_path))
    assert configured["DEBUG"] is False
    assert configured["AUTH_USER_MODEL"] == "auth.User"
    assert not [app for app in configured["INSTALLED_APPS"] if app.startswith(("demo", "accounts"))]
    assert configured["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert configured["SECURE_HSTS_SECONDS"] == 31536000
    assert configured["SESSION_COOKIE_SECURE"] is True


def test_debug_is_off_unless_asked_for(tmp_path):
    assert site_settings(site_environment(tmp_path, SECRET_KEY="k" * 50))["DEBUG"] is False


def test_manage_py_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    result = run_site(site_environment(tmp_path), "manage.py", "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_the_development_site_turns_debug_and_the_demo_on(tmp_path):
    configured = site_settings(site_environment(tmp_path, DEBUG="true", APP_ERRORS_DEMO="true"))
    assert configured["DEBUG"] is True
    assert configured["AUTH_USER_MODEL"] == "accounts.Staff"
    assert {"accounts", "demo.seed", "demo.xero"} <= set(configured["INSTALLED_APPS"])


def test_a_boolean_that_is_neither_true_nor_false_is_refused(tmp_path):
    env = site_environment(tmp_path, DEBUG="true", SESSION_COOKIE_SECURE="ture")
    result = run_site(env, "manage.py", "check")
    assert result.returncode != 0
    assert "SESSION_COOKIE_SECURE must be true or false" in result.stderr


def test_manage_py_refuses_the_development_key_when_debug_is_off(tmp_path):
    env = site_environment(tmp_path, SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY)
    result = run_site(env, "manage.py", "check")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr
