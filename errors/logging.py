"""A logging handler that turns log records into AppError rows.

Put it in ``LOGGING`` to capture ``logger.exception(...)`` calls without touching the code
that makes them. Records carrying ``exc_info`` are persisted; set ``capture_all_at`` to also
persist plain records at or above a level.
"""

import logging

from errors.frames import project_relative_path
from errors.grouping import logged_fingerprint_parts
from errors.json_values import safe_str


class LoggedMessage(Exception):
    """Stands in for the exception of a record that carried none."""


class AppErrorHandler(logging.Handler):
    def __init__(self, level: int = logging.NOTSET, capture_all_at: int | str | None = None):
        super().__init__(level)
        self.capture_all_at = (
            logging.getLevelName(capture_all_at)
            if isinstance(capture_all_at, str)
            else capture_all_at
        )

    def emit(self, record: logging.LogRecord) -> None:
        from errors.services import is_persisting, persist_app_error

        # A failing persist logs about itself: persisting that record would recurse.
        if is_persisting() or record.name.startswith("errors."):
            return
        exception = record.exc_info[1] if record.exc_info else None
        fingerprint = None
        if exception is None:
            if self.capture_all_at is None or record.levelno < self.capture_all_at:
                return
            exception = LoggedMessage(record.getMessage())
            # One group per logger and message template, whatever the arguments.
            fingerprint = logged_fingerprint_parts(
                logger_name=record.name, template=safe_str(record.msg)
            )
        try:
            context = {"logger": record.name, "log_message": record.getMessage()}
            persist_app_error(
                exception,
                app=record.name.split(".")[0],
                file=project_relative_path(record.pathname),
                function=record.funcName,
                severity=record.levelno,
                additional_context=context,
                fingerprint=fingerprint,
            )
        except Exception:
            self.handleError(record)
