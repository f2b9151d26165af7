"""Job aging: how long each job has sat in each status."""

import logging

from demo.records import DemoJob
from errors.context import extract_job_context
from errors.models import AppError
from errors.services import persist_app_error


class JobAgingService:
    def age_in_days(self, job: DemoJob, *, user_id, failure: str) -> AppError | None:
        try:
            if failure == "missing status history":
                raise KeyError(f"status history for job {job.job_number}")
            raise ValueError(f"Job {job.job_number}: {failure}")
        except (KeyError, ValueError) as exc:
            return persist_app_error(
                exc,
                severity=logging.WARNING,
                job_id=job.id,
                user_id=user_id,
                additional_context={"job": extract_job_context(job), "status": job.status},
            )
