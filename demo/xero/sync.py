"""Xero contact and invoice sync, the way a workshop app pushes jobs to accounting."""

import logging

from demo.records import DemoJob
from errors.context import extract_job_context
from errors.models import AppError
from errors.services import persist_app_error


class XeroApiError(Exception):
    pass


class XeroSyncError(Exception):
    pass


class XeroContactSync:
    def push_contact(self, job: DemoJob, *, user_id, failure: str) -> AppError | None:
        try:
            self._call_api("Contacts", job, failure)
        except XeroApiError as exc:
            return persist_app_error(
                exc,
                severity=logging.WARNING if "rate limit" in failure.lower() else logging.ERROR,
                job_id=job.id,
                user_id=user_id,
                additional_context={"job": extract_job_context(job), "endpoint": "Contacts"},
            )

    def _call_api(self, endpoint: str, job: DemoJob, failure: str) -> None:
        raise XeroApiError(f"{endpoint}: {failure} (client {job.client!r})")


def sync_invoice(job: DemoJob, *, user_id, failure: str) -> AppError | None:
    try:
        try:
            raise XeroApiError(f"Invoices: {failure}")
        except XeroApiError as api_error:
            raise XeroSyncError(f"Invoice for job {job.job_number} not synced") from api_error
    except XeroSyncError as exc:
        return persist_app_error(
            exc,
            severity=logging.CRITICAL if "token" in failure.lower() else logging.ERROR,
            job_id=job.id,
            user_id=user_id,
            additional_context={"invoice_total": job.quoted, "job": extract_job_context(job)},
        )
