"""Monthly KPI calculation for the workshop's accounting reports."""

import decimal
import logging

from demo.records import DemoJob
from errors.models import AppError
from errors.services import persist_app_error


class KPICalculator:
    def monthly_margin(self, job: DemoJob, *, user_id, failure: str) -> AppError | None:
        try:
            hours = decimal.Decimal(0) if failure == "no billable hours" else decimal.Decimal(1)
            _ = job.quoted / hours
            raise ArithmeticError(failure)
        except (ArithmeticError, decimal.DivisionByZero) as exc:
            return persist_app_error(
                exc,
                severity=logging.ERROR,
                user_id=user_id,
                additional_context={"month": job.created_at.date().replace(day=1), "kpi": "margin"},
            )


def weekly_summary(*, user_id, failure: str) -> AppError | None:
    try:
        raise TimeoutError(failure)
    except TimeoutError as exc:
        return persist_app_error(exc, severity=logging.INFO, user_id=user_id)
