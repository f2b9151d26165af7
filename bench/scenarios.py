"""What is measured over HTTP: each view of the error list beside the same view of the
Django admin changelist, the chart data, the detail page; the group list (the dashboard's
front page) with each filter, sort and a search for a common word, and the biggest group's
page."""

import dataclasses
import datetime
from collections import Counter
from urllib.parse import urlencode

ADMIN_CHANGELIST = "/admin/errors/apperror/"
ERROR_LIST = "/errors/"
GROUP_LIST = "/"
# list_display = (timestamp, severity, ...): the admin sorts by column number.
ADMIN_SEVERITY_COLUMN = 2
ADMIN_PER_PAGE = 100
DEEP_PAGE = 500


@dataclasses.dataclass(frozen=True)
class PageRequest:
    name: str
    path: str
    headers: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Samples:
    """Real values from the benchmark table, so every filter selects real rows."""

    app: str
    function: str
    job_id: str
    user_id: str
    error_id: str


def pick_samples() -> Samples:
    """The hottest app and function (what a user filters by first), a busy job and user,
    and a recent error for the detail page."""
    from django.db.models import Count

    from errors.models import AppError

    recent = list(
        AppError.objects.order_by("-timestamp", "-id").values_list("id", "app", "function")[:500]
    )
    hot = Counter((app, function) for _, app, function in recent).most_common(1)[0][0]
    busy = AppError.objects.filter(timestamp__gte=_days_ago(7)).exclude(job_id=None)
    job = busy.values("job_id").annotate(n=Count("id")).order_by("-n")[:1].get()["job_id"]
    users = AppError.objects.filter(timestamp__gte=_days_ago(7)).exclude(user_id=None)
    user = users.values("user_id").annotate(n=Count("id")).order_by("-n")[:1].get()["user_id"]
    return Samples(
        app=hot[0],
        function=hot[1],
        job_id=str(job),
        user_id=str(user),
        error_id=str(recent[0][0]),
    )


def _days_ago(days: int) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)


def list_scenarios(samples: Samples, rows: int) -> list[tuple[PageRequest, PageRequest]]:
    """(dashboard, admin) pairs asking for the same rows. The deep page is page 500, or the
    deepest both lists have when the table is small (the admin shows 100 rows a page)."""
    deep = max(1, min(DEEP_PAGE, rows // ADMIN_PER_PAGE))
    week_ago = _days_ago(7).strftime("%Y-%m-%d %H:%M:%S")
    pairs = [
        ("default", {}, {}),
        ("severity=ERROR", {"severity": 40}, {"severity__exact": 40}),
        ("app", {"app": samples.app}, {"app": samples.app}),
        ("function", {"function": samples.function}, {"function": samples.function}),
        ("unresolved", {"resolved": "false"}, {"resolved__exact": 0}),
        ("job", {"job_id": samples.job_id}, {"job_id": samples.job_id}),
        ("user", {"user_id": samples.user_id}, {"user_id": samples.user_id}),
        ("last 7 days", {"range": "7d"}, {"timestamp__gte": week_ago}),
        (
            "app + ERROR + unresolved",
            {"app": samples.app, "severity": 40, "resolved": "false"},
            {"app": samples.app, "severity__exact": 40, "resolved__exact": 0},
        ),
        ("sorted by severity", {"ordering": "-severity"}, {"o": f"-{ADMIN_SEVERITY_COLUMN}"}),
        # Page 1 is the list's default: its shared URL carries no page (one with page=1
        # is redirected there), while the admin's does.
        ("page 1", {}, {"p": 1}),
        (f"page {deep}", {"page": deep} if deep > 1 else {}, {"p": deep}),
    ]
    return [
        (
            PageRequest(name, _with_query(ERROR_LIST, ours)),
            PageRequest(f"admin: {name}", _with_query(ADMIN_CHANGELIST, theirs)),
        )
        for name, ours, theirs in pairs
    ]


def chart_scenarios() -> list[PageRequest]:
    """The chart data as the dashboard fetches it: the list page's summary partial (counts
    and both charts' data), which htmx refreshes after every resolve."""
    headers = {"HX-Request": "true", "HX-Target": "summary"}
    return [
        PageRequest("chart: default range", ERROR_LIST, headers),
        PageRequest("chart: 90 days", f"{ERROR_LIST}?range=90d", headers),
    ]


def common_word() -> str:
    """A word of the generated messages that one error in ten or more holds: what makes
    a search expensive."""
    return "invoice"


def group_scenarios(samples: Samples) -> list[PageRequest]:
    """The group list as staff use it: the default view, each filter, each sort, a search."""
    views = [
        ("default", {}),
        ("all statuses", {"status": "all"}),
        ("resolved", {"status": "resolved"}),
        ("app", {"app": samples.app}),
        ("severity=ERROR", {"severity": 40}),
        ("job", {"job_id": samples.job_id, "status": "all"}),
        ("user", {"user_id": samples.user_id, "status": "all"}),
        ("last 7 days", {"range": "7d"}),
        ("sorted by count", {"ordering": "-count"}),
        ("sorted by first seen", {"ordering": "-first_seen"}),
        ("sorted by severity", {"ordering": "-severity"}),
        (f"search: {common_word()}", {"search": common_word()}),
    ]
    pages = [
        PageRequest(f"groups: {name}", _with_query(GROUP_LIST, query)) for name, query in views
    ]
    pages.append(
        PageRequest(
            f"errors: search {common_word()}", _with_query(ERROR_LIST, {"search": common_word()})
        )
    )
    return pages


def biggest_group_scenario() -> PageRequest:
    from errors.models import ErrorGroup

    biggest = ErrorGroup.objects.order_by("-count", "-id").values_list("pk", flat=True).first()
    return PageRequest("group page: the biggest group", f"/groups/{biggest}/")


def detail_scenario(samples: Samples) -> PageRequest:
    return PageRequest("detail page", f"/errors/{samples.error_id}/")


def _with_query(path: str, params: dict) -> str:
    return f"{path}?{urlencode(params)}" if params else path
