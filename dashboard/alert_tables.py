"""The alert rule list and a rule's deliveries, as django-tables2 tables."""

import django_tables2 as tables

from errors.alerts.models import AlertDelivery, AlertRule


class AlertRuleTable(tables.Table):
    name = tables.TemplateColumn(template_name="dashboard/alerts/cells/_rule_name.html")
    triggers = tables.TemplateColumn(
        template_name="dashboard/alerts/cells/_triggers.html", orderable=False
    )
    watches = tables.TemplateColumn(
        template_name="dashboard/alerts/cells/_watches.html", orderable=False, empty_values=()
    )
    destinations = tables.TemplateColumn(
        template_name="dashboard/alerts/cells/_destinations.html",
        orderable=False,
        empty_values=(),
        verbose_name="Sends to",
    )
    max_per_hour = tables.Column(verbose_name="Per hour at most", attrs={"td": {"class": "num"}})
    enabled = tables.BooleanColumn(yesno="on,off")

    class Meta:
        model = AlertRule
        template_name = "dashboard/_group_table.html"
        attrs = {"class": "errors alert-rules"}
        fields = ("name", "triggers", "watches", "destinations", "max_per_hour", "enabled")
        orderable = False
        empty_text = "No rules yet: nothing is sent."


class AlertDeliveryTable(tables.Table):
    due_at = tables.TemplateColumn(
        template_name="dashboard/alerts/cells/_when.html", verbose_name="Due"
    )
    event = tables.Column(accessor="get_event_display")
    channel = tables.Column(accessor="get_channel_display", verbose_name="Via")
    group = tables.TemplateColumn(
        template_name="dashboard/alerts/cells/_group.html", empty_values=()
    )
    status = tables.TemplateColumn(template_name="dashboard/alerts/cells/_status.html")
    attempts = tables.Column(attrs={"td": {"class": "num"}})

    class Meta:
        model = AlertDelivery
        template_name = "dashboard/_group_table.html"
        attrs = {"class": "errors deliveries", "id": "delivery-table"}
        fields = ("due_at", "event", "channel", "group", "status", "attempts")
        orderable = False
        empty_text = "Nothing sent yet."
