from django.http import HttpRequest, JsonResponse
from django.urls import re_path
from rest_framework.routers import SimpleRouter

from errors.api.alert_views import AlertRuleViewSet
from errors.api.views import AppErrorViewSet

router = SimpleRouter()
router.register("app-errors", AppErrorViewSet, basename="app-error")
router.register("alert-rules", AlertRuleViewSet, basename="alert-rule")


def api_not_found(request: HttpRequest) -> JsonResponse:
    """Any other address under the API answers in JSON too, not with the HTML 404 page."""
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [*router.urls, re_path(r"", api_not_found)]
