"""Downloads of the error list: every error the current filter matches, as CSV or JSON
lines (errors.export_formats), in the list's order."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_GET

from dashboard.access import staff_required
from errors.export_formats import stream_app_errors
from errors.selectors import filter_app_errors


@require_GET
@staff_required
def export_errors(request: HttpRequest, file_format: str) -> HttpResponse:
    """A filter the form cannot read is a 400 naming each field, never an export of
    everything."""
    filterset = filter_app_errors(request.GET)
    if not filterset.is_valid():
        problems = "\n".join(
            f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items()
        )
        return HttpResponseBadRequest(
            f"Some filters could not be read:\n{problems}\n", content_type="text/plain"
        )
    return stream_app_errors(filterset, file_format)
