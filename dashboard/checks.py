"""System checks for a site mounting the dashboard: the apps and the middleware its pages
need, named up front instead of as a TemplateSyntaxError or an AttributeError on the first
page view."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

HTMX_MIDDLEWARE = "django_htmx.middleware.HtmxMiddleware"


# What the dashboard's templates load: tables, filters, htmx, humanize, partials.
REQUIRED_APPS = [
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "template_partials",
]


@register()
def check_dashboard_requirements(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return dashboard_problems(settings.INSTALLED_APPS, settings.MIDDLEWARE)


def dashboard_problems(installed_apps: list[str], middleware: list[str]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    missing = [app for app in REQUIRED_APPS if app not in installed_apps]
    if missing:
        messages.append(
            Error(
                f"The dashboard needs {', '.join(missing)} in INSTALLED_APPS.",
                hint="See the README, Add to your Django project.",
                id="dashboard.E001",
            )
        )
    if HTMX_MIDDLEWARE not in middleware:
        messages.append(
            Error(
                f"The dashboard needs {HTMX_MIDDLEWARE!r} in MIDDLEWARE (its views read "
                "request.htmx).",
                hint="See the README, Add to your Django project.",
                id="dashboard.E002",
            )
        )
    return messages
