"""The quick time ranges above a list, as links: each one a shareable URL that stays
relative (``range=24h`` means the last 24 hours whenever the link is opened)."""

from dataclasses import dataclass

from django.http import QueryDict

from dashboard.tables import query_with
from errors.filters import QUICK_RANGE_CHOICES


@dataclass(frozen=True)
class QuickRange:
    label: str
    query: str
    is_current: bool


def quick_range_links(params: QueryDict) -> list[QuickRange]:
    """One link per quick range: the current filters with that range, instead of any
    from/to dates (a range and dates together would narrow to their overlap)."""
    current = params.get("range", "")
    return [
        QuickRange(
            label,
            query_with(params, range=value, timestamp__gte=None, timestamp__lte=None),
            value == current,
        )
        for value, label in QUICK_RANGE_CHOICES
    ]
