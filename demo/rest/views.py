"""REST views of the job-management app, failing the ways real ones do."""

import logging

from demo.records import DemoJob
from errors.models import AppError
from errors.services import persist_app_error


class JobRestView:
    def post(self, job: DemoJob, *, user_id, failure: str) -> AppError | None:
        try:
            payload = {"job_id": str(job.id), "quoted": job.quoted}
            raise PermissionError(f"{failure} for {payload['job_id']}")
        except PermissionError as exc:
            return persist_app_error(
                exc,
                severity=logging.WARNING,
                job_id=str(job.id),
                user_id=user_id,
                additional_context={"payload": payload, "job_ids": {job.id}},
            )

    def delete(self, job: DemoJob, *, user_id, failure: str) -> AppError | None:
        try:
            raise RuntimeError(failure)
        except RuntimeError as exc:
            return persist_app_error(exc, severity="critical", job_id=job.id, user_id=user_id)
