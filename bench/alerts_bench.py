"""What alerting costs an error write: ``persist_app_error`` with no rule and with ten
enabled rules that watch every error (seven for new groups, regressions and snoozes, three
thresholds, so each write also counts its minute and reads its windows), against the bare
create of the write-cost target.

    python -m bench.alerts_bench              # SQLite, in var/bench-alerts
    DATABASE_URL=postgres://.../app_errors python -m bench.alerts_bench
                                              # PostgreSQL, in app_errors_alerts

The writes are of one failure (one group, as a loop or a busy job would raise), in rounds:
each round runs the three ways interleaved, rules present or not, so a slow moment of the
machine hits all of them alike. Writes bench/results/alerts-<vendor>.json and the
"## Alerting" section of BENCHMARKS.md.
"""

import argparse
import json
import os
import statistics
import sys
import time
import traceback

from bench.environment import BASE_DIR, scratch_environment
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
    from errors.alerts.models import AlertRule
    from errors.models import AppError
    from errors.services import persist_app_error

    def bare_create(exc: BaseException) -> None:
        trace = "".join(traceback.format_exception(exc))
        AppError.objects.create(message=str(exc), data={"trace": trace})

    timings: dict[str, list[float]] = {name: [] for name in ("bare create", *STATES)}
    number = 0
    for _ in range(WARM_UP):
        number += 1
        persist_app_error(failing_call(number))
    for round_number in range(rounds * len(STATES)):
        state = STATES[round_number % len(STATES)]
        add_rules(state)
        for _ in range(calls):
            for name, write in (("bare create", bare_create), (state, persist_app_error)):
                number += 1
                exc = failing_call(number)
                started = time.perf_counter()
                write(exc)
                timings[name].append(time.perf_counter() - started)
        AlertRule.objects.all().delete()
    return timings


def benchmark(rounds: int, calls: int) -> dict:
    env = scratch_environment("alerts")
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    from bench.environment import migrate_bench_database
    from errors.models import AppError, ErrorGroup

    # The stored path: the storm limit would otherwise shed most of these writes.
    settings.APP_ERRORS = {**settings.APP_ERRORS, "GROUP_ROWS_PER_HOUR": None}
    migrate_bench_database()
    AppError.objects.all().delete()
    ErrorGroup.objects.all().delete()
    timings = measure(rounds, calls)
    medians = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    p95 = {name: sorted(values)[int(len(values) * 0.95)] * 1000 for name, values in timings.items()}
    return {
        "vendor": connections["errors"].vendor,
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
        "failure (an existing group) with no alert rule, with seven enabled rules watching "
        "every error for new groups, regressions and snoozes, and with ten (three more: "
        "thresholds of 5 minutes, an hour and a day, so each write counts its minute and "
        "reads the group's windows), each against the bare create of the write-cost target "
        f"in interleaved rounds of {CALLS_PER_ROUND} calls; storm limit off. Target: at most "
        f"{TARGET}x the bare create. Milliseconds, median / p95; the ratios are of medians.",
        "",
        "| database | bare create | no rule | seven rules | ten rules | ratios (no rule, "
        "seven, ten) | load |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in sorted(results, key=lambda result: result["vendor"]):
        median, p95 = result["median_ms"], result["p95_ms"]
        cells = [f"{median[name]:.2f} / {p95[name]:.2f}" for name in ("bare create", *STATES)]
        ratios = ", ".join(
            f"{result['ratio'][name]:.2f}x {'✅' if result['ratio'][name] <= TARGET else '❌'}"
            for name in STATES
        )
        lines.append(
            f"| {result['vendor']} | {' | '.join(cells)} | {ratios} | {result['load_average']} |"
        )
    lines += [
        "",
        "What alerting adds is the difference from the no-rule column: with no rule a write "
        "only looks at the cached rules; rules for new groups, regressions and snoozes add "
        "nothing to a write of an existing group (an outbox row only when an alert is due); "
        "threshold rules add two statements (the minute counted, the windows read). The "
        "no-rule ratio itself is the cost of the error-group write path (grouping, hourly "
        "and subject counts), which the write-cost target was set before.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--calls", type=int, default=CALLS_PER_ROUND)
    add_output_arguments(parser, BASE_DIR)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    result = benchmark(args.rounds, args.calls)
    print(json.dumps(result), flush=True)
    record_result(result, name="alerts", args=args, heading=SECTION, render=render_section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
