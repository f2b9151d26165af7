"""A loop raising the same error over and over: the storm limit keeps the disk bounded and
the count exact, and a shed call costs no more than a stored one.

    python -m bench.storm_bench              # SQLite, in var/bench-storm
    DATABASE_URL=postgres://.../app_errors python -m bench.storm_bench
                                             # PostgreSQL, in app_errors_storm

One process persists 100,000 occurrences of one failure (a real raised exception with a 2-5
KB context) with the default limit of 1,000 stored rows per group and hour. Reports the
group's count, the rows stored, how much the database grew, and the median and p99 time of
a stored call and of a shed one; writes bench/results/storm-<vendor>.json and the "## Storm
limit" section of BENCHMARKS.md.
"""

import argparse
import json
import os
import random
import sys
import time

from bench.environment import BASE_DIR, manage, scratch_environment
from bench.prune_bench import fresh_database
from bench.report import add_output_arguments, record_result

SECTION = "## Storm limit"
OCCURRENCES = 100_000
GROWTH_TARGET_MB = 20


def database_bytes() -> int:
    """The errors database's size on disk, its write-ahead log folded in first."""
    from django.db import connections

    from errors.routers import errors_alias

    connection = connections[errors_alias()]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return os.path.getsize(connection.settings_dict["NAME"])
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]


def storm_main(occurrences: int) -> int:
    """Persist ``occurrences`` errors of one group; print the figures as JSON."""
    import django

    django.setup()
    from bench.concurrency_bench import invoice_context
    from errors.models import AppError, ErrorGroup
    from errors.services import persist_app_error

    context = invoice_context(1, random.Random(6))
    before = database_bytes()
    stored, shed = [], []
    for number in range(occurrences):
        try:
            raise TimeoutError(f"Xero rate limit hit while pushing invoice {number}")
        except TimeoutError as exc:
            started = time.perf_counter()
            error = persist_app_error(exc, app="xero", additional_context=context)
            elapsed = time.perf_counter() - started
        (stored if error.group_change.stored else shed).append(elapsed)
    after = database_bytes()
    group = ErrorGroup.objects.get()
    print(
        json.dumps(
            {
                "occurrences": occurrences,
                "count": group.count,
                "rows": AppError.objects.count(),
                "growth_mb": round((after - before) / 2**20, 1),
                "stored": timing(stored),
                "shed": timing(shed),
            }
        )
    )
    return 0


def timing(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    if not ordered:
        return {"calls": 0}
    return {
        "calls": len(ordered),
        "median_ms": round(ordered[len(ordered) // 2] * 1000, 2),
        "p99_ms": round(ordered[min(int(len(ordered) * 0.99), len(ordered) - 1)] * 1000, 2),
    }


def benchmark(occurrences: int) -> dict:
    import subprocess

    env = scratch_environment("storm")
    fresh_database(env)
    finished = subprocess.run(
        [sys.executable, "-m", "bench.storm_bench", "storm", str(occurrences)],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    vendor = manage(env, "shell", "-c", VENDOR).strip().splitlines()[-1]
    return {"vendor": vendor, **result, "load_average": round(os.getloadavg()[0], 1)}


VENDOR = (
    "from django.db import connections; from errors.routers import errors_alias; "
    "print(connections[errors_alias()].vendor)"
)


def render_section(results: list[dict]) -> str:
    lines = [
        SECTION,
        "",
        f"`python -m bench.storm_bench` (once per database): one process persists "
        f"{results[0]['occurrences']:,} occurrences of one failure (a real raised exception, a "
        "2-5 KB context) with the default storm limit of 1,000 stored rows per group and hour. "
        f"Targets: the count exact, the database growing by less than {GROWTH_TARGET_MB} MB, a "
        "shed call costing no more than a stored one (median / p99 per call).",
        "",
        "| database | count | rows stored | growth | stored call | shed call | load |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in sorted(results, key=lambda result: result["vendor"]):
        stored, shed = result["stored"], result["shed"]
        lines.append(
            f"| {result['vendor']} | {result['count']:,} | {result['rows']:,} "
            f"| {result['growth_mb']} MB | {stored['median_ms']} / {stored['p99_ms']} ms "
            f"| {shed['median_ms']} / {shed['p99_ms']} ms | {result['load_average']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["storm"]:
        return storm_main(int(argv[1]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--occurrences", type=int, default=OCCURRENCES)
    add_output_arguments(parser, BASE_DIR)
    args = parser.parse_args(argv)
    result = benchmark(args.occurrences)
    print(json.dumps(result), flush=True)
    record_result(result, name="storm", args=args, heading=SECTION, render=render_section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
