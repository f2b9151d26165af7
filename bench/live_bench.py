"""The lists' live notice at scale: how long one poll takes, and which index it reads.

    python -m bench.live_bench                # SQLite, in var/bench-live
    DATABASE_URL=postgres://.../app_errors python -m bench.live_bench
                                              # PostgreSQL, in app_errors_live

Tops its own database up to ``--rows`` generated errors (bench/generate.py) and to
``GROUPS`` groups, then "opens" each list (the moment its notice counts from), stores a few
errors with ``persist_app_error`` and times the poll for typical filters: the selector alone,
and the whole endpoint through Django's test client (view, FilterSet, template). The plan of
each count is read from the database (EXPLAIN) and the index it uses named. Writes
bench/results/live-<vendor>.json and the "## Live notice" section of BENCHMARKS.md.
"""

import argparse
import datetime
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time

from bench.environment import BASE_DIR, manage, scratch_environment
from bench.report import add_output_arguments, record_result

SECTION = "## Live notice"
ROWS = 1_000_000
GROUPS = 10_000
REPEAT = 20
TARGET_MS = 50.0

ERROR_FILTERS = (
    ("every error", {}),
    ("app", {"app": "xero"}),
    ("unresolved, error or worse", {"resolved": "false", "severity__gte": "40"}),
    (
        "app, unresolved, error or worse",
        {"app": "xero", "resolved": "false", "severity__gte": "40"},
    ),
    ("search", {"search": "timeout"}),
)
GROUP_FILTERS = (
    ("unresolved groups", {"status": "unresolved"}),
    ("app", {"status": "unresolved", "app": "xero"}),
)
INDEX = re.compile(
    r"(?:USING (?:COVERING )?INDEX|Index (?:Only )?Scan(?: Backward)? using|Bitmap Index Scan on)"
    r" (\w+)"
)
FULL_SCAN = re.compile(r"^(?:SCAN errors_apperror\s*$|.*Seq Scan on errors_apperror)", re.MULTILINE)
APPS = ("xero", "jobs", "reports", "rest", "purchasing", "timesheets", "quoting")


def explain(connection, run) -> str:
    """The database's plan of every query ``run`` makes, one after the other."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute(prefix + query["sql"])
            plans.append("\n".join(str(row[-1]) for row in cursor.fetchall()))
    return "\n--\n".join(plans)


def timed(run, repeat: int) -> tuple[float, float, float]:
    """Median and max wall-clock milliseconds of ``repeat`` runs, and the median CPU
    milliseconds this process spent (on a shared machine the wall clock also measures
    everyone else's load; SQLite's work is in this process, PostgreSQL's is not)."""
    times, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        run()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return (
        round(statistics.median(times), 2),
        round(max(times), 2),
        round(statistics.median(cpu), 2),
    )


def measure(repeat: int) -> None:
    """Inside the bench database (``manage.py shell``): open the lists, store three errors,
    time the polls; prints the result as JSON."""
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.test import Client
    from django.utils import timezone

    from errors.group_selectors import count_error_groups_since, filter_error_groups
    from errors.models import AppError, ErrorGroup
    from errors.routers import errors_alias
    from errors.selectors import count_app_errors_since, filter_app_errors
    from errors.services import persist_app_error

    connection = connections[errors_alias()]
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.filter(is_staff=True, is_active=True).first())
    opened = timezone.now()
    for n in range(3):
        try:
            raise ConnectionError(f"Xero timeout while the list was open #{n}")
        except ConnectionError as exc:
            persist_app_error(exc, app="xero", severity="error")
    polls = [
        ("errors", "/errors/news/", filters, filter_app_errors, count_app_errors_since)
        for filters in ERROR_FILTERS
    ] + [
        ("groups", "/news/", filters, filter_error_groups, count_error_groups_since)
        for filters in GROUP_FILTERS
    ]
    cells = []
    for kind, url, (label, params), bind, count in polls:
        filterset = bind(params)
        assert filterset.is_valid(), filterset.errors
        found = count(filterset, opened)
        plan = explain(connection, lambda: count(filterset, opened))  # noqa: B023
        selector = timed(lambda: count(filterset, opened), repeat)  # noqa: B023
        query = {**params, "since": opened.isoformat()}
        assert client.get(url, query).status_code == 200
        endpoint = timed(lambda: client.get(url, query), repeat)  # noqa: B023
        cells.append(
            {
                "list": kind,
                "filter": label,
                "new": found[0],
                "indexes": sorted(set(INDEX.findall(plan))),
                "full_scan": bool(FULL_SCAN.search(plan)),
                "plan": plan,
                "selector_ms": selector[0],
                "selector_max_ms": selector[1],
                "selector_cpu_ms": selector[2],
                "endpoint_ms": endpoint[0],
                "endpoint_max_ms": endpoint[1],
                "endpoint_cpu_ms": endpoint[2],
            }
        )
    result = {
        "vendor": connection.vendor,
        "rows": AppError.objects.count(),
        "groups": ErrorGroup.objects.count(),
        "cells": cells,
    }
    print(json.dumps(result))


