"""The staff dashboard's pages; a site mounts them under any prefix with
``path("errors/", include("dashboard.urls"))``."""

from django.urls import path

from dashboard import alert_views, export_views, group_views, live_views, views

urlpatterns = [
    path("", group_views.group_list, name="group_list"),
    path("news/", live_views.group_list_news, name="group_list_news"),
    path("errors/", views.error_list, name="error_list"),
    path("errors/news/", live_views.error_list_news, name="error_list_news"),
    path("groups/bulk/", group_views.bulk_change_groups, name="group_bulk"),
    path("groups/<int:group_id>/", group_views.group_detail, name="group_detail"),
    path("groups/<int:group_id>/resolve/", group_views.resolve_group, name="group_resolve"),
    path("groups/<int:group_id>/unresolve/", group_views.unresolve_group, name="group_unresolve"),
    path("groups/<int:group_id>/mute/", group_views.mute_group, name="group_mute"),
    path("groups/<int:group_id>/unmute/", group_views.unmute_group, name="group_unmute"),
    path("errors/bulk-resolve/", views.bulk_resolve, name="error_bulk_resolve"),
    path(
        "errors/export.csv",
        export_views.export_errors,
        {"file_format": "csv"},
        name="error_export_csv",
    ),
    path(
        "errors/export.jsonl",
        export_views.export_errors,
        {"file_format": "jsonl"},
        name="error_export_jsonl",
    ),
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
]
