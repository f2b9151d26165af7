"""Deleting old errors while errors are written: how fast ``prune_app_errors`` deletes, and
how long an error write waits meanwhile.

    python -m bench.prune_bench              # SQLite, in var/bench-prune
    DATABASE_URL=postgres://.../app_errors python -m bench.prune_bench
                                             # PostgreSQL, in app_errors_prune

Fills its own database with generated errors (bench/generate.py, spread over about 90 days),
starts a writer process that persists an error every 10 ms, and once it has its baseline
prunes the errors older than 45 days (about half) with the default batch size. Reports the
rows deleted per second and the writer's latency before and during the prune; writes
bench/results/prune-<vendor>.json and the "## Deleting old errors" section of BENCHMARKS.md.
"""

import argparse
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

from bench.environment import (
    BASE_DIR,
    create_postgresql_database,
    drop_postgresql_database,
    manage,
    scratch_environment,
)
from bench.report import add_output_arguments, record_result

SECTION = "## Deleting old errors"
ROWS = 200_000
OLDER_THAN_DAYS = 45
BASELINE_WRITES = 200
WRITE_INTERVAL = 0.01


# --- the writer process -------------------------------------------------------------------


def writer_main() -> int:
    """Persist an error every 10 ms; print "baseline" after BASELINE_WRITES of them, and on
    a line from stdin stop and print every write as [wall-clock start, milliseconds]."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app_errors_site.settings")
    import django
    from django.conf import settings

    django.setup()
    # Every write is a stored row: the storm limit would shed this one failure's writes.
    settings.APP_ERRORS = {**settings.APP_ERRORS, "GROUP_ROWS_PER_HOUR": None}
    from errors.services import persist_app_error

    writes: list[tuple[float, float]] = []
    while not select.select([sys.stdin], [], [], 0)[0]:
        try:
            raise ValueError(f"written while old errors are pruned #{len(writes)}")
        except ValueError as exc:
            started, clock = time.time(), time.perf_counter()
            error = persist_app_error(exc)
            writes.append((started, (time.perf_counter() - clock) * 1000))
        if error is None or error._state.adding:
            raise SystemExit("a write was refused (spooled)")
        if len(writes) == BASELINE_WRITES:
            print("baseline", flush=True)
        time.sleep(WRITE_INTERVAL)  # the pace of the writes, not a wait for anything
    print(json.dumps(writes), flush=True)
    return 0


# --- the coordinator ----------------------------------------------------------------------


def fresh_database(env: dict[str, str]) -> None:
    """An empty, migrated scratch database: deleting 200,000 rows to start over would take
    longer than making it anew."""
    if "DATABASE_URL" in env:
        drop_postgresql_database(env["DATABASE_URL"])
        create_postgresql_database(env["DATABASE_URL"])
    else:
        for file in Path(env["APP_ERRORS_VAR_DIR"]).glob("*.sqlite3*"):
            file.unlink()
    manage(env, "migrate", "--noinput")
    manage(env, "migrate", "--noinput", "--database=errors")


def latency(writes: list[tuple[float, float]]) -> dict:
    ordered = sorted(milliseconds for _, milliseconds in writes)
    if not ordered:
        return {"writes": 0}
    return {
        "writes": len(ordered),
        "median_ms": round(ordered[len(ordered) // 2], 1),
        "p99_ms": round(ordered[min(int(len(ordered) * 0.99), len(ordered) - 1)], 1),
        "max_ms": round(ordered[-1], 1),
    }


BATCH_SIZE = "from errors.retention import DEFAULT_BATCH_SIZE; print(DEFAULT_BATCH_SIZE)"


def benchmark(rows: int) -> dict:
    env = scratch_environment("prune")
    fresh_database(env)
    subprocess.run(
        [sys.executable, "-m", "bench.generate", "--rows", str(rows), "--quiet"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )

    def prune() -> tuple[str, float]:
        started = time.time()
        said = manage(env, "prune_app_errors", "--older-than-days", str(OLDER_THAN_DAYS))
        return said, time.time() - started

    (said, seconds), before, during = beside_a_writer(env, prune)
    deleted = int(said.split()[1])
    vendor = "postgresql" if "DATABASE_URL" in env else "sqlite"
    batch_size = manage(env, "shell", "-c", BATCH_SIZE).strip().splitlines()[-1]
    return {
        "vendor": vendor,
        "rows": rows,
        "batch_size": int(batch_size),
        "deleted": deleted,
        "seconds": round(seconds, 2),
        "per_second": round(deleted / seconds),
        "before": before,
        "during": during,
        "load_average": round(os.getloadavg()[0], 1),
    }


def beside_a_writer(env: dict[str, str], action):
    """Run ``action`` while another process persists an error every 10 ms; returns what
    ``action`` returned and the writer's latency before it and during it."""
    writer = subprocess.Popen(
        [sys.executable, "-m", "bench.prune_bench", "writer"],
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    if writer.stdout.readline().strip() != "baseline":
        raise RuntimeError("the writer stopped before its baseline")
    started = time.time()
    outcome = action()
    ended = time.time()
    output, _ = writer.communicate("stop\n")
    if writer.returncode != 0:
        raise RuntimeError("the writer failed")
    writes = json.loads(output.strip().splitlines()[-1])
    before = latency([write for write in writes if write[0] < started])
    during = latency([write for write in writes if started <= write[0] < ended])
    return outcome, before, during


def latency_cells(result: dict) -> str:
    """The writer's latency before and during, as two table cells."""
    before, during = result["before"], result["during"]
    return (
        f"| {before['median_ms']} / {before['p99_ms']} / {before['max_ms']} ms "
        f"| {during['median_ms']} / {during['p99_ms']} / {during['max_ms']} ms "
    )


def render_section(results: list[dict]) -> str:
    lines = [
        SECTION,
        "",
        f"`python -m bench.prune_bench` (once per database): {results[0]['rows']:,} generated "
        f"errors over about 90 days; `prune_app_errors --older-than-days {OLDER_THAN_DAYS}` "
        f"(batches of {results[0]['batch_size']}) deletes about half of them while another process "
        f"persists an error every {WRITE_INTERVAL * 1000:.0f} ms. The writer's latency is "
        "shown before the prune and during it (median / p99 / max).",
        "",
        "| database | deleted | time | rows/s | write before | write during | load |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in sorted(results, key=lambda result: result["vendor"]):
        lines.append(
            f"| {result['vendor']} | {result['deleted']:,} | {result['seconds']:.1f} s "
            f"| {result['per_second']:,} {latency_cells(result)}| {result['load_average']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["writer"]:
        return writer_main()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    add_output_arguments(parser, BASE_DIR)
    args = parser.parse_args(argv)
    result = benchmark(args.rows)
    print(json.dumps(result), flush=True)
    record_result(result, name="prune", args=args, heading=SECTION, render=render_section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
