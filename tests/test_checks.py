"""The system checks that catch a configuration which would lose errors."""

from pathlib import Path

from django.core.management import call_command

from errors.checks import errors_database_problems, middleware_problems, spool_problems

ROUTERS = ["errors.routers.AppErrorRouter"]


def sqlite(name) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": name}


def postgresql(name: str) -> dict:
    return {"ENGINE": "django.db.backends.postgresql", "NAME": name, "HOST": "db", "PORT": ""}


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_this_site_passes_every_check():
    call_command("check", fail_level="WARNING")


def test_errors_alias_on_the_default_sqlite_file_is_an_error(tmp_path):
    default = sqlite(tmp_path / "db.sqlite3")
    messages = errors_database_problems({"default": default, "errors": {**default}}, ROUTERS)
    assert ids(messages) == ["errors.E001"]
    assert "same SQLite file" in messages[0].msg and "lost" in messages[0].msg
    assert "errors.sqlite3" in messages[0].hint


def test_the_same_sqlite_file_named_as_string_and_path_is_still_one_file(tmp_path):
    databases = {
        "default": sqlite(tmp_path / "db.sqlite3"),
        "errors": sqlite(str(tmp_path / "." / "db.sqlite3")),
    }
    assert ids(errors_database_problems(databases, ROUTERS)) == ["errors.E001"]


def test_a_separate_sqlite_file_passes(tmp_path):
    databases = {
        "default": sqlite(tmp_path / "db.sqlite3"),
        "errors": sqlite(tmp_path / "errors.sqlite3"),
    }
    assert errors_database_problems(databases, ROUTERS) == []


def test_a_second_postgresql_connection_to_the_same_database_passes():
    databases = {"default": postgresql("site"), "errors": postgresql("site")}
    assert errors_database_problems(databases, ROUTERS) == []


def test_no_errors_alias_is_a_warning_that_rollbacks_lose_errors(tmp_path):
    messages = errors_database_problems({"default": sqlite(tmp_path / "db.sqlite3")}, ROUTERS)
    assert ids(messages) == ["errors.W001"]
    assert "rolls back" in messages[0].msg


def test_an_errors_alias_without_the_router_is_an_error():
    databases = {"default": postgresql("site"), "errors": postgresql("site")}
    messages = errors_database_problems(databases, [])
    assert ids(messages) == ["errors.E002"]
    assert "errors.routers.AppErrorRouter" in messages[0].msg


def test_no_spool_path_is_a_warning():
    assert ids(spool_problems(None)) == ["errors.W002"]
    assert spool_problems(Path("/var/lib/site/error-spool.jsonl")) == []


def test_missing_middleware_is_a_warning():
    messages = middleware_problems(["django.middleware.common.CommonMiddleware"])
    assert ids(messages) == ["errors.W003"]
    assert middleware_problems(["errors.middleware.AppErrorMiddleware"]) == []


def test_the_dashboard_names_the_apps_and_middleware_it_needs():
    from dashboard.checks import dashboard_problems

    messages = dashboard_problems(["errors", "dashboard", "django_tables2"], [])
    assert ids(messages) == ["dashboard.E001", "dashboard.E002"]
    assert "django_htmx" in messages[0].msg and "django_tables2" not in messages[0].msg
    assert "HtmxMiddleware" in messages[1].msg
