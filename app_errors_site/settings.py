"""Settings for the app-errors site, read from the environment.

Production by default: ``DEBUG`` is off and ``SECRET_KEY`` must be given. The development
commands (``make run``, ``make test``, the benches, pytest) turn ``DEBUG`` and the demo on for
themselves. Variables are named like the settings they set; booleans are ``true``/``false``.

SQLite is the embedded default; set DATABASE_URL for PostgreSQL. Errors are written through
their own database alias (``errors``) so that a row survives the caller's rolled-back
transaction: on SQLite that alias is a separate file (SQLite allows one writer per file), on
PostgreSQL it is a second connection to the same database.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("APP_ERRORS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A boolean variable: ``true`` or ``false`` (any case); anything else is refused rather
    than read as off, so a typo cannot quietly leave a security setting disabled."""
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in TRUE:
        return True
    if value.strip().lower() in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """``HEADER,value`` (``HTTP_X_FORWARDED_PROTO,https``): the header a TLS proxy sets."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    header, _, expected = (part.strip() for part in value.partition(","))
    if not header or not expected:
        raise ImproperlyConfigured(
            f"{name} must be HEADER,value, e.g. HTTP_X_FORWARDED_PROTO,https."
        )
    return header, expected


DEBUG = env_bool("DEBUG", False)
# The demo apps, this site's staff model and the demo commands: `make run` and the tests.
APP_ERRORS_DEMO = env_bool("APP_ERRORS_DEMO", False)

DEVELOPMENT_SECRET_KEY = "django-insecure-app-errors-development-key-change-me"
SECRET_KEY = os.environ.get("SECRET_KEY", "") or (DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not DEBUG and SECRET_KEY in ("", DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured("Set SECRET_KEY: DEBUG is off, and production has no default key.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# HTTPS: off by default so `runserver` works; a deployment behind TLS turns them on.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "template_partials",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "errors",
    "dashboard",
]
DEMO_APPS = ["accounts", "demo.seed", "demo.xero", "demo.jobs", "demo.reports", "demo.rest"]
if APP_ERRORS_DEMO:
    INSTALLED_APPS += DEMO_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "errors.middleware.AppErrorMiddleware",
]

ROOT_URLCONF = "app_errors_site.urls"
WSGI_APPLICATION = "app_errors_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "errors.context_processors.error_spool",
            ],
        },
    },
]


def sqlite_options() -> dict:
    """WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so
    concurrent writers queue on the busy timeout instead of failing on lock upgrade."""
    return {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }


def build_databases() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        default = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    else:
        default = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "app.sqlite3"),
        }
    is_sqlite = default["ENGINE"].endswith("sqlite3")
    if is_sqlite:
        default["OPTIONS"] = {**sqlite_options(), **default.get("OPTIONS", {})}
        default["TEST"] = {"NAME": str(VAR_DIR / "test_app.sqlite3")}
        errors_url = os.environ.get("ERRORS_DATABASE_URL")
        if errors_url:
            errors = dj_database_url.parse(errors_url)
        else:
            errors = {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(Path(default["NAME"]).with_name("errors.sqlite3")),
            }
        if errors["ENGINE"].endswith("sqlite3"):
            errors["OPTIONS"] = errors_sqlite_options()
            errors["TEST"] = {"NAME": str(VAR_DIR / "test_errors.sqlite3")}
    else:
        # Same database, its own connection: committed independently of the caller.
        errors = {**default, "CONN_MAX_AGE": 60}
        errors["OPTIONS"] = {**errors_postgresql_options(), **default.get("OPTIONS", {})}
    return {"default": default, "errors": errors}


def errors_sqlite_options() -> dict:
    """The errors file takes one small transaction per error. SQLite copies the WAL back
    into the database (and syncs both) every 1,000 pages by default, about every 30 errors;
    at 10,000 pages (a WAL of up to 40 MB) a page rewritten by many errors in between (an
    index leaf, an hour's total) is copied once, which made a write a third cheaper.

    An error's INSERT fires triggers inside the write's transaction, so SQLite keeps a
    statement journal of the ~30 pages it changes, to undo that statement alone. Past 64 KB
    that journal goes to a temporary file, opened, written and deleted for every error;
    ``temp_store=MEMORY`` keeps it in memory (it never outlives its statement, so nothing
    durable changes), about 0.2 ms of a 1.5 ms write."""
    options = sqlite_options()
    options["init_command"] += " PRAGMA wal_autocheckpoint=10000; PRAGMA temp_store=MEMORY;"
    return options


def errors_postgresql_options() -> dict:
    """A database that stops answering (host gone, packets dropped) must not hold the
    caller of persist_app_error: connecting gives up after 5 s, and a sent write whose
    packets go unacknowledged for 10 s, or whose connection stays silent to keepalive
    probes, fails. The error then goes to the spool. (The write's own statement timeout is
    set with the INSERT, errors/inserts.py, so dashboard reads on this alias keep none.)"""
    return {
        "connect_timeout": 5,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": 10_000,
    }


DATABASES = build_databases()
DATABASE_ROUTERS = ["errors.routers.AppErrorRouter"]

# The demo's staff have UUID keys, like the system app-errors comes from; a production site
# keeps Django's own user model. A database belongs to one of the two: switching
# APP_ERRORS_DEMO on an existing database means migrating a fresh one.
if APP_ERRORS_DEMO:
    AUTH_USER_MODEL = "accounts.Staff"
SESSION_ENGINE = "app_errors_site.sessions"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS: list[Path] = []  # the apps ship their own (dashboard/static/)
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise reads it at start-up, collected or not
# Whitenoise serves the collected files with far-future caching (names carry a hash).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DJANGO_TABLES2_TEMPLATE = "dashboard/_table.html"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "errors.api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "app-errors API",
    "DESCRIPTION": "Read, search and resolve the errors a Django application recorded.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The errors app's own settings; every key is optional (see errors/conf.py).
APP_ERRORS = {
    "SPOOL_PATH": os.environ.get("APP_ERRORS_SPOOL_PATH", str(VAR_DIR / "error-spool.jsonl")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "app_errors": {"class": "errors.logging.AppErrorHandler", "level": "ERROR"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "demo": {"handlers": ["app_errors"], "level": "INFO"},
    },
}
