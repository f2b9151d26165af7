"""The alert rule form: the same checks as the API (errors.alerts.rules.check_alert_rule),
shown next to their fields."""

from typing import Any

from django import forms

from errors.alerts.models import RULE_FIELDS, AlertRule, Trigger, WebhookFormat
from errors.alerts.rules import check_alert_rule
from errors.alerts.webhook_urls import mask_webhook_url
from errors.models import Severity


class AlertRuleForm(forms.ModelForm):
    triggers = forms.MultipleChoiceField(
        choices=Trigger.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    min_severity = forms.TypedChoiceField(
        choices=[("", "Any"), *Severity.choices],
        coerce=int,
        empty_value=None,
        required=False,
        label="Minimum severity",
    )
    webhook_url = forms.CharField(
        max_length=2000,
        required=False,
        label="Webhook address",
        help_text="http or https, any host (a chat server on your network too). Shown masked "
        "once saved; leave it as shown to keep it.",
        widget=forms.TextInput(attrs={"placeholder": "https://hooks.slack.com/services/…"}),
    )
    webhook_format = forms.ChoiceField(choices=WebhookFormat.choices, label="Webhook format")
    emails = forms.CharField(
        required=False,
        label="E-mail addresses",
        help_text="One per line, or separated by commas.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = AlertRule
        fields = list(RULE_FIELDS)
        labels = {
            "app": "Only app",
            "environment": "Only environment",
            "threshold_count": "Threshold: occurrences",
            "threshold_minutes": "within minutes",
            "max_per_hour": "At most alerts per hour",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The stored list as lines (a new rule's [] is no text), the address masked.
        self.initial["emails"] = "\n".join(self.instance.emails or [])
        self.initial["webhook_url"] = mask_webhook_url(self.instance.webhook_url)

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"].strip()
        stored = self.instance.webhook_url
        return stored if stored and url == mask_webhook_url(stored) else url

    def clean_emails(self) -> list[str]:
        text = self.cleaned_data["emails"].replace(",", "\n")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for field, messages in check_alert_rule(cleaned).items():
            for message in messages:
                if field in self.fields and field not in self._errors:
                    self.add_error(field, message)
        return cleaned
