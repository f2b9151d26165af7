"""Where refused writes go when the site configured no spool."""

from pathlib import Path

from errors.conf import app_errors_setting, spool_path_for


def test_an_unconfigured_spool_lies_beside_the_errors_sqlite_file(tmp_path):
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "errors.sqlite3"}
    assert spool_path_for(database, "/srv/site") == tmp_path.resolve() / "error-spool.jsonl"


def test_an_unconfigured_spool_on_postgresql_lies_in_base_dir_var(tmp_path):
    database = {"ENGINE": "django.db.backends.postgresql", "NAME": "site"}
    assert spool_path_for(database, tmp_path) == Path(tmp_path) / "var" / "error-spool.jsonl"


def test_no_spool_can_be_derived_without_a_file_or_base_dir():
    assert (
        spool_path_for({"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}, None) is None
    )


def test_this_site_leaving_spool_path_out_gets_the_derived_one(settings):
    settings.APP_ERRORS = {}
    assert app_errors_setting("SPOOL_PATH") is not None


def test_a_spool_set_to_none_stays_off(settings):
    settings.APP_ERRORS = {"SPOOL_PATH": None}
    assert app_errors_setting("SPOOL_PATH") is None
