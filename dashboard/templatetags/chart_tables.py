"""``{% chart_table charts "by_app" "Errors by app" %}``: a chart's numbers as a small table,
so readers without JavaScript (or without the canvas) get the same figures."""

import json
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from dashboard.charts import chart_rows

register = template.Library()
# What json_script escapes so the JSON cannot close its <script> element.
SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.inclusion_tag("dashboard/_chart_table.html")
def chart_table(charts: dict[str, Any], series: str, caption: str) -> dict[str, Any]:
    datasets = charts.get(series) or []
    return {
        "caption": caption,
        "bucket": charts.get("bucket", ""),
        "labels": [dataset["label"] for dataset in datasets],
        "rows": chart_rows(datasets, charts.get("titles") or []),
    }


@register.filter
def compact_json_script(value: Any, element_id: str) -> SafeString:
    """Django's ``json_script`` without the spaces after commas and colons (a month of
    chart data is a few KB of the page): the same escaping, so it is as safe."""
    text = json.dumps(value, cls=DjangoJSONEncoder, separators=(",", ":"))
    return format_html(
        '<script id="{}" type="application/json">{}</script>',
        element_id,
        mark_safe(text.translate(SCRIPT_ESCAPES)),
    )
