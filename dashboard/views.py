"""The staff dashboard: the error list, one error, resolving, and storing spooled errors.
Thin: parse the request, call a selector or service, render the page or the partial htmx
asked for."""

import json
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url, reswap, retarget, trigger_client_event

from dashboard.access import (
    RESOLVE_PERMISSION,
    require_replay_permission,
    require_resolve_permission,
    staff_required,
)
from dashboard.clean_urls import redirect_to_clean_url
from dashboard.forms import BulkResolveForm
from dashboard.htmx_messages import with_messages
from dashboard.listing import URL_DEFAULTS, ErrorListing
from dashboard.tables import (
    TABLE_TEMPLATE,
    AppErrorTable,
    RelatedAppErrorTable,
    StatusCell,
    query_with,
)
from errors.group_selectors import find_occurrence_position, get_error_group
from errors.models import AppError
from errors.selectors import (
    count_app_errors,
    get_app_error,
    list_app_errors_by_ids,
    list_related_app_errors,
)
from errors.services import (
    may_resolve_matching,
    resolve_app_error,
    resolve_app_errors,
    resolve_matching_app_errors,
    unresolve_app_error,
)
from errors.spool import replay_spool

LIST_TEMPLATE = "dashboard/error_list.html"
# The element an htmx request targets -> the partial that answers it.
LIST_PARTIALS = {
    "dashboard-body": "body",
    "listing": "listing",
    "summary": "summary_refresh",
    "results": "results",
}
ERRORS_CHANGED = "errors-changed"


def partial_for(request: HttpRequest, template: str, partials: dict[str, str]) -> str:
    """The whole page, or the fragment an htmx swap targets. History restores (a cache miss
    on back/forward) get the whole page."""
    if request.htmx and not request.htmx.history_restore_request:
        partial = partials.get(request.htmx.target or "")
        if partial:
            return f"{template}#{partial}"
    return template


@require_GET
@staff_required
@vary_on_headers("HX-Request", "HX-Target", "HX-History-Restore-Request")
def error_list(request: HttpRequest) -> HttpResponse:
    if clean := redirect_to_clean_url(request, URL_DEFAULTS):
        return clean
    template = partial_for(request, LIST_TEMPLATE, LIST_PARTIALS)
    summary_only = template == f"{LIST_TEMPLATE}#summary_refresh"
    listing = ErrorListing(request, request.GET, summary_only=summary_only)
    return TemplateResponse(request, template, {"listing": listing})


@require_GET
@staff_required
def error_detail(request: HttpRequest, error_id) -> HttpResponse:
    error = get_app_error(error_id)
    if error is None:
        raise Http404("No such error.")
    status = StatusCell.for_request(
        request,
        can_resolve=request.user.has_perm(RESOLVE_PERMISSION),
        next_url=request.get_full_path(),
        inline=False,
    )
    return TemplateResponse(
        request,
        "dashboard/error_detail.html",
        {
            "error": error,
            "related": RelatedAppErrorTable(
                list_related_app_errors(error), params=QueryDict(), request=request
            ),
            "context_json": pretty_context(error),
            "links": filter_links(error),
            "status": status.render(error),
            "group": get_error_group(error.group_id) if error.group_id else None,
            "position": find_occurrence_position(error),
        },
    )


@require_POST
@staff_required
def resolve_error(request: HttpRequest, error_id) -> HttpResponse:
    return change_resolution(request, error_id, resolve=True)


@require_POST
@staff_required
def unresolve_error(request: HttpRequest, error_id) -> HttpResponse:
    return change_resolution(request, error_id, resolve=False)


def change_resolution(request: HttpRequest, error_id, *, resolve: bool) -> HttpResponse:
    """Resolve or unresolve one error. htmx gets the error's table row back, and an event
    that makes the summary and charts refresh; a plain form post goes back where it came."""
    require_resolve_permission(request)
    error = get_app_error(error_id)
    if error is None:
        raise Http404("No such error.")
    if resolve:
        resolve_app_error(error=error, by=request.user)
        messages.success(request, "Resolved 1 error.")
    else:
        unresolve_app_error(error=error)
        messages.success(request, "Unresolved 1 error.")
    if request.htmx:
        current = request.htmx.current_url_abs_path or reverse("error_list")
        table = AppErrorTable(
            [error],
            params=QueryDict(urlsplit(current).query),
            can_resolve=True,
            next_url=current,
            request=request,
        )
        context = {"table": table, "row": table.rows[0]}
        response = TemplateResponse(request, f"{TABLE_TEMPLATE}#row", context)
        # The answer is the error's row: it replaces the row wherever the button was, and
        # the address bar stays on the list.
        response = push_url(reswap(retarget(response, f"#error-{error.pk}"), "outerHTML"), False)
        return trigger_client_event(with_messages(request, response), ERRORS_CHANGED)
    return redirect(safe_next(request, reverse("error_detail", args=[error.pk])))


