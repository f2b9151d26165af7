"""Sustained error writes with several processes at once: errors per second with 1, 4 and 8
writer processes, each calling ``persist_app_error`` with a ~5 KB trace.

    python -m bench.concurrency_bench              # SQLite, in var/bench-concurrency
    DATABASE_URL=postgres://.../app_errors python -m bench.concurrency_bench
                                                   # PostgreSQL, in app_errors_concurrency

Each run writes bench/results/concurrency-<vendor>.json and the "## Concurrent writes" section
of BENCHMARKS.md from every result file there, so running it once per database fills the table.

The writers are also what tests/test_concurrency.py runs: ``run_writers`` starts a Python that
sets Django up once and forks the writers; they open their connections, wait at a barrier
and start together; each reports its wall-clock start and end, so the rate covers only the
writing.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.environment import manage, scratch_environment
from bench.report import add_output_arguments, record_result

BASE_DIR = Path(__file__).resolve().parent.parent
WRITER_COUNTS = (1, 4, 8)
ERRORS_PER_RUN = 8000
TRACE_BYTES = 5000
TARGET_PER_SECOND_WITH_4 = 2000
SECTION = "## Concurrent writes"


# --- the writer process -------------------------------------------------------------------


def ping(depth: int, number: int, *, invoice_reference: str = "", account: str = "") -> None:
    if depth <= 0:
        raise ValueError(f"Invoice {number} could not be pushed to Xero: totals do not match")
    pong(depth - 1, number, invoice_reference=f"INV-{number:08d}", account="ACME-TRADING-LTD")


def pong(depth: int, number: int, *, invoice_reference: str = "", account: str = "") -> None:
    ping(depth - 1, number, invoice_reference=invoice_reference, account=account.lower())


def failing_call(depth: int, number: int) -> ValueError:
    """A fresh exception whose trace has ``depth`` distinct frames (ping and pong alternate,
    so the traceback does not fold them into "previous line repeated")."""
    try:
        ping(depth, number)
    except ValueError as exc:
        return exc
    raise AssertionError("ping always raises")


def depth_for_trace(trace_bytes: int) -> int:
    import traceback

    depth = 1
    while len("".join(traceback.format_exception(failing_call(depth, 0)))) < trace_bytes:
        depth += 1
    return depth


def setup_django(names: dict[str, str]) -> None:
    """Django with the given database NAME per alias: the test database when a test runs us."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django
    from django.conf import settings

    for alias, name in names.items():
        settings.DATABASES[alias]["NAME"] = name
    # The stored path is measured: every error becomes a row, the storm limit is off.
    settings.APP_ERRORS = {**settings.APP_ERRORS, "GROUP_ROWS_PER_HOUR": None}
    django.setup()


def write_errors(count: int, depth: int, ready, reports) -> None:
    """One writer process: open the connection, wait for all, persist ``count`` errors."""
    from django.db import connections

    from errors.routers import errors_alias
    from errors.services import persist_app_error

    connections[errors_alias()].ensure_connection()
    ready.wait()
    started = time.time()
    refused = 0
    for number in range(count):
        error = persist_app_error(failing_call(depth, number), additional_context={"n": number})
        if error is None or error._state.adding:
            refused += 1
    ended = time.time()
    connections.close_all()
    reports.put(
        {"written": count - refused, "refused": refused, "started": started, "ended": ended}
    )


def writers_main(argv: list[str]) -> int:
    """Set Django up once, then fork the writers: each starts in milliseconds, not seconds,
    and they all begin writing together, released by a barrier."""
    import multiprocessing

    parser = argparse.ArgumentParser(prog="concurrency_bench writers")
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--trace-bytes", type=int, default=TRACE_BYTES)
    parser.add_argument("--database-name", action="append", default=[], metavar="ALIAS=NAME")
    args = parser.parse_args(argv)
    setup_django(dict(item.split("=", 1) for item in args.database_name))
    from django.db import connections

    depth = depth_for_trace(args.trace_bytes)
    connections.close_all()
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(args.processes)
    reports = context.Queue()
    writers = [
        context.Process(target=write_errors, args=(args.count, depth, ready, reports))
        for _ in range(args.processes)
    ]
    for writer in writers:
        writer.start()
    results = [reports.get() for _ in writers]
    for writer in writers:
        writer.join()
    failed = [writer.exitcode for writer in writers if writer.exitcode != 0]
    print(json.dumps({"reports": results, "failed_processes": len(failed)}), flush=True)
    return 1 if failed else 0


# --- the coordinator ----------------------------------------------------------------------


