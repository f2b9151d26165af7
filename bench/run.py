"""``make bench``: the whole benchmark, end to end, against the benchmark's own database.

Migrates that database, tops it up to ``--rows`` errors (``BENCH_ROWS``), starts gunicorn on
127.0.0.1, logs in through the login form and times real HTTP requests; then times the
Python write API. Results go to ``bench/results/<vendor>.json`` and into BENCHMARKS.md.
"""

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

from bench.environment import BASE_DIR, apply_bench_environment
from bench.report import (
    load_results,
    render_markdown,
    summarize,
    update_benchmarks_file,
    write_results,
)

WARM_UP = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", 1_000_000)))
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 20)))
    parser.add_argument(
        "--admin-repeat",
        type=int,
        default=int(os.environ.get("BENCH_ADMIN_REPEAT", 5)),
        help="the admin takes seconds per page at a million rows: fewer runs",
    )
    parser.add_argument("--write-repeat", type=int, default=None, help="default: 10x --repeat")
    parser.add_argument("--results", type=Path, default=BASE_DIR / "bench" / "results")
    parser.add_argument("--markdown", type=Path, default=BASE_DIR / "BENCHMARKS.md")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--only",
        choices=["groups"],
        help="time only the group list (each filter, sort, search), the error list's search "
        "and the biggest group's page; the other figures are kept from the last full run",
    )
    args = parser.parse_args(argv)
    results = run_benchmarks(
        rows=args.rows,
        repeat=args.repeat,
        admin_repeat=args.admin_repeat,
        write_repeat=args.write_repeat or 10 * args.repeat,
        seed=args.seed,
        only=args.only,
    )
    if args.only:
        results = {**load_results(args.results).get(results["vendor"], {}), **results}
    path = write_results(results, args.results)
    update_benchmarks_file(args.markdown, render_markdown(load_results(args.results)))
    print(f"results: {path}; tables: {args.markdown}")
    return 0


def run_benchmarks(
    *,
    rows: int,
    repeat: int,
    admin_repeat: int,
    write_repeat: int,
    seed: int,
    only: str | None = None,
) -> dict:
    env = apply_bench_environment()
    import django

    django.setup()
    from django.db import connections

    from bench.environment import ensure_bench_login, migrate_bench_database
    from bench.generate import generate_app_errors
    from bench.scenarios import (
        biggest_group_scenario,
        chart_scenarios,
        detail_scenario,
        group_scenarios,
        list_scenarios,
        pick_samples,
    )
    from bench.server import Client, gunicorn
    from bench.writes import measure_writes
    from errors.group_backfill import group_app_errors, refresh_planner_statistics
    from errors.models import AppError
    from errors.routers import errors_alias

    say(f"migrating the benchmark database ({describe_database()})")
    migrate_bench_database()
    say(f"making sure it holds {rows:,} errors")
    generate_app_errors(rows, seed=seed, top_up=True, progress=sys.stderr.isatty())
    if group_app_errors().grouped:
        refresh_planner_statistics()
    username, password = ensure_bench_login()
    samples = pick_samples()
    group_page = biggest_group_scenario()
    total = AppError.objects.count()
    connections.close_all()

    results: dict = {
        "vendor": connections[errors_alias()].vendor,
        "rows": total,
        "repeat": repeat,
        "admin_repeat": admin_repeat,
        "warm_up": WARM_UP,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": describe_machine(),
        "database_version": describe_database(),
        "list": {},
        "chart": {},
        "groups": {},
    }
    if only == "groups":
        return {
            "vendor": results["vendor"],
            "groups": time_group_pages(env, username, password, samples, group_page, repeat),
            # When and how busy: the rest of the results may be from another run.
            "groups_run": {
                "date": results["date"],
                "rows": total,
                "repeat": repeat,
                "load_average": results["machine"]["load_average"],
            },
        }
    with gunicorn(env, Path(env["APP_ERRORS_VAR_DIR"]) / "bench-gunicorn.log") as server:
        client = Client(server.port)
        client.log_in(username, password)
        baseline = server.worker_peak_rss_kb()
        for ours, admin in list_scenarios(samples, total):
            say(f"list: {ours.name}")
            page = time_request(client, ours, repeat)
            page["admin"] = time_request(client, admin, admin_repeat, warm_up=1)
            page["admin_ratio"] = round(page["median_ms"] / page["admin"]["median_ms"], 3)
            results["list"][ours.name] = page
        # Only list pages served so far (and the admin's): the worker's peak is theirs.
        peak = server.worker_peak_rss_kb()
        for chart in chart_scenarios():
            say(chart.name)
            results["chart"][chart.name] = time_request(client, chart, repeat)
        say("detail page")
        results["detail"] = time_request(client, detail_scenario(samples), repeat)
        for page in [*group_scenarios(samples), group_page]:
            say(page.name)
            results["groups"][page.name] = time_request(client, page, repeat)
    results["memory"] = {
        "baseline_mb": round(baseline / 1024, 1),
        "peak_mb": round(peak / 1024, 1),
        "growth_mb": round((peak - baseline) / 1024, 1),
    }
    say(f"writes: {write_repeat} calls each")
    timings = measure_writes(write_repeat)
    results["writes"] = {name: summarize(seconds) for name, seconds in timings.items()}
    results["writes"]["persist_ratio"] = round(
        results["writes"]["persist_app_error"]["median_ms"]
        / results["writes"]["bare create"]["median_ms"],
        3,
    )
    return results


def time_group_pages(env, username, password, samples, group_page, repeat: int) -> dict:
    """The group scenarios alone, on a server of their own."""
    from bench.scenarios import group_scenarios
    from bench.server import Client, gunicorn

    timed = {}
    with gunicorn(env, Path(env["APP_ERRORS_VAR_DIR"]) / "bench-gunicorn.log") as server:
        client = Client(server.port)
        client.log_in(username, password)
        for page in [*group_scenarios(samples), group_page]:
            say(page.name)
            timed[page.name] = time_request(client, page, repeat)
    return timed


def time_request(client, request, repeat: int, *, warm_up: int = WARM_UP) -> dict:
    """Median and p95 of ``repeat`` runs after warm-up; anything but a 200 stops the run,
    since the timing of an error page says nothing."""
    seconds, size = [], 0
    for run in range(warm_up + repeat):
        status, content, elapsed = client.request("GET", request.path, headers=request.headers)
        if status != 200:
            raise RuntimeError(f"{request.name}: GET {request.path} answered {status}")
        size = len(content)
        if run >= warm_up:
            seconds.append(elapsed)
    return {"path": request.path, "kb": round(size / 1024, 1), **summarize(seconds)}


def describe_machine() -> dict:
    import django

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_gb),
        "python": platform.python_version(),
        "django": django.get_version(),
        "os": f"{platform.system()} {platform.release()}",
        # Other work on the machine inflates every figure alike; say how busy it was.
        "load_average": round(os.getloadavg()[0], 1),
    }


def describe_database() -> str:
    from django.db import connections

    from errors.routers import errors_alias

    connection = connections[errors_alias()]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
