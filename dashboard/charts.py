"""Trend rows (from ``count_app_errors_over_time``) -> the data static/dashboard/charts.js draws.

Everything here is plain data that travels through ``json_script``: labels are never HTML, and
each dataset carries the filter a click on it applies, so the script builds URLs without
knowing the FilterSet.
"""

import datetime
from typing import Any

from django.utils import timezone

from dashboard.dates import format_day, format_moment
from errors.models import Severity

SEVERITY_COLOURS = {
    "CRITICAL": "#7a1010",
    "ERROR": "#d92d20",
    "WARNING": "#f79009",
    "INFO": "#2e90fa",
    "DEBUG": "#98a2b3",
}
APP_COLOURS = ["#2557d6", "#12b76a", "#9e77ed", "#ee46bc", "#f79009", "#0ba5ec"]
OTHER_COLOUR = "#98a2b3"
NOT_NARROWABLE = {"other", "(none)"}


def bucket_ranges(labels: list[str], bucket: str) -> list[list[str]]:
    """For each bucket label (local time), the ``timestamp__gte`` / ``timestamp__lte`` values
    that select exactly that hour or day."""
    tz = timezone.get_current_timezone()
    step = datetime.timedelta(hours=1) if bucket == "hour" else datetime.timedelta(days=1)
    pattern = "%Y-%m-%dT%H:00" if bucket == "hour" else "%Y-%m-%d"
    ranges = []
    for label in labels:
        start = datetime.datetime.strptime(label, pattern).replace(tzinfo=tz)
        end = start + step - datetime.timedelta(microseconds=1)
        ranges.append([start.isoformat(), end.isoformat()])
    return ranges


def bucket_captions(labels: list[str], bucket: str) -> tuple[list[str], list[str]]:
    """For each bucket label (local time), what the axis shows ("2 Nov 14:00", "2 Nov") and
    what a tooltip or the table says ("2 Nov 14:00 to 15:00" with an en dash, "Mon 2 Nov")."""
    axis, titles = [], []
    for label in labels:
        if bucket == "hour":
            start = datetime.datetime.strptime(label, "%Y-%m-%dT%H:00")
            end = start + datetime.timedelta(hours=1)
            axis.append(format_moment(start))
            titles.append(f"{format_moment(start)}\u2013{end:%H:%M}")
        else:
            day = datetime.datetime.strptime(label, "%Y-%m-%d").date()
            axis.append(format_day(day))
            titles.append(f"{day:%a} {format_day(day)}")
    return axis, titles


def chart_rows(datasets: list[dict[str, Any]], titles: list[str]) -> list[dict[str, Any]]:
    """The chart's numbers as table rows, for readers without the canvas: one row per
    bucket that has any, its count per series and its total."""
    rows = []
    for position, title in enumerate(titles):
        counts = [dataset["data"][position] for dataset in datasets]
        if any(counts):
            rows.append({"title": title, "counts": counts, "total": sum(counts)})
    return rows


def build_trend_charts(trend: dict[str, Any]) -> dict[str, Any]:
    """Two stacked bar charts over the same time buckets: by severity and by app."""
    severity_datasets = [
        {
            "label": Severity[name].label if name in Severity.names else name,
            "data": counts,
            "backgroundColor": SEVERITY_COLOURS.get(name, OTHER_COLOUR),
            "filter": {"severity": str(int(Severity[name]))} if name in Severity.names else {},
        }
        for name, counts in trend["by_severity"].items()
    ]
    app_datasets = [
        {
            "label": app,
            "data": counts,
            "backgroundColor": OTHER_COLOUR
            if app in NOT_NARROWABLE
            else APP_COLOURS[position % len(APP_COLOURS)],
            "filter": {} if app in NOT_NARROWABLE else {"app": app},
        }
        for position, (app, counts) in enumerate(trend["by_app"].items())
    ]
    axis_labels, titles = bucket_captions(trend["labels"], trend["bucket"])
    return {
        "bucket": trend["bucket"],
        "labels": trend["labels"],
        "axis_labels": axis_labels,
        "titles": titles,
        "ranges": bucket_ranges(trend["labels"], trend["bucket"]),
        "total": trend["total"],
        "by_severity": severity_datasets,
        "by_app": app_datasets,
        # Set when the trend covers only a search's newest matches (errors.newest_errors).
        "newest": trend.get("newest"),
    }
