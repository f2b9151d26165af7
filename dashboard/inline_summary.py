"""A list's summary in the page itself, for readers without JavaScript.

The group list, and the occurrence list when it searches, answer with their table first and
ask for their charts and counts once loaded (an htmx request), so that the table never waits
for them. Without JavaScript that request is never made: such a page offers a link to the
same URL with ``summary=inline``, which renders the summary in the page. The link and the
hidden input that keeps the parameter through the filter form sit in ``<noscript>``, which a
browser running scripts does not parse, so URLs made with JavaScript on never carry it.
"""

from django.http import QueryDict
from django.urls import reverse

PARAM = "summary"
INLINE = "inline"


def asks_summary_inline(params: QueryDict) -> bool:
    """Whether the request asks for the summary in the page (the no-JavaScript link)."""
    return params.get(PARAM) == INLINE


def summary_inline_url(list_view: str, params: QueryDict) -> str:
    """The list's URL with ``params`` (every one kept), asking for the summary in the page."""
    params = params.copy()
    params[PARAM] = INLINE
    return f"{reverse(list_view)}?{params.urlencode()}"
