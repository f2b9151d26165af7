"""The group pages: the triage list at ``/``, one group, and resolving or muting a group
inline. Thin: parse the request, call a selector or service, render the page or the partial
htmx asked for."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from dashboard.access import RESOLVE_PERMISSION, require_resolve_permission, staff_required
from dashboard.clean_urls import defaults_attribute, redirect_to_clean_url
from dashboard.group_forms import BulkGroupForm, MuteGroupForm, ResolveGroupForm
from dashboard.group_listing import GROUP_URL_DEFAULTS, GroupListing
from dashboard.group_page import GroupPage
from dashboard.group_tables import GroupTable
from dashboard.htmx_messages import with_messages
from dashboard.inline_summary import asks_summary_inline
from dashboard.listing import URL_DEFAULTS
from dashboard.views import partial_for, safe_next
from errors.group_selectors import (
    build_sparklines,
    get_error_group,
    list_error_groups_by_ids,
    list_group_activity,
)
from errors.group_services import (
    mute_error_group,
    resolve_error_group,
    resolve_error_groups,
    unmute_error_group,
    unresolve_error_group,
    unresolve_error_groups,
)
from errors.models import ErrorGroup

LIST_TEMPLATE = "dashboard/group_list.html"
DETAIL_TEMPLATE = "dashboard/group_detail.html"
LIST_PARTIALS = {
    "group-body": "body",
    "group-summary": "summary_refresh",
    "group-results": "results",
}
DETAIL_PARTIALS = {"group-triage": "triage", "occurrences": "occurrences"}
GROUPS_CHANGED = "groups-changed"


@require_GET
@staff_required
@vary_on_headers("HX-Request", "HX-Target", "HX-History-Restore-Request")
def group_list(request: HttpRequest) -> HttpResponse:
    if clean := redirect_to_clean_url(request, GROUP_URL_DEFAULTS):
        return clean
    listing = GroupListing(request, request.GET)
    template = partial_for(request, LIST_TEMPLATE, LIST_PARTIALS)
    # The charts are the page's dearest part and need JavaScript to draw: the page comes
    # without them and asks for its summary once loaded, unless it is asked for with them
    # (dashboard.inline_summary: the page without JavaScript).
    with_charts = template == f"{LIST_TEMPLATE}#summary_refresh" or asks_summary_inline(request.GET)
    return TemplateResponse(request, template, {"listing": listing, "with_charts": with_charts})


@require_GET
@staff_required
@vary_on_headers("HX-Request", "HX-Target", "HX-History-Restore-Request")
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    if clean := redirect_to_clean_url(request, URL_DEFAULTS):
        return clean
    group = found(group_id)
    context = {
        "detail": GroupPage(request, group),
        "url_defaults": defaults_attribute(URL_DEFAULTS),
        **triage_context(request, group),
    }
    return TemplateResponse(
        request, partial_for(request, DETAIL_TEMPLATE, DETAIL_PARTIALS), context
    )


def triage_context(request: HttpRequest, group: ErrorGroup) -> dict:
    return {
        "group": group,
        "activity": list_group_activity(group),
        "can_resolve": request.user.has_perm(RESOLVE_PERMISSION),
        "mute_form": MuteGroupForm(),
    }


@require_POST
@staff_required
def resolve_group(request: HttpRequest, group_id: int) -> HttpResponse:
    form = ResolveGroupForm(request.POST)
    in_next_release = form.is_valid() and form.cleaned_data["in_next_release"]
    return change_group(
        request,
        group_id,
        lambda group: resolve_error_group(
            group=group, by=request.user, in_next_release=in_next_release
        ),
        done="Resolved in the next release." if in_next_release else "Resolved.",
    )


@require_POST
@staff_required
def unresolve_group(request: HttpRequest, group_id: int) -> HttpResponse:
    return change_group(
        request,
        group_id,
        lambda group: unresolve_error_group(group=group, by=request.user),
        done="Unresolved.",
    )


@require_POST
@staff_required
def mute_group(request: HttpRequest, group_id: int) -> HttpResponse:
    form = MuteGroupForm(request.POST)
    if not form.is_valid():
        require_resolve_permission(request)
        context = {**triage_context(request, found(group_id)), "mute_form": form}
        messages.error(request, "Not muted: the mute could not be read.")
        # htmx swaps only 2xx answers; the form's errors are shown either way.
        status = 200 if request.htmx else 400
        response = TemplateResponse(request, f"{DETAIL_TEMPLATE}#triage", context, status=status)
        return with_messages(request, response)
    terms = form.terms()
    return change_group(
        request,
        group_id,
        lambda group: mute_error_group(group=group, by=request.user, **terms),
        done="Muted.",
    )


@require_POST
@staff_required
def unmute_group(request: HttpRequest, group_id: int) -> HttpResponse:
    return change_group(
        request,
        group_id,
        lambda group: unmute_error_group(group=group, by=request.user),
        done="Unmuted.",
    )


@require_POST
@staff_required
def bulk_change_groups(request: HttpRequest) -> HttpResponse:
    """Resolve or unresolve the ticked groups. htmx gets the list's results back (the
    query string is the list's) with what changed, and an event that refreshes the charts;
    a plain form post goes back to the list with a message."""
    require_resolve_permission(request)
    form = BulkGroupForm(request.POST)
    if not form.is_valid():
        problem = " ".join(message for errors in form.errors.values() for message in errors)
        return bulk_answer(request, problem, status=400)
    groups = list_error_groups_by_ids(form.cleaned_data["ids"])
    if form.cleaned_data["change"] == "resolve":
        changed = resolve_error_groups(groups=groups, by=request.user)
        done = "Resolved"
    else:
        changed = unresolve_error_groups(groups=groups, by=request.user)
        done = "Unresolved"
    response = bulk_answer(request, f"{done} {changed} group{'' if changed == 1 else 's'}.")
    return trigger_client_event(response, GROUPS_CHANGED) if request.htmx else response


def bulk_answer(request: HttpRequest, message: str, *, status: int = 200) -> HttpResponse:
    """The list's results and ``message`` (htmx: a refused action is answered 200 too, as
    htmx swaps only 2xx answers), or the list page again without JavaScript."""
    if status >= 400:
        messages.error(request, message)
    else:
        messages.success(request, message)
    if request.htmx:
        listing = GroupListing(request, request.GET)
        response = TemplateResponse(request, f"{LIST_TEMPLATE}#results", {"listing": listing})
        return with_messages(request, response)
    query = request.GET.urlencode()
    return redirect(reverse("group_list") + (f"?{query}" if query else ""))


def change_group(request: HttpRequest, group_id: int, change, *, done: str) -> HttpResponse:
    """Apply ``change`` to the group and say so (``done``). htmx gets back what it targets
    (the list's row, or the group page's triage panel), the message and an event that
    refreshes the rest; a plain form post goes back where it came from."""
    require_resolve_permission(request)
    group = change(found(group_id))
    group = found(group.pk)
    messages.success(request, f"{done[:-1]}: {group.title[:120]}.")
    if not request.htmx:
        return redirect(safe_next(request, reverse("group_detail", args=[group.pk])))
    if (request.htmx.target or "") == f"group-{group.pk}":
        response = render_row(request, group)
    else:
        response = TemplateResponse(
            request, f"{DETAIL_TEMPLATE}#triage", triage_context(request, group)
        )
    return trigger_client_event(with_messages(request, response), GROUPS_CHANGED)


def render_row(request: HttpRequest, group: ErrorGroup) -> HttpResponse:
    """The group's row of the list, as the list page it was clicked on renders it."""
    current = request.htmx.current_url_abs_path or reverse("group_list")
    table = GroupTable(
        [group],
        can_resolve=request.user.has_perm(RESOLVE_PERMISSION),
        next_url=current,
        request=request,
    )
    table.prepare_rows([group], build_sparklines([group.pk]))
    row = next(iter(table.rows))
    return TemplateResponse(
        request, "dashboard/_group_table.html#row", {"table": table, "row": row}
    )


def found(group_id: int) -> ErrorGroup:
    group = get_error_group(group_id)
    if group is None:
        raise Http404("No such group.")
    return group