def run_writers(
    processes: int,
    count_each: int,
    *,
    database_names: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    trace_bytes: int = TRACE_BYTES,
) -> dict:
    """Run ``processes`` writers of ``count_each`` errors in a child Python and gather their
    reports: rows written, refused (spooled), errors per second, and the stderr."""
    command = [sys.executable, "-m", "bench.concurrency_bench", "writers"]
    command += ["--processes", str(processes), "--count", str(count_each)]
    command += ["--trace-bytes", str(trace_bytes)]
    for alias, name in (database_names or {}).items():
        command += ["--database-name", f"{alias}={name}"]
    finished = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True)
    if finished.returncode != 0 or not finished.stdout.strip():
        raise RuntimeError(f"the writers failed:\n{finished.stderr}")
    outcome = json.loads(finished.stdout.strip().splitlines()[-1])
    reports = outcome["reports"]
    seconds = max(r["ended"] for r in reports) - min(r["started"] for r in reports)
    written = sum(r["written"] for r in reports)
    return {
        "processes": processes,
        "written": written,
        "refused": sum(r["refused"] for r in reports),
        "seconds": seconds,
        "per_second": written / seconds if seconds else 0.0,
        "stderr": finished.stderr,
    }


EMPTY_ERRORS_TABLE = (
    "from errors.models import AppError; AppError.objects.all().delete(); "
    "from django.db import connections; from errors.routers import errors_alias; "
    "print(connections[errors_alias()].vendor)"
)


def benchmark(total: int) -> dict:
    env = scratch_environment("concurrency")
    manage(env, "migrate", "--noinput")
    manage(env, "migrate", "--noinput", "--database=errors")
    results = []
    vendor = ""
    for processes in WRITER_COUNTS:
        vendor = manage(env, "shell", "-c", EMPTY_ERRORS_TABLE).strip().splitlines()[-1]
        run = run_writers(processes, total // processes, env=env)
        print(
            f"{vendor}: {processes} writer(s): {run['written']} errors in {run['seconds']:.2f} s"
            f" = {run['per_second']:.0f}/s ({run['refused']} refused)",
            flush=True,
        )
        run["load_average"] = os.getloadavg()[0]  # other work on the machine skews the rate
        results.append({key: value for key, value in run.items() if key != "stderr"})
    manage(env, "shell", "-c", EMPTY_ERRORS_TABLE)
    return {"vendor": vendor, "trace_bytes": TRACE_BYTES, "runs": results, "cpus": os.cpu_count()}


def render_section(all_results: list[dict]) -> str:
    vendors = sorted(all_results, key=lambda result: result["vendor"])
    lines = [
        SECTION,
        "",
        f"`python -m bench.concurrency_bench` (once per database): writer processes each calling "
        f"`persist_app_error` with a ~{TRACE_BYTES // 1000} KB trace and a small context, "
        f"{ERRORS_PER_RUN} errors per run, all writers released at once; errors per second "
        f"over the wall-clock time from the first start to the last finish. Target: at least "
        f"{TARGET_PER_SECOND_WITH_4:,} errors/s with 4 writers on this "
        f"{vendors[0]['cpus']}-core machine. Refused writes would be spooled: "
        f"{refused_summary(vendors)}. The load "
        f"is the machine's 1-minute load average at the end of the run: above the core count, "
        f"other work was competing for the CPUs and the rate is a floor, not a ceiling.",
        "",
        "| writers | " + " | ".join(result["vendor"] for result in vendors) + " |",
        "| --- |" + " --- |" * len(vendors),
    ]
    for index, processes in enumerate(WRITER_COUNTS):
        cells = []
        for result in vendors:
            run = result["runs"][index]
            mark = ""
            if processes == 4:
                mark = " ✓" if run["per_second"] >= TARGET_PER_SECOND_WITH_4 else " ✗"
            refused = f", {run['refused']} refused" if run["refused"] else ""
            load = f" (load {run['load_average']:.1f})" if "load_average" in run else ""
            cells.append(f"{run['per_second']:,.0f}/s{mark}{refused}{load}")
        lines.append(f"| {processes} | " + " | ".join(cells) + " |")
    lines += ["", target_status(vendors)]
    return "\n".join(lines) + "\n"


def refused_summary(vendors: list[dict]) -> str:
    refused = sum(run["refused"] for result in vendors for run in result["runs"])
    return "none were" if not refused else f"{refused:,} were (shown per run)"


def target_status(vendors: list[dict]) -> str:
    """One sentence on the 4-writer target, from the results themselves (the analysis of
    where the time goes is prose of its own in BENCHMARKS.md, after this section)."""
    index = WRITER_COUNTS.index(4)
    rates = {result["vendor"]: result["runs"][index]["per_second"] for result in vendors}
    met = [vendor for vendor, rate in rates.items() if rate >= TARGET_PER_SECOND_WITH_4]
    missed = [vendor for vendor in rates if vendor not in met]
    figures = ", ".join(f"{rate:,.0f}/s on {vendor}" for vendor, rate in rates.items())
    if not missed:
        return f"With 4 writers: {figures}; the target is met on every database measured."
    return f"With 4 writers: {figures}; the target is not met on {', '.join(missed)}."


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["writers"]:
        return writers_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=ERRORS_PER_RUN)
    add_output_arguments(parser, BASE_DIR)
    args = parser.parse_args(argv)
    result = benchmark(args.total)
    record_result(result, name="concurrency", args=args, heading=SECTION, render=render_section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
