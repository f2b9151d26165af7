"""``{% switch_list_url request "error_list" %}``: the other list (groups or occurrences)
with the filters both understand, so the toggle between them keeps what staff narrowed."""

from django import template
from django.http import HttpRequest, QueryDict
from django.urls import reverse

from dashboard.group_listing import DEFAULT_STATUS
from errors.filters import AppErrorFilterSet, ErrorGroupFilterSet

register = template.Library()

# The resolved state of occurrences and the status of groups say the same in two words.
RESOLVED_TO_STATUS = {"false": "unresolved", "true": "resolved"}
STATUS_TO_RESOLVED = {status: resolved for resolved, status in RESOLVED_TO_STATUS.items()}
SHARED = (set(AppErrorFilterSet.base_filters) & set(ErrorGroupFilterSet.base_filters)) - {
    "ordering"
}


def switched_query(params: QueryDict, to: str) -> str:
    query = QueryDict(mutable=True)
    for name in sorted(SHARED):
        if params.get(name):
            query[name] = params[name]
    if to == "error_list":
        resolved = STATUS_TO_RESOLVED.get(params.get("status", "unresolved"))
        if resolved:
            query["resolved"] = resolved
    else:
        status = RESOLVED_TO_STATUS.get(params.get("resolved", "").lower(), "all")
        if status != DEFAULT_STATUS:  # the group list's default: a shared URL leaves it out
            query["status"] = status
    return query.urlencode()


@register.simple_tag
def switch_list_url(request: HttpRequest, to: str) -> str:
    """The URL of list ``to`` ("error_list" or "group_list") with the current filters."""
    query = switched_query(request.GET, to)
    return reverse(to) + (f"?{query}" if query else "")
