"""The JSON shapes of an error: a list row, the full record, and the inputs and outputs of
the triage endpoints."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from errors.models import AppError, Severity


class ResolvedBySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class AppErrorSerializer(serializers.ModelSerializer):
    """One error in a list: everything but ``data``, whose trace runs to kilobytes."""

    severity_name = serializers.SerializerMethodField()
    exception_type = serializers.SerializerMethodField()
    resolved_by = serializers.SerializerMethodField()

    class Meta:
        model = AppError
        fields = [
            "id",
            "timestamp",
            "message",
            "exception_type",
            "app",
            "file",
            "function",
            "severity",
            "severity_name",
            "job_id",
            "user_id",
            "resolved",
            "resolved_by",
            "resolved_timestamp",
            "group",
            "release",
            "environment",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(choices=[*Severity.names, "OTHER"], read_only=True)
    )
    def get_severity_name(self, error: AppError) -> str:
        return Severity(error.severity).name if error.severity in Severity.values else "OTHER"

    def get_exception_type(self, error: AppError) -> str | None:
        return error.recorded_exception_type or None

    @extend_schema_field(ResolvedBySerializer(allow_null=True))
    def get_resolved_by(self, error: AppError) -> dict | None:
        staff = error.resolved_by
        if staff is None:
            return None
        return {"id": str(staff.pk), "name": staff.get_full_name() or staff.get_username()}


class AppErrorDetailSerializer(AppErrorSerializer):
    """One error with everything recorded about it, the JSON ``data`` (trace, context)
    included."""

    data = serializers.JSONField(read_only=True)

    class Meta(AppErrorSerializer.Meta):
        fields = [*AppErrorSerializer.Meta.fields, "data"]
        read_only_fields = fields


class BulkResolveSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=1000,
        help_text="Errors to resolve. Without it, every error the query's filters match.",
    )


class BulkResolveResultSerializer(serializers.Serializer):
    resolved = serializers.IntegerField(help_text="How many errors changed.")


class TrendSerializer(serializers.Serializer):
    """The buckets the dashboard charts draw."""

    bucket = serializers.ChoiceField(choices=["hour", "day"])
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    labels = serializers.ListField(child=serializers.CharField())
    by_severity = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField())
    )
    by_app = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()))
    total = serializers.IntegerField()
