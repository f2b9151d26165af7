"""``{% chart_table charts "by_app" "Errors by app" %}``: a chart's numbers as a small table,
so readers without JavaScript (or without the canvas) get the same figures."""

from typing import Any

from django import template

from dashboard.charts import chart_rows

register = template.Library()


@register.inclusion_tag("dashboard/_chart_table.html")
def chart_table(charts: dict[str, Any], series: str, caption: str) -> dict[str, Any]:
    datasets = charts.get(series) or []
    return {
        "caption": caption,
        "bucket": charts.get("bucket", ""),
        "labels": [dataset["label"] for dataset in datasets],
        "rows": chart_rows(datasets, charts.get("titles") or []),
    }
