"""Dates as staff read them: chips, chart axes and tooltips say "2 Nov 14:00" (the exact
value on hover), and every chart's numbers are also a table for readers without JavaScript."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.charts import bucket_captions, build_trend_charts
from dashboard.dates import format_moment, format_moment_in_full
from errors.models import ErrorGroup
from errors.selectors import count_app_errors_over_time, filter_app_errors
from tests.factories import AppErrorFactory
from tests.group_records import occur

pytestmark = pytest.mark.django_db(databases="__all__")

ERRORS = reverse("error_list")
NOW = datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime.datetime(2026, 11, 2, 14, tzinfo=datetime.UTC), "2 Nov 14:00"),
        (datetime.datetime(2025, 11, 2, 14, tzinfo=datetime.UTC), "2 Nov 2025 14:00"),
        (datetime.datetime(2026, 11, 2, 14, 0, 30, tzinfo=datetime.UTC), "2 Nov 14:00:30"),
        # A range's inclusive end reads as the minute it ends in.
        (datetime.datetime(2026, 11, 2, 14, 59, 59, 999999, tzinfo=datetime.UTC), "2 Nov 14:59"),
    ],
)
def test_moments_read_as_day_month_and_time(settings, moment, text):
    settings.TIME_ZONE = "UTC"
    assert format_moment(moment, now=NOW) == text


def test_chips_show_a_chart_bars_range_as_dates_with_the_exact_value_on_hover(
    staff_client, settings
):
    settings.TIME_ZONE = "UTC"
    html = staff_client.get(
        ERRORS,
        {
            "timestamp__gte": "2024-11-02T14:00:00+00:00",
            "timestamp__lte": "2024-11-02T14:59:59.999999+00:00",
        },
    ).content.decode()
    chips = html[html.index('<ul class="chips"') :]
    chips = chips[: chips.index("</ul>")]
    assert (
        '<time datetime="2024-11-02T14:00:00+00:00" title="Sat 2 Nov 2024 14:00:00 UTC">'
        "2 Nov 2024 14:00</time>"
    ) in chips
    assert ">2 Nov 2024 14:59</time>" in chips
    assert not re.search(r">\s*2024-11-02T", chips)  # no raw ISO text shown


def test_chart_axes_and_tooltips_read_as_dates():
    axis, titles = bucket_captions(["2024-11-02T14:00", "2024-11-02T15:00"], "hour")
    assert axis == ["2 Nov 2024 14:00", "2 Nov 2024 15:00"]
    assert titles[0] == "2 Nov 2024 14:00\u201315:00"
    axis, titles = bucket_captions(["2024-11-02"], "day")
    assert axis == ["2 Nov 2024"] and titles == ["Sat 2 Nov 2024"]


def test_the_chart_data_carries_its_captions_beside_the_exact_buckets():
    AppErrorFactory(age_hours=1)
    filterset = filter_app_errors({"range": "24h"})
    assert filterset.is_valid()
    charts = build_trend_charts(count_app_errors_over_time(filterset))
    assert len(charts["axis_labels"]) == len(charts["labels"]) == len(charts["titles"])
    this_hour = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    assert charts["axis_labels"][-1] == format_moment(this_hour)
    assert "T" not in charts["axis_labels"][-1]


def test_the_error_charts_numbers_are_a_table_too(staff_client):
    AppErrorFactory(app="xero", severity="error", age_hours=1)
    AppErrorFactory(app="xero", severity="error", age_hours=1)
    AppErrorFactory(app="billing", severity="warning", age_hours=1)
    html = staff_client.get(ERRORS, {"range": "24h"}).content.decode()
    tables = re.findall(r'<table class="chart-table".*?</table>', html, re.S)
    assert len(tables) == 2
    by_severity, by_app = tables
    assert "<caption>Errors by severity</caption>" in by_severity
    assert '<th scope="col">Error</th><th scope="col">Warning</th>' in by_severity
    row = re.search(r'<tr><th scope="row">[^<]*</th>(.*?)</tr>', by_severity).group(1)
    assert re.findall(r">(\d+)</td>", row) == ["2", "1", "3"]
    row = re.search(r'<tr><th scope="row">[^<]*</th>(.*?)</tr>', by_app).group(1)
    assert re.findall(r">(\d+)</td>", row) == ["2", "1", "3"]
    assert "dashboard/noscript.css" in html


def test_a_chart_table_escapes_app_names(staff_client):
    AppErrorFactory(app="<b>x</b>", age_hours=1)
    html = staff_client.get(ERRORS).content.decode()
    assert "<b>x</b>" not in html
    assert '<th scope="col">&lt;b&gt;x&lt;/b&gt;</th>' in html


def test_the_group_page_and_the_group_charts_have_their_tables(staff_client):
    group = occur("sync", times=3)
    page = staff_client.get(reverse("group_detail", args=[group.pk])).content.decode()
    assert "<caption>Occurrences of this group</caption>" in page
    assert re.search(r"<td>3</td><td>3</td></tr>", page)
    summary = staff_client.get(
        reverse("group_list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="group-summary"
    ).content.decode()
    assert "<caption>Occurrences by app</caption>" in summary


def test_the_group_page_says_when_in_words_with_the_date_on_hover(staff_client, settings):
    settings.TIME_ZONE = "UTC"
    group = occur("sync")
    ErrorGroup.objects.filter(pk=group.pk).update(
        first_seen=timezone.now() - datetime.timedelta(hours=3, minutes=5)
    )
    group.refresh_from_db()
    html = staff_client.get(reverse("group_detail", args=[group.pk])).content.decode()
    first_seen = (
        f'<time datetime="{group.first_seen.isoformat()}" '
        f'title="{format_moment_in_full(group.first_seen)}">3 hours ago</time>'
    )
    assert first_seen in html
    assert "0 minutes ago" not in html
    # Job and user are typed on the group page, not carried as hidden fields.
    assert '<label>Job <input type="text" name="job_id"' in html


def test_the_moment_tag_writes_a_time_element_and_skips_none(settings):
    settings.TIME_ZONE = "UTC"
    from dashboard.templatetags.moments import moment

    assert moment(None) == ""
    when = datetime.datetime(2024, 11, 2, 14, tzinfo=datetime.UTC)
    assert moment(when) == (
        '<time datetime="2024-11-02T14:00:00+00:00" title="Sat 2 Nov 2024 14:00:00 UTC">'
        "2 Nov 2024 14:00</time>"
    )
