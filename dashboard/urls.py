from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from dashboard import alert_views, views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", views.error_list, name="error_list"),
    path("errors/bulk-resolve/", views.bulk_resolve, name="error_bulk_resolve"),
    path("errors/spool/replay/", views.replay_error_spool, name="error_spool_replay"),
    path("errors/<uuid:error_id>/", views.error_detail, name="error_detail"),
    path("errors/<uuid:error_id>/resolve/", views.resolve_error, name="error_resolve"),
    path("errors/<uuid:error_id>/unresolve/", views.unresolve_error, name="error_unresolve"),
    path("alerts/", alert_views.alert_rule_list, name="alert_rule_list"),
    path("alerts/new/", alert_views.alert_rule_create, name="alert_rule_create"),
    path("alerts/<int:rule_id>/", alert_views.alert_rule_detail, name="alert_rule_detail"),
    path("alerts/<int:rule_id>/edit/", alert_views.alert_rule_edit, name="alert_rule_edit"),
    path("alerts/<int:rule_id>/test/", alert_views.alert_rule_test, name="alert_rule_test"),
    path("alerts/<int:rule_id>/delete/", alert_views.alert_rule_delete, name="alert_rule_delete"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("errors.api.urls")),
]
