"""Export speed and the streaming server's memory: every error of a generated table
downloaded from the dashboard's export links through gunicorn.

    python -m bench.export_bench                  # SQLite, 1,000,000 errors
    DATABASE_URL=postgres://... python -m bench.export_bench --rows 1000000

Works in a scratch database of its own (var/bench-export, or DATABASE_URL's database with
``_export`` appended), topped up to ``--rows`` errors by bench.generate. One sync gunicorn
worker streams each export to a client that counts the bytes and lines as they arrive and
keeps none of them; the worker's peak resident memory (VmHWM, from /proc) is read after
logging in and a first small export, and again after each full export.
"""

import argparse
import datetime
import http.client
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from bench.environment import BASE_DIR, manage, scratch_environment
from bench.report import MEMORY_GROWTH_MB, add_output_arguments, record_result
from bench.server import Client, gunicorn

SECTION = "## Exporting errors"
ROWS = 1_000_000
TARGET_ROWS_PER_SECOND = 50_000
READ_SIZE = 1 << 16
# (label, path): the whole table in both formats, then a typical filter.
EXPORTS = (
    ("CSV, every error", "/errors/export.csv"),
    ("JSON lines, every error", "/errors/export.jsonl"),
    (
        "JSON lines, unresolved, error or worse",
        "/errors/export.jsonl?resolved=false&severity__gte=40",
    ),
)
LOGIN = "from bench.environment import ensure_bench_login; print(' '.join(ensure_bench_login()))"
COUNT = "from errors.models import AppError; print(AppError.objects.count())"


def prepare(env: dict[str, str], rows: int) -> tuple[int, tuple[str, str]]:
    """Migrate the scratch database, top it up to ``rows`` errors, make a login; returns
    how many errors it holds and the login."""
    manage(env, "migrate", "--noinput")
    manage(env, "migrate", "--noinput", "--database=errors")
    # With DEBUG off, pages name static files by their hashed copies: the login page too.
    manage(env, "collectstatic", "--noinput")
    generate = [sys.executable, "-m", "bench.generate", "--rows", str(rows), "--top-up"]
    subprocess.run([*generate, "--quiet"], cwd=BASE_DIR, env=env, check=True)
    username, password = manage(env, "shell", "-c", LOGIN).split()[-2:]
    total = int(manage(env, "shell", "-c", COUNT).split()[-1])
    return total, (username, password)


def stream(client: Client, path: str) -> dict:
    """Download ``path``, counting bytes and lines as they arrive; seconds from sending the
    request to the last byte."""
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=600)
    size = lines = 0
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
        while block := response.read(READ_SIZE):
            size += len(block)
            lines += block.count(b"\n")
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    return {"seconds": seconds, "bytes": size, "lines": lines}


def worker_cpu_seconds(server) -> float:
    """CPU time (user + system) the gunicorn worker has used: on a shared machine the
    wall-clock rate depends on everyone else's load, this does not."""
    fields = Path(f"/proc/{server.worker_pid()}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def benchmark(rows: int) -> dict:
    env = scratch_environment("export")
    total, login = prepare(env, rows)
    vendor = "postgresql" if "DATABASE_URL" in env else "sqlite"
    figures = []
    with gunicorn(env, BASE_DIR / "var" / "bench-export" / f"gunicorn-{vendor}.log") as server:
        client = Client(server.port)
        client.log_in(*login)
        stream(client, "/errors/export.csv?app=no-such-app")  # imports and first queries
        baseline_kb = server.worker_peak_rss_kb()
        for label, path in EXPORTS:
            cpu_before = worker_cpu_seconds(server)
            download = stream(client, path)
            cpu = worker_cpu_seconds(server) - cpu_before
            # JSON lines: one line per error. CSV: a header line, and generated messages
            # have no line breaks.
            exported = download["lines"] - (1 if ".csv" in path else 0)
            figures.append(
                {
                    "label": label,
                    "path": path,
                    "rows": exported,
                    "seconds": round(download["seconds"], 2),
                    "rows_per_second": round(exported / download["seconds"]),
                    "worker_cpu_seconds": round(cpu, 2),
                    "rows_per_cpu_second": round(exported / cpu),
                    "megabytes": round(download["bytes"] / 1e6, 1),
                    "peak_mb": round(server.worker_peak_rss_kb() / 1024, 1),
                }
            )
    if figures[1]["rows"] != total:
        raise RuntimeError(f"exported {figures[1]['rows']:,} of {total:,} errors")
    return {
        "vendor": vendor,
        "rows": total,
        "baseline_mb": round(baseline_kb / 1024, 1),
        "growth_mb": round(max(figure["peak_mb"] for figure in figures) - baseline_kb / 1024, 1),
        "exports": figures,
        "load_average": round(os.getloadavg()[0], 1),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_section(results: list[dict]) -> str:
    intro = (
        f"`python -m bench.export_bench` (once per database): the dashboard's export links "
        "downloaded through gunicorn (one sync worker, DEBUG off) by a client that counts "
        f"and drops the bytes. Targets: at least {TARGET_ROWS_PER_SECOND:,} rows/s, and the "
        f"worker's peak resident memory (VmHWM) at most {MEMORY_GROWTH_MB} MB above what it "
        "was after logging in and a first, empty export. Rows per CPU second divides by "
        "the CPU time the worker itself used (from /proc): on this shared 2-core machine "
        "the wall-clock rate also measures everyone else's load (the load column)."
    )
    lines = [
        SECTION,
        "",
        *textwrap.wrap(intro, width=96),
        "",
        "| database | export | rows | time | rows/s | worker CPU | rows per CPU second "
        "| size | worker peak | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in sorted(results, key=lambda result: result["vendor"]):
        for figure in result["exports"]:
            met = "✅" if figure["rows_per_second"] >= TARGET_ROWS_PER_SECOND else "❌"
            lines.append(
                f"| {result['vendor']} | {figure['label']} | {figure['rows']:,} "
                f"| {figure['seconds']:.1f} s | {figure['rows_per_second']:,} {met} "
                f"| {figure['worker_cpu_seconds']:.1f} s | {figure['rows_per_cpu_second']:,} "
                f"| {figure['megabytes']:,.0f} MB | {figure['peak_mb']:.0f} MB "
                f"| {result['load_average']} |"
            )
    lines.append("")
    for result in sorted(results, key=lambda result: result["vendor"]):
        met = "✅" if result["growth_mb"] <= MEMORY_GROWTH_MB else "❌"
        lines.append(
            f"- {result['vendor']}, {result['rows']:,} errors ({result['date']}): the worker "
            f"started at {result['baseline_mb']:.0f} MB and grew by {result['growth_mb']:.0f} "
            f"MB over the exports above {met}."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    add_output_arguments(parser, BASE_DIR)
    args = parser.parse_args(argv)
    result = benchmark(args.rows)
    print(json.dumps(result), flush=True)
    record_result(result, name="export", args=args, heading=SECTION, render=render_section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
