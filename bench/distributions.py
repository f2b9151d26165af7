"""What a busy workshop app's error table looks like, row by row.

A few hot apps and functions and a long tail (Zipf weights) over 4,000 sites, which group
into about 10,000 error groups of skewed sizes (the hottest site raises one exception only, so
its group holds over a tenth of the rows), severities mostly ERROR and
WARNING, 70% resolved by a real staff member, job and user ids drawn from small pools so they
repeat, 2-5 KB tracebacks, timestamps over the last 90 days. Everything comes from one
``random.Random``, so a seed gives the same rows every time.
"""

import dataclasses
import datetime
import json
import random
import uuid
from collections.abc import Iterator, Sequence

APPS = (
    "xero",
    "jobs",
    "reports",
    "rest",
    "purchasing",
    "timesheets",
    "quoting",
    "scheduling",
    "stock",
    "accounts",
    "email",
    "workflow",
    "costing",
    "client_portal",
    "imports",
)
VERBS = (
    "sync",
    "push",
    "pull",
    "build",
    "render",
    "import",
    "export",
    "post",
    "send",
    "match",
    "reconcile",
    "allocate",
    "approve",
    "schedule",
    "refresh",
    "archive",
    "validate",
    "price",
)
NOUNS = (
    "invoice",
    "quote",
    "job",
    "timesheet",
    "purchase_order",
    "contact",
    "payment",
    "stock_item",
    "report",
    "schedule",
    "email",
    "attachment",
    "cost_line",
    "client",
    "supplier",
    "bill",
)
EXCEPTIONS = (
    ("xero_python.exceptions.AccountingBadRequestException", "Validation error: {noun} {n}"),
    ("requests.exceptions.ConnectionError", "Connection aborted while sending {noun} {n}"),
    ("requests.exceptions.ReadTimeout", "Read timed out after 30s ({noun} {n})"),
    ("django.db.utils.IntegrityError", "duplicate key value violates unique constraint on {noun}"),
    ("KeyError", "'{noun}_id'"),
    ("ValueError", "Invalid {noun} amount: '{n}.00x'"),
    ("TypeError", "unsupported operand type(s) for +: 'Decimal' and 'NoneType' ({noun} {n})"),
    ("AttributeError", "'NoneType' object has no attribute '{noun}'"),
    ("django.core.exceptions.ValidationError", "['{noun} {n} is locked for editing']"),
    ("smtplib.SMTPRecipientsRefused", "Recipient refused for {noun} {n}"),
    ("PermissionError", "[Errno 13] Permission denied: '/srv/media/{noun}/{n}.pdf'"),
)
# DEBUG, INFO, WARNING, ERROR, CRITICAL
SEVERITIES = (10, 20, 30, 40, 50)
SEVERITY_WEIGHTS = (2, 6, 30, 55, 7)
RESOLVED_SHARE = 0.70
JOB_POOL, USER_POOL = 20_000, 300
JOB_SHARE, USER_SHARE = 0.6, 0.5
SPAN = datetime.timedelta(days=90)
TRACE_VARIANTS = 4


@dataclasses.dataclass(frozen=True)
class Site:
    """One place errors come from: an app, its file, its function, what it raises."""

    app: str
    file: str
    function: str
    exceptions: tuple[tuple[str, str], ...]
    noun: str
    traces: tuple[str, ...]


def zipf_weights(count: int, exponent: float = 1.1) -> list[float]:
    return [1 / (rank**exponent) for rank in range(1, count + 1)]


SITES = 4000


def build_sites(rng: random.Random, count: int = SITES) -> list[Site]:
    """The error sites, hottest first: app weights and function weights both follow Zipf."""
    sites = []
    app_weights = zipf_weights(len(APPS))
    for index in range(count):
        app = rng.choices(APPS, app_weights)[0]
        verb, noun = rng.choice(VERBS), rng.choice(NOUNS)
        module = rng.choice(("services", "tasks", "views", "sync", "api", "forms"))
        klass = "".join(part.title() for part in noun.split("_")) + rng.choice(
            ("Service", "Sync", "View", "Task", "Builder")
        )
        function = f"{klass}.{verb}_{noun}" if index % 3 else f"{verb}_{noun}_{index}"
        file = f"apps/{app}/{module}.py"
        exceptions = tuple(rng.sample(EXCEPTIONS, rng.randint(1, 4) if index else 1))
        traces = tuple(
            build_trace(rng, app=app, file=file, function=function, exception=exceptions[0][0])
            for _ in range(TRACE_VARIANTS)
        )
        sites.append(Site(app, file, function, exceptions, noun, traces))
    return sites


