"""The JSON shapes of alert rules and their deliveries. A rule's webhook address is shown
masked; sending the masked address back keeps the stored one."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from errors.alerts.models import (
    RULE_FIELDS,
    AlertDelivery,
    AlertRule,
    Channel,
    DeliveryStatus,
    Event,
    Trigger,
    WebhookFormat,
)
from errors.alerts.rules import MAX_EMAILS, MAX_THRESHOLD_MINUTES, check_alert_rule
from errors.alerts.services import save_alert_rule
from errors.alerts.webhook_urls import mask_webhook_url
from errors.models import Severity

SEVERITY_NAMES = [*Severity.names, *(name.lower() for name in Severity.names)]


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "enum": list(Severity.values)},
            {"type": "string", "enum": SEVERITY_NAMES},
        ],
        "nullable": True,
        "description": "Only errors at least this severe (a logging level, by number or "
        "name); null for any. Answered as the number.",
    }
)
class SeverityField(serializers.Field):
    default_error_messages = {
        "invalid": "Give a logging level: {levels}, or a name.",
    }

    def to_internal_value(self, value: Any) -> int:
        if isinstance(value, str) and value.strip().upper() in Severity.names:
            return int(Severity[value.strip().upper()])
        if isinstance(value, int) and not isinstance(value, bool) and value in Severity.values:
            return value
        if isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
            if number in Severity.values:
                return number
        self.fail("invalid", levels=", ".join(str(level) for level in Severity.values))

    def to_representation(self, value: int) -> int:
        return value


class AlertRuleSerializer(serializers.ModelSerializer):
    triggers = serializers.ListField(
        child=serializers.ChoiceField(choices=Trigger.choices), allow_empty=False, max_length=4
    )
    min_severity = SeverityField(required=False, allow_null=True, default=None)
    threshold_count = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False, allow_null=True
    )
    threshold_minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_THRESHOLD_MINUTES, required=False, allow_null=True
    )
    webhook_url = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="http or https, any host. Answered masked (user, query values and long "
        "path segments hidden); sending the masked value back keeps the stored address.",
    )
    webhook_format = serializers.ChoiceField(choices=WebhookFormat.choices, required=False)
    emails = serializers.ListField(
        child=serializers.EmailField(), required=False, max_length=MAX_EMAILS
    )
    max_per_hour = serializers.IntegerField(min_value=1, max_value=100_000, required=False)

    class Meta:
        model = AlertRule
        fields = ["id", *RULE_FIELDS, "created"]
        read_only_fields = ["id", "created"]

    def to_representation(self, rule: AlertRule) -> dict[str, Any]:
        data = super().to_representation(rule)
        data["webhook_url"] = mask_webhook_url(rule.webhook_url)
        return data

    def validate_webhook_url(self, url: str) -> str:
        stored = self.instance.webhook_url if self.instance else ""
        return stored if stored and url == mask_webhook_url(stored) else url

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current = {
            field: getattr(self.instance, field)
            for field in self.Meta.fields
            if self.instance is not None and field not in attrs
        }
        problems = check_alert_rule({**current, **attrs})
        if problems:
            raise serializers.ValidationError(problems)
        return attrs

    def create(self, validated_data: dict[str, Any]) -> AlertRule:
        return save_alert_rule(rule=AlertRule(**validated_data))

    def update(self, rule: AlertRule, validated_data: dict[str, Any]) -> AlertRule:
        for field, value in validated_data.items():
            setattr(rule, field, value)
        return save_alert_rule(rule=rule)


class DeliveryGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class AlertDeliverySerializer(serializers.ModelSerializer):
    event = serializers.ChoiceField(choices=Event.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    group = serializers.SerializerMethodField()

    class Meta:
        model = AlertDelivery
        fields = [
            "id",
            "event",
            "channel",
            "status",
            "group",
            "due_at",
            "attempts",
            "last_error",
            "sent_at",
            "next_attempt_at",
            "hour",
            "details",
        ]
        read_only_fields = fields

    @extend_schema_field(DeliveryGroupSerializer(allow_null=True))
    def get_group(self, delivery: AlertDelivery) -> dict | None:
        group = delivery.group
        return None if group is None else {"id": group.pk, "title": group.title}
