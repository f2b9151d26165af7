"""The JSON shapes of an error group: a list row, the group with its activity, and the
inputs of the resolve and mute endpoints."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from errors.api.serializers import ResolvedBySerializer
from errors.models import ActivityKind, ErrorGroup, ErrorGroupActivity, Severity


def staff_summary(staff) -> dict | None:
    if staff is None:
        return None
    return {"id": str(staff.pk), "name": staff.get_full_name() or staff.get_username()}


class ErrorGroupSerializer(serializers.ModelSerializer):
    """One group in a list: its figures and state, lifetime counts included."""

    severity_name = serializers.SerializerMethodField()
    resolved_by = serializers.SerializerMethodField()
    is_regressed = serializers.BooleanField(read_only=True)

    class Meta:
        model = ErrorGroup
        fields = [
            "id",
            "title",
            "exception_type",
            "culprit",
            "app",
            "severity",
            "severity_name",
            "count",
            "shed_count",
            "first_seen",
            "last_seen",
            "first_release",
            "last_release",
            "resolved",
            "resolved_by",
            "resolved_timestamp",
            "resolved_in_next_release",
            "is_regressed",
            "regressed_at",
            "is_muted",
            "muted_until",
            "mute_remaining",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(choices=[*Severity.names, "OTHER"], read_only=True)
    )
    def get_severity_name(self, group: ErrorGroup) -> str:
        return Severity(group.severity).name if group.severity in Severity.values else "OTHER"

    @extend_schema_field(ResolvedBySerializer(allow_null=True))
    def get_resolved_by(self, group: ErrorGroup) -> dict | None:
        return staff_summary(group.resolved_by)


class ActivitySerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ActivityKind.choices, read_only=True)
    who = serializers.SerializerMethodField()

    class Meta:
        model = ErrorGroupActivity
        fields = ["kind", "who", "when"]
        read_only_fields = fields

    @extend_schema_field(ResolvedBySerializer(allow_null=True))
    def get_who(self, entry: ErrorGroupActivity) -> dict | None:
        return staff_summary(entry.who)


class ErrorGroupDetailSerializer(ErrorGroupSerializer):
    """One group with why its occurrences were grouped and its timeline, newest first."""

    fingerprint_parts = serializers.JSONField(read_only=True)
    activity = serializers.SerializerMethodField()

    class Meta(ErrorGroupSerializer.Meta):
        fields = [*ErrorGroupSerializer.Meta.fields, "fingerprint_parts", "activity"]
        read_only_fields = fields

    @extend_schema_field(ActivitySerializer(many=True))
    def get_activity(self, group: ErrorGroup) -> list[dict]:
        return ActivitySerializer(self.context.get("activity", []), many=True).data


class ResolveGroupSerializer(serializers.Serializer):
    in_next_release = serializers.BooleanField(
        default=False,
        help_text="Only an occurrence from a release first seen after now reopens the group.",
    )


class MuteGroupSerializer(serializers.Serializer):
    """Mute for good (an empty body), until a moment, or for the next N occurrences."""

    until = serializers.DateTimeField(
        required=False, help_text="Unmute at this moment (in the future)."
    )
    for_occurrences = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Unmute with the N-th occurrence after now.",
    )

    def validate_until(self, value):
        if value <= timezone.now():
            raise serializers.ValidationError("Must be in the future.")
        return value

    def validate(self, attrs: dict) -> dict:
        if "until" in attrs and "for_occurrences" in attrs:
            raise serializers.ValidationError("Give until or for_occurrences, not both.")
        return attrs