def add_groups(wanted: int) -> None:
    """Top the groups table up to ``wanted`` groups of the generated errors' apps, last seen
    over 90 days: the size the generated errors would make (about 10,000) without grouping
    a million rows first; the poll reads recent occurrences, whatever their groups."""
    from django.utils import timezone

    from errors.models import ErrorGroup

    rng = random.Random(6)
    now = timezone.now()
    groups = []
    for n in range(max(wanted - ErrorGroup.objects.count(), 0)):
        last = now - datetime.timedelta(seconds=rng.random() * 90 * 86400)
        groups.append(
            ErrorGroup(
                fingerprint=f"bench-live-{n:06d}",
                grouping_version=1,
                title=f"BenchError: case {n}",
                exception_type="BenchError",
                culprit=f"bench.case_{n % 400}",
                app=rng.choice(APPS),
                severity=rng.choice([30, 40, 40, 50]),
                count=rng.randint(1, 500),
                first_seen=last - datetime.timedelta(days=rng.random() * 30),
                last_seen=last,
                resolved=rng.random() < 0.7,
            )
        )
    ErrorGroup.objects.bulk_create(groups, batch_size=1000)


def prepare(env: dict[str, str], rows: int) -> None:
    manage(env, "migrate", "--noinput")
    manage(env, "migrate", "--noinput", "--database=errors")
    generate = [sys.executable, "-m", "bench.generate", "--rows", str(rows), "--top-up"]
    subprocess.run([*generate, "--quiet"], cwd=BASE_DIR, env=env, check=True)
    manage(env, "shell", "-c", f"from bench.live_bench import add_groups; add_groups({GROUPS})")


def benchmark(rows: int, repeat: int) -> dict:
    env = scratch_environment("live")
    prepare(env, rows)
    output = manage(env, "shell", "-c", f"from bench.live_bench import measure; measure({repeat})")
    result = json.loads(output.strip().splitlines()[-1])
    result["load_average"] = round(os.getloadavg()[0], 1)
    return result


def render_section(results: list[dict]) -> str:
    lines = [
        SECTION,
        "",
        "`python -m bench.live_bench` (once per database): a list page polls every 15 s while "
        "it is open and visible, asking how many errors (or groups) matching its filters "
        "arrived since it was rendered. Three errors are stored after the page's moment, "
        f"then each poll is timed {REPEAT} times: the selector alone, and the endpoint "
        "through Django's test client (session, staff check, FilterSet, count, template), "
        "as median / max wall clock and the median CPU time of the benchmark's process. "
        "The indexes are the ones the database's own plans (EXPLAIN) name for the poll's "
        "queries: the recent rows from the end of the time index, then each checked "
        "against the filter by primary key. Target: an index for every query, never a "
        f"scan of the errors, and under {TARGET_MS:.0f} ms of work per poll.",
        "",
        "| database | errors | list | filter | new | indexes | plan | selector | endpoint | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in sorted(results, key=lambda result: result["vendor"]):
        for cell in result["cells"]:
            index = ", ".join(f"`{name}`" for name in cell["indexes"]) or "none"
            plan = "a scan ❌" if cell["full_scan"] else "indexed ✅"
            lines.append(
                f"| {result['vendor']} | {result['rows']:,} | {cell['list']} | {cell['filter']} "
                f"| {cell['new']} | {index} | {plan} "
                f"| {cell['selector_ms']:.1f} / {cell['selector_max_ms']:.1f} ms "
                f"(CPU {cell['selector_cpu_ms']:.1f}) "
                f"| {cell['endpoint_ms']:.1f} / {cell['endpoint_max_ms']:.1f} ms "
                f"(CPU {cell['endpoint_cpu_ms']:.1f}) | {result['load_average']} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    add_output_arguments(parser, BASE_DIR)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    result = benchmark(args.rows, args.repeat)
    print(json.dumps({key: value for key, value in result.items() if key != "cells"}))
    for cell in result["cells"]:
        print(f"{cell['list']} / {cell['filter']}: {cell['indexes']}\n{cell['plan']}\n")
    record_result(result, name="live", args=args, heading=SECTION, render=render_section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
