"""What each list polls while it is open: how many errors (or groups) matching its filters
arrived since it was rendered, as the small notice that offers to show them. Empty while
nothing is new; a filter or a moment that cannot be read is a 400 naming it."""

import datetime
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_filters import FilterSet

from dashboard.access import staff_required
from dashboard.forms import SinceForm
from dashboard.group_listing import group_list_params
from dashboard.live_notice import show_url
from errors.group_selectors import count_error_groups_since, filter_error_groups
from errors.selectors import count_app_errors_since, filter_app_errors

NOTICE_TEMPLATE = "dashboard/_live_notice.html"


@require_GET
@staff_required
@never_cache
def error_list_news(request: HttpRequest) -> HttpResponse:
    filterset = filter_app_errors(request.GET)
    return answer(
        request,
        filterset,
        count=lambda since: count_app_errors_since(filterset, since),
        list_view="error_list",
        body="#dashboard-body",
        params=request.GET,
    )


@require_GET
@staff_required
@never_cache
def group_list_news(request: HttpRequest) -> HttpResponse:
    params = group_list_params(request.GET)
    filterset = filter_error_groups(params)
    return answer(
        request,
        filterset,
        count=lambda since: count_error_groups_since(filterset, since),
        list_view="group_list",
        body="#group-body",
        params=request.GET,
    )


def answer(
    request: HttpRequest,
    filterset: FilterSet,
    *,
    count: Callable[[datetime.datetime], tuple[int, bool]],
    list_view: str,
    body: str,
    params: QueryDict,
) -> HttpResponse:
    """The notice for the list ``list_view`` (swapped into ``body`` by "show"), or a 400
    naming what could not be read."""
    since_form = SinceForm(request.GET)
    # Both forms validated (no short circuit), so the 400 names every problem at once.
    if not (since_form.is_valid() & filterset.is_valid()):
        problems = {**filterset.errors, **since_form.errors}
        return TemplateResponse(
            request, f"{NOTICE_TEMPLATE}#problems", {"problems": problems}, status=400
        )
    total, is_exact = count(since_form.cleaned_data["since"])
    context = {
        "total": total,
        "is_exact": is_exact,
        "show_url": show_url(list_view, params),
        "body": body,
    }
    return TemplateResponse(request, f"{NOTICE_TEMPLATE}#notice", context)
