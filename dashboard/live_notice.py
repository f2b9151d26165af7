"""The live notice on the lists: where the page polls for what arrived since it was rendered,
and how often. The slot is empty until something matching the page's filters arrives, and
floats over the page, so nothing the reader is looking at moves."""

import datetime
from dataclasses import dataclass

from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from dashboard.tables import query_with

# Every 15 s, so a new error shows within 30 s even when a poll just missed it.
LIVE_POLL_SECONDS = 15
SINCE = "since"


@dataclass(frozen=True)
class LiveNotice:
    """What a list page's notice slot needs: the URL it polls (the page's filters and the
    moment the page was rendered) and the interval."""

    poll_url: str
    poll_seconds: int = LIVE_POLL_SECONDS

    @classmethod
    def for_list(
        cls, news_view: str, params: QueryDict, *, opened_at: datetime.datetime | None = None
    ) -> "LiveNotice":
        opened_at = opened_at or timezone.now()
        since = opened_at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
        return cls(poll_url=reverse(news_view) + query_with(params, **{SINCE: since}))


def show_url(list_view: str, params: QueryDict) -> str:
    """The list with the same filters, first page: what "show" loads."""
    query = query_with(params, **{SINCE: None})
    return reverse(list_view) + (query if query != "?" else "")
