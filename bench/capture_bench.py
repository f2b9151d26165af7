"""What a hostile or ordinary context costs the caller of ``persist_app_error``.

    python -m bench.capture_bench              # SQLite, in var/bench-capture
    DATABASE_URL=postgres://.../app_errors python -m bench.capture_bench
                                               # PostgreSQL, in app_errors_capture

The figures, median / p95 in milliseconds:
- ``persist_app_error`` with a context holding one 20 MB string (text with digits, the
  scrubber's slowest input): the string is cut to ``MAX_CONTEXT_VALUE_LENGTH`` before it is
  scrubbed and serialized, so the call costs what a small one does;
- the same 20 MB as 2,000 strings of 10 KB: text is read only up to twice what the
  context can store;
- ``persist_app_error`` with an ordinary context of about 3.5 KB (a request's headers,
  query string, user, a DSN, an invoice);
- ``scrub`` alone on that context: what secret filtering adds to every error;
- ``scrub`` on the slowest of a few hostile context strings at the longest length the
  scrubber sees (``MAX_CONTEXT_VALUE_LENGTH`` plus its margin): dotted words before a
  ``://``, colons, runs of ``name=``, ``bearer``, digits. Each pattern stays linear.

Each run writes bench/results/capture-<vendor>.json and the "## Recording hostile and
ordinary contexts" section of BENCHMARKS.md from every result file there.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from bench.environment import manage, scratch_environment
from bench.report import add_output_arguments, record_result, summarize

BASE_DIR = Path(__file__).resolve().parent.parent
SECTION = "## Recording hostile and ordinary contexts"
HUGE_BYTES = 20 * 1024 * 1024
MANY_STRINGS = 2_000
HUGE_RUNS, SMALL_RUNS, HOSTILE_RUNS = 20, 300, 20
HUGE_TARGET_MS = 50


def realistic_context() -> dict:
    """About 3.5 KB of JSON, shaped like what an application passes: request, user, job."""
    return {
        "request": {
            "method": "POST",
            "path": "/api/invoices/7781/push/",
            "query_string": "page=2&sort=-created&token=7f1c9a2b4e6d8f00&include=lines,customer",
            "url": "https://billing.example.com/api/invoices/7781/push/?signature=a1b2c3d4e5",
            "headers": {
                "Accept": "application/json",
                "Accept-Language": "en-NZ,en;q=0.9",
                "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl",
                "Content-Type": "application/json",
                "Cookie": "sessionid=0a1b2c3d4e5f; csrftoken=f5e4d3c2b1a0",
                "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0",
                "X-Api-Key": "live_4f2b8c1d9e7a6b5c",
                "X-Forwarded-For": "203.0.113.7, 10.0.0.12",
                "X-Request-Id": "5d0f6f5e-9d9b-4a38-b1d4-4a0c7c1f2e11",
            },
            "remote_addr": "10.0.0.12",
        },
        "user": {"id": 42, "username": "ann.walker", "email": "ann@example.com"},
        "job": {
            "job_number": "J-10442",
            "name": "Kitchen refit, 14 Harbour Street",
            "status": "invoicing",
            "client_name": "Harbour Joinery Ltd",
            "created_at": "2026-11-30T09:15:00+13:00",
        },
        "database": "postgres://billing:s3cr3t-pass@db.internal:5432/billing",
        "invoice": {
            "number": "INV-7781",
            "lines": [
                {"sku": f"SKU-{n:05d}", "description": "Oak bench top, 2.4 m", "qty": n % 4 + 1}
                for n in range(30)
            ],
            "total": "4,312.50",
            "currency": "NZD",
            "note": "Customer asked to split the payment; card on file ends 4242. "
            "Call before delivery on weekdays after 3 pm.",
        },
        "xero": {"tenant": "b1e2c3d4", "response": "429 Too Many Requests", "retry_after": 60},
    }


def hostile_texts(length: int) -> list[str]:
    """Strings shaped to make the scrubber's patterns backtrack, ``length`` characters."""
    repeated = ["a://b", "&a=", "a= ", "bearer ", "1", "1 "]
    texts = [(unit * (length // len(unit) + 1))[:length] for unit in repeated]
    return [
        *texts,
        ("a." * length)[: length - 3] + "://",  # one long scheme-like run
        "x://" + ":" * (length - 4),  # an authority that never reaches "@"
        "&" + "a" * (length - 2) + "=",  # one long parameter name
    ]


def huge_text() -> str:
    line = "2026-12-02 08:14:07 order 10442 line 7 qty 3 price 129.50 shipped to 221B Baker St\n"
    return (line * (HUGE_BYTES // len(line) + 1))[:HUGE_BYTES]


def failing(message: str) -> ValueError:
    try:
        raise ValueError(message)
    except ValueError as exc:
        return exc


def timed(call, runs: int) -> dict:
    call()  # warm-up: settings read, patterns compiled, connection open
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return summarize(seconds)


def measure() -> dict:
    """The figures, in this process (set up for the scratch database by ``main``)."""
    import django

    django.setup()
    from django.db import connections

    from errors.limits import SCRUB_MARGIN, Limits
    from errors.routers import errors_alias
    from errors.scrubbing import scrub, scrub_text
    from errors.services import persist_app_error

    huge = {"body": huge_text(), "invoice": "INV-7781"}
    text = huge_text()
    size = HUGE_BYTES // MANY_STRINGS
    many = {"rows": [text[number * size : (number + 1) * size] for number in range(MANY_STRINGS)]}
    longest = Limits.for_vendor(connections[errors_alias()].vendor).context_value + SCRUB_MARGIN
    hostile = hostile_texts(longest)
    context = realistic_context()
    figures = {
        "persist: 20 MB context": timed(
            lambda: persist_app_error(failing("huge context"), additional_context=huge),
            HUGE_RUNS,
        ),
        "persist: 20 MB in 2,000 strings": timed(
            lambda: persist_app_error(failing("many strings"), additional_context=many),
            HUGE_RUNS,
        ),
        "persist: ordinary context": timed(
            lambda: persist_app_error(failing("push failed"), additional_context=context),
            SMALL_RUNS,
        ),
        "scrub: ordinary context": timed(lambda: scrub(context), SMALL_RUNS),
        "scrub: slowest hostile string": max(
            (timed(lambda text=text: scrub_text(text), HOSTILE_RUNS) for text in hostile),
            key=lambda figure: figure["median_ms"],
        ),
    }
    return {
        "vendor": connections[errors_alias()].vendor,
        "context_bytes": len(json.dumps(context)),
        "figures": figures,
        "load_average": round(os.getloadavg()[0], 1),
    }


def render_section(results: list[dict]) -> str:
    names = list(results[0]["figures"])
    lines = [
        SECTION,
        "",
        "`python -m bench.capture_bench` (once per database): `persist_app_error` with a "
        f"context holding one 20 MB string, and 20 MB in {MANY_STRINGS:,} strings ({HUGE_RUNS} "
        f"runs each; target for the one string under {HUGE_TARGET_MS} ms), with a realistic "
        f"{results[0]['context_bytes']:,}-byte context ({SMALL_RUNS} runs), the scrubbing of "
        "that context alone, and the scrubbing of the slowest of nine hostile strings as long "
        "as the scrubber ever sees (17 KB). Median / p95, milliseconds.",
        "",
        "| database | " + " | ".join(names) + " | load |",
        "| --- |" + " --- |" * (len(names) + 1),
    ]
    for result in sorted(results, key=lambda result: result["vendor"]):
        cells = [
            f"{result['figures'][name]['median_ms']} / {result['figures'][name]['p95_ms']}"
            for name in names
        ]
        lines.append(
            f"| {result['vendor']} | " + " | ".join(cells) + f" | {result['load_average']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_output_arguments(parser, BASE_DIR)
    args = parser.parse_args(argv)
    env = scratch_environment("capture")
    manage(env, "migrate", "--verbosity=0")
    manage(env, "migrate", "--database=errors", "--verbosity=0")
    os.environ.clear()
    os.environ.update(env)
    result = measure()
    print(json.dumps(result), flush=True)
    record_result(result, name="capture", args=args, heading=SECTION, render=render_section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
