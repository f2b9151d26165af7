"""Persist every exception a view lets escape, then let Django respond as usual."""

from collections.abc import Callable

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse

from errors.context import extract_request_context
from errors.frames import describe_frame, innermost_project_frame
from errors.services import persist_app_error

# Exceptions Django turns into ordinary 4xx responses: the client's mistake, not a failure.
EXPECTED_EXCEPTIONS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)


class AppErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, EXPECTED_EXCEPTIONS):
            return None
        request_context = extract_request_context(request)
        frame = innermost_project_frame(exception.__traceback__)
        location = describe_frame(frame) if frame is not None else None
        persist_app_error(
            exception,
            app=getattr(location, "app", None) or "",
            file=getattr(location, "file", None) or "",
            function=getattr(location, "function", None) or request.path[:255],
            user_id=request_context.get("user_id"),
            additional_context={"request": request_context},
        )
        return None
