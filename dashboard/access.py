"""Who may see the dashboard: active staff. Everyone else is sent to the login page, or
refused (403) when already signed in, since logging in again would change nothing."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

RESOLVE_PERMISSION = "errors.change_apperror"
REPLAY_PERMISSION = "errors.add_apperror"  # storing spooled errors adds rows


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required and ``is_staff``. An htmx request is redirected with HX-Redirect, not a
    302 that htmx would follow and swap the login page into the table."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            if request.htmx:
                next_path = request.htmx.current_url_abs_path or request.get_full_path()
                login = resolve_url(settings.LOGIN_URL)
                return HttpResponseClientRedirect(f"{login}?{urlencode({'next': next_path})}")
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("Staff only.")
        return view(request, *args, **kwargs)

    return wrapper


def require_resolve_permission(request: HttpRequest) -> None:
    if not request.user.has_perm(RESOLVE_PERMISSION):
        raise PermissionDenied("You may not resolve errors.")


def require_replay_permission(request: HttpRequest) -> None:
    if not request.user.has_perm(REPLAY_PERMISSION):
        raise PermissionDenied("You may not store spooled errors.")
