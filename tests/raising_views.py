"""Views that fail, for the tests of automatic capture."""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path


class InvoiceView:
    @staticmethod
    def explode(request: HttpRequest) -> HttpResponse:
        raise ZeroDivisionError("invoice total divided by zero")


def missing(request: HttpRequest) -> HttpResponse:
    raise Http404("no such job")


urlpatterns = [
    path("explode/", InvoiceView.explode),
    path("missing/", missing),
]