@require_POST
@staff_required
def bulk_resolve(request: HttpRequest) -> HttpResponse:
    """Resolve the selected errors, or all errors matching the filter in the query string.
    Without ``confirmed`` it only asks (the no-JavaScript confirmation); htmx has asked
    already with hx-confirm."""
    require_resolve_permission(request)
    listing = ErrorListing(request, request.GET)
    form = BulkResolveForm(request.POST)
    problem = None
    if not form.is_valid():
        problem = " ".join(message for messages in form.errors.values() for message in messages)
    elif not listing.is_valid:
        problem = "Fix the filter before resolving."
    elif form.cleaned_data["scope"] == "all" and not may_resolve_matching(listing.filterset):
        problem = "Narrow the filter first: resolving every error at once is not allowed."
    if problem is not None:
        messages.error(request, problem)
        return render_results(request, listing, status=400)
    everything = form.cleaned_data["scope"] == "all"
    if not form.cleaned_data["confirmed"]:
        errors = listing.errors if everything else list_app_errors_by_ids(form.cleaned_data["ids"])
        return TemplateResponse(
            request,
            "dashboard/bulk_confirm.html",
            {"listing": listing, "form": form, "count": count_app_errors(errors.unresolved())[0]},
        )
    if everything:
        changed = resolve_matching_app_errors(filterset=listing.filterset, by=request.user)
    else:
        errors = list_app_errors_by_ids(form.cleaned_data["ids"])
        changed = resolve_app_errors(errors=errors, by=request.user)
    messages.success(request, f"Resolved {changed} error{'' if changed == 1 else 's'}.")
    if request.htmx:
        listing = ErrorListing(request, request.GET)  # re-read after the write
        response = render_results(request, listing)
        return trigger_client_event(response, ERRORS_CHANGED)
    return redirect(reverse("error_list") + listing.query)


@require_POST
@staff_required
def replay_error_spool(request: HttpRequest) -> HttpResponse:
    """Store the errors waiting in the outage spool, from the dashboard's banner: what the
    ``replay_error_spool`` command does, for staff without a shell on the server. htmx gets
    the banner back (what was stored, what still waits) and the summary refreshes."""
    require_replay_permission(request)
    summary = f"{replay_spool().summary()}."
    if request.htmx:
        context = {
            "spool_replay_message": summary,
            "spool_next": request.htmx.current_url_abs_path or reverse("error_list"),
        }
        response = TemplateResponse(request, "errors/spool_banner.html", context)
        return trigger_client_event(response, ERRORS_CHANGED)
    messages.success(request, summary)
    return redirect(safe_next(request, reverse("error_list")))


def render_results(
    request: HttpRequest, listing: ErrorListing, *, status: int = 200
) -> HttpResponse:
    """The results region and the messages (htmx), or the whole list page with them."""
    template = f"{LIST_TEMPLATE}#results" if request.htmx else LIST_TEMPLATE
    # htmx does not swap 4xx responses by default; a refused bulk action is still shown.
    response = TemplateResponse(
        request, template, {"listing": listing}, status=200 if request.htmx else status
    )
    return with_messages(request, response)


def safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed else default


def pretty_context(error: AppError) -> str:
    """The error's context as indented JSON, without the trace (shown on its own)."""
    data = error.data if isinstance(error.data, dict) else {"value": error.data}
    context = {key: value for key, value in data.items() if key != "trace"}
    return json.dumps(context, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def filter_links(error: AppError) -> dict[str, str]:
    """List URLs narrowed to this error's app, file, function, job and user."""
    empty = QueryDict()
    links = {}
    for name in ("app", "file", "function", "job_id", "user_id"):
        value = getattr(error, name)
        if value:
            links[name] = reverse("error_list") + query_with(empty, **{name: str(value)})
    return links
