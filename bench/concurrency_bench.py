"""Sustained error writes with several processes at once, measured the way applications
write: into a table that already holds a million errors (``--prefill``), each error a real
raised exception with a ~5 KB trace and a 2-5 KB context; errors per second with 1, 4 and 8
writer processes, spread over a thousand groups and all into one group.

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
PREFILL_ROWS = 1_000_000
GROUP_SHAPES = ("many", "one")
MANY_GROUPS = 1000
CONTEXT_BYTES = (2048, 5120)
TARGET_PER_SECOND_WITH_4 = 2000
SECTION = "## Concurrent writes"


# --- the writer process -------------------------------------------------------------------


def site_name(number: int) -> str:
    """A word per site, letters only, so the normalized messages differ between sites."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    site = number % MANY_GROUPS
    return "".join(letters[(site // 26**place) % 26] for place in range(3))


def ping(
    depth: int, number: int, *, invoice_reference: str = "", account: str = "", site: str = ""
) -> None:
    if depth <= 0:
        raise ValueError(f"Invoice {number} could not be pushed to Xero{site}: totals do not match")
    pong(
        depth - 1,
        number,
        invoice_reference=f"INV-{number:08d}",
        account="ACME-TRADING-LTD",
        site=site,
    )


def pong(
    depth: int, number: int, *, invoice_reference: str = "", account: str = "", site: str = ""
) -> None:
    ping(depth - 1, number, invoice_reference=invoice_reference, account=account.lower(), site=site)


def failing_call(depth: int, number: int, *, site: str = "") -> ValueError:
    """A fresh exception whose trace has ``depth`` distinct frames (ping and pong alternate,
    so the traceback does not fold them into "previous line repeated"); ``site`` names the
    group it joins (an empty one: all in one group)."""
    try:
        ping(depth, number, site=f" ({site})" if site else "")
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
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app_errors_site.settings")
    import django
    from django.conf import settings

    for alias, name in names.items():
        settings.DATABASES[alias]["NAME"] = name
    # The stored path is measured: every error becomes a row, the storm limit is off.
    settings.APP_ERRORS = {**settings.APP_ERRORS, "GROUP_ROWS_PER_HOUR": None}
    django.setup()


def invoice_context(number: int, rng) -> dict:
    """What a job-management app hands persist_app_error: the invoice being pushed, with
    enough lines to weigh 2-5 KB."""
    target = rng.randint(*CONTEXT_BYTES)
    lines, size = [], 0
    while size < target:
        line = {
            "description": f"Labour: fitting and adjustment, stage {len(lines) + 1}",
            "quantity": rng.randint(1, 40),
            "unit_amount": f"{rng.randint(10, 900)}.{rng.randint(0, 99):02d}",
            "account_code": "200",
            "tax_type": "OUTPUT2",
        }
        lines.append(line)
        size += len(json.dumps(line))
    return {"n": number, "invoice": {"reference": f"INV-{number:08d}", "lines": lines}}


def write_errors(count: int, depth: int, ready, reports, groups: str = "one") -> None:
    """One writer process: open the connection, wait for all, persist ``count`` errors."""
    import random

    from django.db import connections

    from errors.routers import errors_alias
    from errors.services import persist_app_error

    connections[errors_alias()].ensure_connection()
    rng = random.Random(os.getpid())
    contexts = [invoice_context(number, rng) for number in range(min(count, 200))]
    ready.wait()
    started = time.time()
    refused = 0
    for number in range(count):
        site = site_name(rng.randrange(MANY_GROUPS)) if groups == "many" else ""
        context = {**contexts[number % len(contexts)], "n": number}
        error = persist_app_error(
            failing_call(depth, number, site=site), additional_context=context
        )
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
    parser.add_argument("--groups", choices=GROUP_SHAPES, default="one")
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
        context.Process(target=write_errors, args=(args.count, depth, ready, reports, args.groups))
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
    groups: str = "one",
) -> dict:
    """Run ``processes`` writers of ``count_each`` errors in a child Python and gather their
    reports: rows written, refused (spooled), errors per second, and the stderr."""
    command = [sys.executable, "-m", "bench.concurrency_bench", "writers"]
    command += ["--processes", str(processes), "--count", str(count_each)]
    command += ["--trace-bytes", str(trace_bytes), "--groups", groups]
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


VENDOR = (
    "from django.db import connections; from errors.routers import errors_alias; "
    "from errors.models import AppError; "
    "print(connections[errors_alias()].vendor, AppError.objects.count())"
)


def prepare(prefill: int) -> dict[str, str]:
    """The bench's scratch database, migrated and holding at least ``prefill`` grouped
    errors (topped up, so a second run reuses the first's rows); its environment."""
    env = scratch_environment("concurrency")
    manage(env, "migrate", "--noinput")
    manage(env, "migrate", "--noinput", "--database=errors")
    if prefill:
        subprocess.run(
            [sys.executable, "-m", "bench.generate", "--rows", str(prefill), "--top-up"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
        manage(env, "group_app_errors", "--quiet")
    return env


def benchmark(total: int, prefill: int) -> dict:
    env = prepare(prefill)
    vendor, rows = manage(env, "shell", "-c", VENDOR).strip().splitlines()[-1].split()
    results = []
    for groups in GROUP_SHAPES:
        for processes in WRITER_COUNTS:
            run = run_writers(processes, total // processes, env=env, groups=groups)
            print(
                f"{vendor}: {processes} writer(s), {groups} group(s): {run['written']} errors"
                f" in {run['seconds']:.2f} s = {run['per_second']:.0f}/s"
                f" ({run['refused']} refused)",
                flush=True,
            )
            run["load_average"] = os.getloadavg()[0]  # other work on the machine skews the rate
            run["groups"] = groups
            results.append({key: value for key, value in run.items() if key != "stderr"})
    return {
        "vendor": vendor,
        "trace_bytes": TRACE_BYTES,
        "prefill": prefill,
        "rows": int(rows),
        "total": total,
        "runs": results,
        "cpus": os.cpu_count(),
    }


def render_section(all_results: list[dict]) -> str:
    vendors = sorted(all_results, key=lambda result: result["vendor"])
    held = ", ".join(
        f"{result.get('rows', result.get('prefill', 0)):,} on {result['vendor']}"
        for result in vendors
    )
    per_run = ", ".join(
        f"{result.get('total', ERRORS_PER_RUN):,} on {result['vendor']}" for result in vendors
    )
    lines = [
        SECTION,
        "",
        f"`python -m bench.concurrency_bench` (once per database): writer processes each calling "
        f"`persist_app_error` with a real raised exception (a ~{TRACE_BYTES // 1000} KB trace) and "
        f"a 2-5 KB context, into an errors table already holding rows ({held} before the "
        "first run), "
        f"errors per run: {per_run}; all writers released at once; errors per second "
        f"over the wall-clock time from the first start to the last finish, spread over "
        f"{MANY_GROUPS:,} groups and all into one group (the storm limit off: every error "
        f"stored). Target: at least {TARGET_PER_SECOND_WITH_4:,} errors/s with 4 writers on "
        f"PostgreSQL and {TARGET_SQLITE_WITH_4:,} on SQLite, on this "
        f"{vendors[0]['cpus']}-core machine. Refused writes would be spooled: "
        f"{refused_summary(vendors)}. The load is the machine's 1-minute load average at the "
        f"end of the run: above the core count, other work was competing for the CPUs and the "
        f"rate is a floor, not a ceiling.",
        "",
        "| writers | groups | " + " | ".join(result["vendor"] for result in vendors) + " |",
        "| --- | --- |" + " --- |" * len(vendors),
    ]
    shapes = [(run["processes"], run.get("groups", "one")) for run in vendors[0]["runs"]]
    for index, (processes, groups) in enumerate(shapes):
        cells = []
        for result in vendors:
            run = result["runs"][index]
            mark = ""
            if processes == 4:
                mark = " ✓" if run["per_second"] >= target_for(result["vendor"]) else " ✗"
            refused = f", {run['refused']} refused" if run["refused"] else ""
            load = f" (load {run['load_average']:.1f})" if "load_average" in run else ""
            cells.append(f"{run['per_second']:,.0f}/s{mark}{refused}{load}")
        lines.append(f"| {processes} | {groups} | " + " | ".join(cells) + " |")
    lines += ["", target_status(vendors)]
    return "\n".join(lines) + "\n"


TARGET_SQLITE_WITH_4 = 1500


def target_for(vendor: str) -> int:
    return TARGET_SQLITE_WITH_4 if vendor == "sqlite" else TARGET_PER_SECOND_WITH_4


def refused_summary(vendors: list[dict]) -> str:
    refused = sum(run["refused"] for result in vendors for run in result["runs"])
    return "none were" if not refused else f"{refused:,} were (shown per run)"


def target_status(vendors: list[dict]) -> str:
    """One sentence on the 4-writer target, from the results themselves."""
    figures, missed = [], []
    for result in vendors:
        for run in result["runs"]:
            if run["processes"] != 4:
                continue
            label = f"{result['vendor']} ({run.get('groups', 'one')} group(s))"
            figures.append(f"{run['per_second']:,.0f}/s on {label}")
            if run["per_second"] < target_for(result["vendor"]):
                missed.append(label)
    if not missed:
        return f"With 4 writers: {', '.join(figures)}; the target is met everywhere measured."
    return f"With 4 writers: {', '.join(figures)}; the target is not met on {', '.join(missed)}."


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["writers"]:
        return writers_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=ERRORS_PER_RUN)
    parser.add_argument("--prefill", type=int, default=PREFILL_ROWS)
    add_output_arguments(parser, BASE_DIR)
    args = parser.parse_args(argv)
    result = benchmark(args.total, args.prefill)
    record_result(result, name="concurrency", args=args, heading=SECTION, render=render_section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
