"""Shared URLs carry only the filters in use: no empty parameter and none at its default.
htmx drops them before it asks (static/dashboard/list.js, from the form's ``data-defaults``);
a plain GET that carries them, as a form submitted without JavaScript does, is redirected
to the same view at its clean URL."""

import json
from collections.abc import Mapping

from django.http import HttpRequest, HttpResponseRedirect, QueryDict


def clean_query(params: QueryDict, defaults: Mapping[str, str]) -> QueryDict:
    """``params`` without empty values and values equal to their default, in their order."""
    clean = QueryDict(mutable=True)
    for name, values in params.lists():
        kept = [value for value in values if value.strip() and value != defaults.get(name)]
        if kept:
            clean.setlist(name, kept)
    return clean


def redirect_to_clean_url(
    request: HttpRequest, defaults: Mapping[str, str]
) -> HttpResponseRedirect | None:
    """A redirect to this page's clean URL when the query string has anything to drop; None
    for htmx (never answered with a redirect: it cleans its own requests) and clean URLs."""
    if request.htmx:
        return None
    clean = clean_query(request.GET, defaults)
    if list(clean.lists()) == list(request.GET.lists()):
        return None
    query = clean.urlencode()
    return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))


def defaults_attribute(defaults: Mapping[str, str]) -> str:
    """The defaults as the filter form's ``data-defaults`` JSON (escaped by the template)."""
    return json.dumps(dict(defaults), sort_keys=True)
