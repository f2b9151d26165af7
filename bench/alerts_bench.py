"""What an error write costs against the one-line create it replaced, measured the way
applications write: into the errors table of the concurrency bench (``--prefill`` rows,
a million by default, grouped), each error a real raised exception with a 2-5 KB context
(the invoice being pushed), for ``persist_app_error`` and the bare create alike.
``persist_app_error`` runs with no alert rule, with seven enabled rules that watch every
error for new groups, regressions and snoozes, and with ten (three more: thresholds, so
each write also counts its minute and reads its windows).

    python -m bench.alerts_bench              # SQLite, in var/bench-concurrency
    DATABASE_URL=postgres://.../app_errors python -m bench.alerts_bench
                                              # PostgreSQL, in app_errors_concurrency

The writes are of one failure (one group, as a loop or a busy job would raise), in rounds:
each round runs the bare create and one state of the rules interleaved, so a slow moment
of the machine hits both alike. The rows written are deleted afterwards, so the table
keeps its size. Writes bench/results/alerts-<vendor>.json and the "## Alerting" section of
BENCHMARKS.md.
"""

import argparse
import json
import os
import statistics
import sys
import time
import traceback

from bench.concurrency_bench import PREFILL_ROWS, invoice_context, prepare
from bench.environment import BASE_DIR
from bench.report import add_output_arguments, record_result

SECTION = "## Alerting"
ROUNDS = 10
CALLS_PER_ROUND = 40
WARM_UP = 20
TARGET = 1.5


def failing_call(number: int) -> BaseException:
    try:
        raise ValueError(f"Invoice {number} total does not match the sum of its lines")
    except ValueError as exc:
        return exc


STATES = ("no rule", "seven rules", "ten rules")


def add_rules(state: str) -> None:
    """Seven rules for new groups, regressions and snoozes; ten adds three thresholds."""
    from errors.alerts.models import AlertRule

    if state == "no rule":
        return
    for number in range(7):
        AlertRule.objects.create(
            name=f"watch {number}",
            triggers=["new_group", "regression", "unmuted"],
            webhook_url="http://127.0.0.1:9/hook",
        )
    if state == "seven rules":
        return
    for minutes in (5, 60, 1440):
        AlertRule.objects.create(
            name=f"threshold {minutes}",
            triggers=["threshold"],
            threshold_count=10_000_000,
            threshold_minutes=minutes,
            webhook_url="http://127.0.0.1:9/hook",
        )


def measure(rounds: int, calls: int) -> dict[str, list[float]]:
    import random

    from errors.alerts.models import AlertRule
    from errors.models import AppError
    from errors.services import persist_app_error

    context = invoice_context(1, random.Random(6))
    written: list = []

    def persist(exc: BaseException) -> None:
        written.append(persist_app_error(exc, additional_context=context).pk)

    def bare_create(exc: BaseException) -> None:
        trace = "".join(traceback.format_exception(exc))
        data = {"trace": trace, **context}
        written.append(AppError.objects.create(message=str(exc), data=data).pk)

    timings: dict[str, list[float]] = {name: [] for name in ("bare create", *STATES)}
    number = 0
    try:
        for _ in range(WARM_UP):
            number += 1
            persist(failing_call(number))
            bare_create(failing_call(number))
        for round_number in range(rounds * len(STATES)):
            state = STATES[round_number % len(STATES)]
            add_rules(state)
            for _ in range(calls):
                for name, write in (("bare create", bare_create), (state, persist)):
                    number += 1
                    exc = failing_call(number)
                    started = time.perf_counter()
                    write(exc)
                    timings[name].append(time.perf_counter() - started)
            AlertRule.objects.all().delete()
    finally:
        AppError.objects.filter(pk__in=written).delete()
    return timings


def benchmark(rounds: int, calls: int, prefill: int) -> dict:
    env = prepare(prefill)
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    from errors.models import AppError

    # The stored path: the storm limit would otherwise shed most of these writes.
    settings.APP_ERRORS = {**settings.APP_ERRORS, "GROUP_ROWS_PER_HOUR": None}
    rows = AppError.objects.count()
    timings = measure(rounds, calls)
    medians = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    p95 = {name: sorted(values)[int(len(values) * 0.95)] * 1000 for name, values in timings.items()}
    return {
        "vendor": connections["errors"].vendor,
        "rows": rows,
        "calls": {name: len(values) for name, values in timings.items()},
        "median_ms": {name: round(value, 3) for name, value in medians.items()},
        "p95_ms": {name: round(value, 3) for name, value in p95.items()},
        "ratio": {name: round(medians[name] / medians["bare create"], 2) for name in STATES},
        "load_average": round(os.getloadavg()[0], 1),
    }


def render_section(results: list[dict]) -> str:
    lines = [
        SECTION,
        "",
        "`python -m bench.alerts_bench` (once per database): `persist_app_error` of one "
        "failure (an existing group) into the concurrency bench's errors table, each error "
        "a real raised exception with a 2-5 KB context, against the bare create of the "
        "write-cost target (`AppError.objects.create` with the formatted trace and the same "
        "context) in interleaved rounds of "
        f"{CALLS_PER_ROUND} calls: with no alert rule, with seven enabled rules watching "
        "every error for new groups, regressions and snoozes, and with ten (three more: "
        "thresholds of 5 minutes, an hour and a day, so each write counts its minute and "
        "reads the group's windows); storm limit off. Target: at most "
        f"{TARGET}x the bare create. Milliseconds, median / p95; the ratios are of medians.",
        "",
        "| database | rows in the table | bare create | no rule | seven rules | ten rules "
        "| ratios (no rule, seven, ten) | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in sorted(results, key=lambda result: result["vendor"]):
        median, p95 = result["median_ms"], result["p95_ms"]
        cells = [f"{median[name]:.2f} / {p95[name]:.2f}" for name in ("bare create", *STATES)]
        ratios = ", ".join(
            f"{result['ratio'][name]:.2f}x {'✅' if result['ratio'][name] <= TARGET else '❌'}"
            for name in STATES
        )
        rows = f"{result['rows']:,}" if "rows" in result else "(empty)"
        lines.append(
            f"| {result['vendor']} | {rows} | {' | '.join(cells)} | {ratios} "
            f"| {result['load_average']} |"
        )
    lines += [
        "",
        "What alerting adds is the difference from the no-rule column: with no rule a write "
        "only looks at the cached rules; rules for new groups, regressions and snoozes add "
        "nothing to a write of an existing group (an outbox row only when an alert is due); "
        "threshold rules add two statements (the minute counted, the windows read) and, on "
        "PostgreSQL, take the write off its one round trip (errors/single_trip.py). The "
        "no-rule ratio itself is the cost of the error-group write path (grouping, hourly "
        "and subject counts).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--calls", type=int, default=CALLS_PER_ROUND)
    parser.add_argument("--prefill", type=int, default=PREFILL_ROWS)
    add_output_arguments(parser, BASE_DIR)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    result = benchmark(args.rounds, args.calls, args.prefill)
    print(json.dumps(result), flush=True)
    record_result(result, name="alerts", args=args, heading=SECTION, render=render_section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
