from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import IsAdminUser
from rest_framework.routers import SimpleRouter

from errors.api.alert_views import AlertRuleViewSet
from errors.api.export import AppErrorCsvExportView, AppErrorJsonLinesExportView
from errors.api.group_views import ErrorGroupViewSet
from errors.api.index import ApiIndexView
from errors.api.views import AppErrorViewSet

router = SimpleRouter()
router.register("app-errors", AppErrorViewSet, basename="app-error")
router.register("groups", ErrorGroupViewSet, basename="error-group")
router.register("alert-rules", AlertRuleViewSet, basename="alert-rule")


def api_not_found(request: HttpRequest) -> JsonResponse:
    """Any other address under the API answers in JSON too, not with the HTML 404 page."""
    return JsonResponse({"detail": "Not found."}, status=404)


# The schema describes every filter and action: for staff, like the API itself.
STAFF_ONLY = {"permission_classes": [IsAdminUser]}

urlpatterns = [
    path("", ApiIndexView.as_view(), name="api-index"),
    path("app-errors/export.csv", AppErrorCsvExportView.as_view(), name="app-error-export-csv"),
    path(
        "app-errors/export.jsonl",
        AppErrorJsonLinesExportView.as_view(),
        name="app-error-export-jsonl",
    ),
    *router.urls,
    path("schema/", SpectacularAPIView.as_view(**STAFF_ONLY), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", **STAFF_ONLY),
        name="api-docs",
    ),
    re_path(r"", api_not_found),
]
