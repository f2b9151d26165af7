"""Which demo failures happen, and how often: a few hot spots and a long tail."""

from collections.abc import Callable

from demo.jobs.aging import JobAgingService
from demo.reports.kpi import KPICalculator, weekly_summary
from demo.rest.views import JobRestView
from demo.xero.sync import XeroContactSync, sync_invoice


def _with_job(action: Callable) -> Callable:
    return lambda job, user_id, failure: action(job, user_id=user_id, failure=failure)


SCENARIOS: list[tuple[int, Callable, list[str]]] = [
    (
        30,
        _with_job(XeroContactSync().push_contact),
        [
            "Rate limit exceeded, retry after 60s",
            "Contact name already assigned to another contact",
            "Validation error: EmailAddress is invalid",
        ],
    ),
    (
        20,
        _with_job(sync_invoice),
        [
            "OAuth token expired",
            "Account code 200 is archived",
            "Invoice total does not match line items",
        ],
    ),
    (
        18,
        _with_job(JobAgingService().age_in_days),
        [
            "missing status history",
            "status changed before job was created",
        ],
    ),
    (
        12,
        _with_job(KPICalculator().monthly_margin),
        [
            "no billable hours",
            "negative margin on fixed-price job",
        ],
    ),
    (
        10,
        _with_job(JobRestView().post),
        [
            "Staff member may not edit a completed job",
            "CSRF verification failed",
        ],
    ),
    (6, _with_job(JobRestView().delete), ["Job has linked invoices and cannot be deleted"]),
    (
        4,
        lambda job, user_id, failure: weekly_summary(user_id=user_id, failure=failure),
        [
            "KPI report query timed out after 30s",
        ],
    ),
]
