"""``{% moment value %}`` and ``{% moment value relative=True %}``: a moment as a ``<time>``
element that reads as people say it ("2 Nov 14:00", or "3 hours ago" where the distance
matters more than the date), with the full date and zone on hover."""

import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

from dashboard.dates import format_moment, format_moment_in_full
from dashboard.tables import time_ago

register = template.Library()


@register.simple_tag
def moment(value: datetime.datetime | None, relative: bool = False) -> str:
    if value is None:
        return ""
    text = time_ago(value, timezone.now()) if relative else format_moment(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        format_moment_in_full(value),
        text,
    )