def build_trace(rng: random.Random, *, app: str, file: str, function: str, exception: str) -> str:
    """A Python traceback of 2-5 KB: framework frames, the app's own frames, the raise."""
    target = rng.randint(2048, 5120)
    frames = [
        (
            "/srv/app/.venv/lib/python3.11/site-packages/django/core/handlers/exception.py",
            "inner",
            "response = get_response(request)",
        ),
        (
            "/srv/app/.venv/lib/python3.11/site-packages/django/core/handlers/base.py",
            "_get_response",
            "response = wrapped_callback(request, *callback_args, **callback_kwargs)",
        ),
    ]
    lines = ["Traceback (most recent call last):"]
    body = 0
    while body < target - 400:
        path, name, code = (
            frames[len(lines) % len(frames)]
            if len(lines) < 5
            else (
                f"/srv/app/apps/{app}/{rng.choice(('services', 'models', 'utils', 'client'))}.py",
                rng.choice(("_request", "_post", "save", "clean", "_build_payload", "handle")),
                rng.choice(
                    (
                        "payload = self._build_payload(instance, include_lines=True)",
                        "return self.session.post(url, json=payload, timeout=self.timeout)",
                        "instance.full_clean(exclude=['created_by'])",
                        "total = sum(line.amount for line in lines) + instance.adjustment",
                        "response.raise_for_status()",
                    )
                ),
            )
        )
        frame = f'  File "{path}", line {rng.randint(12, 900)}, in {name}\n    {code}'
        lines.append(frame)
        body += len(frame) + 1
    method = function.rsplit(".", 1)[-1]
    lines.append(
        f'  File "/srv/app/{file}", line {rng.randint(12, 600)}, in {method}\n'
        f"    raise {exception.rsplit('.', 1)[-1]}(detail)"
    )
    lines.append(f"{exception}: see message")
    return "\n".join(lines)


def pool(rng: random.Random, size: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(size)]


@dataclasses.dataclass
class ErrorRows:
    """An endless, seeded source of error rows as plain Python values (column name -> value)."""

    seed: int
    staff_ids: Sequence[uuid.UUID]
    end: datetime.datetime

    def __post_init__(self) -> None:
        shape = random.Random(f"{self.seed}:shape")
        self.sites = build_sites(shape)
        self.site_weights = zipf_weights(len(self.sites), 1.05)
        self.jobs = pool(shape, JOB_POOL)
        self.job_weights = zipf_weights(JOB_POOL, 0.8)
        self.users = pool(shape, USER_POOL)
        self.user_weights = zipf_weights(USER_POOL, 0.9)

    def rows(self, start: int, count: int) -> Iterator[dict]:
        """Rows ``start`` to ``start + count``: a top-up continues where the table left off."""
        rng = random.Random(f"{self.seed}:{start}")
        span = SPAN.total_seconds()
        sites = rng.choices(self.sites, self.site_weights, k=count)
        severities = rng.choices(SEVERITIES, SEVERITY_WEIGHTS, k=count)
        jobs = rng.choices(self.jobs, self.job_weights, k=count)
        users = rng.choices(self.users, self.user_weights, k=count)
        for site, severity, job, user in zip(sites, severities, jobs, users, strict=True):
            timestamp = self.end - datetime.timedelta(seconds=rng.random() * span)
            exception, template = rng.choice(site.exceptions)
            number = rng.randint(1000, 99999)
            message = template.format(noun=site.noun, n=number)
            data = {
                "trace": rng.choice(site.traces).replace("see message", message, 1),
                "exception_type": exception,
                f"{site.noun}_number": number,
            }
            is_job = rng.random() < JOB_SHARE
            is_user = rng.random() < USER_SHARE
            if is_user:
                data["request"] = {"method": "POST", "path": f"/{site.app}/{site.noun}s/{number}/"}
            resolved = rng.random() < RESOLVED_SHARE
            resolved_at = None
            if resolved:
                resolved_at = min(
                    timestamp + datetime.timedelta(seconds=rng.random() * 7 * 86400), self.end
                )
            yield {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "timestamp": timestamp,
                "message": message,
                "data": json.dumps(data),
                "exception_type": exception,
                "app": site.app,
                "file": site.file,
                "function": site.function,
                "severity": severity,
                "job_id": job if is_job else None,
                "user_id": user if is_user else None,
                "resolved": resolved,
                "resolved_by_id": rng.choice(self.staff_ids) if resolved else None,
                "resolved_timestamp": resolved_at,
            }
