"""Django messages after an htmx swap: a page that is not reloaded shows them through an
out-of-band swap of its messages region, the same markup the page renders on a full load."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.template.response import TemplateResponse

MESSAGES_TEMPLATE = "dashboard/_messages.html"


def with_messages(request: HttpRequest, response: TemplateResponse) -> TemplateResponse:
    """``response`` with the pending messages appended as an out-of-band swap of
    ``#messages`` (reading them marks them shown, so the next page does not repeat them).
    Only htmx gets this; a full page renders its own region."""
    if not request.htmx:
        return response

    def append_messages(rendered: TemplateResponse) -> None:
        region = render_to_string(MESSAGES_TEMPLATE, {"oob": True}, request=request)
        rendered.content += region.encode()

    response.add_post_render_callback(append_messages)
    return response
