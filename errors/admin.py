from django.contrib import admin, messages

from errors.models import AppError
from errors.services import resolve_app_errors, unresolve_app_errors


@admin.register(AppError)
class AppErrorAdmin(admin.ModelAdmin):
    list_display = ("timestamp", "severity", "app", "function", "short_message", "resolved")
    list_filter = ("severity", "app", "resolved", "timestamp")
    search_fields = ("message",)
    date_hierarchy = "timestamp"
    readonly_fields = ("id", "timestamp", "resolved_by", "resolved_timestamp")
    actions = ("mark_resolved", "mark_unresolved")
    # An exact COUNT(*) over millions of rows is the changelist's main cost.
    show_full_result_count = False

    @admin.display(description="message")
    def short_message(self, obj: AppError) -> str:
        return obj.message[:120]

    @admin.action(description="Mark selected errors resolved", permissions=["change"])
    def mark_resolved(self, request, queryset) -> None:
        changed = resolve_app_errors(errors=queryset, by=request.user)
        self.message_user(request, f"{changed} error(s) marked resolved.", messages.SUCCESS)

    @admin.action(description="Mark selected errors unresolved", permissions=["change"])
    def mark_unresolved(self, request, queryset) -> None:
        changed = unresolve_app_errors(errors=queryset)
        self.message_user(request, f"{changed} error(s) marked unresolved.", messages.SUCCESS)
