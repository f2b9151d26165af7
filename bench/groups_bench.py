"""Error groups at scale: grouping a million existing errors, and resolving the biggest group
while errors keep being written.

    python -m bench.groups_bench              # SQLite, in var/bench-groups
    DATABASE_URL=postgres://.../app_errors python -m bench.groups_bench
                                              # PostgreSQL, in app_errors_groups

Fills its own database with generated errors (bench/generate.py: about 10,000 groups of skewed
sizes, the biggest holding over a tenth of the rows) stored as before groups existed, then
times ``group_app_errors`` over all of them. Then a writer process persists an error every
10 ms while the biggest group is resolved (every open occurrence closed, in batches) and
unresolved again; the writer's latency shows how long a write waited meanwhile. Writes
bench/results/groups-<vendor>.json and the "## Error groups" section of BENCHMARKS.md.
"""

import argparse
import json
import os
import subprocess
import sys
import time

from bench.environment import BASE_DIR, manage, scratch_environment
from bench.prune_bench import beside_a_writer, fresh_database, latency_cells
from bench.report import add_output_arguments, record_result

SECTION = "## Error groups"
ROWS = 1_000_000
RESOLVE_TARGET_S = 3.0
BACKFILL_TARGET_S = 300.0

RESOLVE_BIGGEST = """
import json, time
from django.contrib.auth import get_user_model
from errors.group_services import resolve_error_group, unresolve_error_group
from errors.models import AppError, ErrorGroup
group = ErrorGroup.objects.order_by("-count", "-id").first()
staff = get_user_model().objects.filter(is_staff=True).first()
open_before = AppError.objects.filter(group=group, resolved=False).count()
started = time.perf_counter()
resolve_error_group(group=group, by=staff)
resolved = time.perf_counter() - started
started = time.perf_counter()
unresolve_error_group(group=group, by=staff)
unresolved = time.perf_counter() - started
print(json.dumps({"group_count": group.count, "closed": open_before,
                  "resolve_s": round(resolved, 2), "unresolve_s": round(unresolved, 2)}))
"""

GROUP_FIGURES = """
import json
from errors.models import AppError, ErrorGroup
groups = ErrorGroup.objects.count()
biggest = ErrorGroup.objects.order_by("-count").values_list("count", flat=True).first()
rows = AppError.objects.count()
print(json.dumps({"groups": groups, "biggest": biggest, "rows": rows}))
"""


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def benchmark(rows: int, previous: dict | None = None) -> dict:
    """Fill and group a fresh database, then resolve; with ``previous`` (the last result on
    this database) only the resolve is measured again, on the database that result left."""
    env = scratch_environment("groups")
    if previous is None:
        fresh_database(env)
        subprocess.run(
            [sys.executable, "-m", "bench.generate", "--rows", str(rows), "--quiet"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
        started = time.perf_counter()
        manage(env, "group_app_errors", "--quiet")
        backfill_s = time.perf_counter() - started
    else:
        backfill_s = previous["backfill_s"]
    figures = last_json(manage(env, "shell", "-c", GROUP_FIGURES))
    resolve, before, during = beside_a_writer(
        env, lambda: last_json(manage(env, "shell", "-c", RESOLVE_BIGGEST))
    )
    return {
        "vendor": "postgresql" if "DATABASE_URL" in env else "sqlite",
        "rows": previous["rows"] if previous else rows,
        "groups": figures["groups"],
        "biggest_share": round(figures["biggest"] / max(figures["rows"], 1), 3),
        "backfill_s": round(backfill_s, 1),
        "backfill_per_second": round((previous["rows"] if previous else rows) / backfill_s),
        **resolve,
        "before": before,
        "during": during,
        "load_average": round(os.getloadavg()[0], 1),
    }


def render_section(results: list[dict]) -> str:
    first = results[0]
    lines = [
        SECTION,
        "",
        f"`python -m bench.groups_bench` (once per database): {first['rows']:,} generated errors "
        "stored as before groups existed; `group_app_errors` groups them all (target: under "
        f"{BACKFILL_TARGET_S / 60:.0f} minutes). Then the biggest group is resolved (each open "
        "occurrence closed, in batches) and unresolved again (target: resolve under "
        f"{RESOLVE_TARGET_S:.0f} s) while another process persists an error every 10 ms; "
        "its latency is shown before and during (median / p99 / max).",
        "",
        "| database | groups | biggest | grouping | rows/s | resolve (closed) | unresolve "
        "| write before | write during | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in sorted(results, key=lambda result: result["vendor"]):
        lines.append(
            f"| {result['vendor']} | {result['groups']:,} | {result['biggest_share']:.0%} "
            f"| {result['backfill_s']:.0f} s | {result['backfill_per_second']:,} "
            f"| {result['resolve_s']:.2f} s ({result['closed']:,}) | {result['unresolve_s']:.2f} s "
            f"{latency_cells(result)}| {result['load_average']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument(
        "--resolve-only",
        action="store_true",
        help="measure the resolve again on the database the last run left",
    )
    add_output_arguments(parser, BASE_DIR)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    previous = None
    if args.resolve_only:
        vendor = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
        previous = json.loads((args.results / f"groups-{vendor}.json").read_text())
    result = benchmark(args.rows, previous)
    print(json.dumps(result), flush=True)
    record_result(result, name="groups", args=args, heading=SECTION, render=render_section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
