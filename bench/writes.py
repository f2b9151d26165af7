"""The cost of recording one error through the Python API, on the benchmark database:
``persist_app_error`` against the one-line create it replaced, and a raw INSERT as the floor,
each with the same real traceback and the same 2-5 KB context (the invoice being pushed).
The three run interleaved, so a slow moment of the machine hits all of them alike."""

import datetime
import json
import random
import time
import traceback
import uuid
from collections.abc import Callable

from bench.concurrency_bench import invoice_context

WARM_UP = 5


def failing_call(number: int) -> BaseException:
    """A fresh exception with a real traceback: persist_app_error returns the stored row
    for an exception it has seen, so each call needs its own."""
    try:
        raise ValueError(f"Invoice {number} total does not match the sum of its lines")
    except ValueError as exc:
        return exc


def measure_writes(repeat: int) -> dict[str, list[float]]:
    """Seconds per call for each way of writing, ``repeat`` calls each; the rows written are
    deleted afterwards so the table keeps its size."""
    from django.db import connections

    from errors.models import AppError
    from errors.routers import errors_alias
    from errors.services import persist_app_error

    connection = connections[errors_alias()]
    insert = raw_inserter(connection)
    written: list = []
    context = invoice_context(1, random.Random(6))

    def persist(exc: BaseException) -> None:
        written.append(persist_app_error(exc, additional_context=context).pk)

    def bare_create(exc: BaseException) -> None:
        trace = "".join(traceback.format_exception(exc))
        data = {"trace": trace, **context}
        written.append(AppError.objects.create(message=str(exc), data=data).pk)

    def raw_insert(exc: BaseException) -> None:
        trace = "".join(traceback.format_exception(exc))
        pk = uuid.uuid4()
        written.append(pk)
        insert(pk, str(exc), json.dumps({"trace": trace, **context}))

    ways: dict[str, Callable[[BaseException], None]] = {
        "persist_app_error": persist,
        "bare create": bare_create,
        "raw SQL INSERT": raw_insert,
    }
    timings: dict[str, list[float]] = {name: [] for name in ways}
    try:
        for number in range(WARM_UP + repeat):
            for name, write in ways.items():
                exc = failing_call(number)
                started = time.perf_counter()
                write(exc)
                elapsed = time.perf_counter() - started
                if number >= WARM_UP:
                    timings[name].append(elapsed)
    finally:
        AppError.objects.filter(pk__in=written).delete()
    return timings


def raw_inserter(connection) -> Callable[[uuid.UUID, str, str], None]:
    """The same row a bare create writes, as one hand-written INSERT in autocommit (the
    statement is built once, so only the write itself is timed)."""
    from bench.generate import columns_and_extras, known_columns
    from errors.models import AppError

    columns, extras = columns_and_extras(connection)
    known = known_columns()
    is_sqlite = connection.vendor == "sqlite"
    table = connection.ops.quote_name(AppError._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"

    def insert(pk: uuid.UUID, message: str, data: str) -> None:
        values = dict.fromkeys(known)
        values.update(
            id=pk.hex if is_sqlite else pk,
            timestamp=connection.ops.adapt_datetimefield_value(datetime.datetime.now(datetime.UTC)),
            message=message,
            data=data,
            exception_type="",  # as Django writes it for data without one
            severity=40,
            resolved=False,
        )
        row = [values[column] for column in known] + [make() for _, make in extras]
        with connection.cursor() as cursor:
            cursor.execute(sql, row)

    return insert
