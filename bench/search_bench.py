"""Full-text search against the icontains scan it replaces, on the same rows.

    BENCH_VAR_DIR=var/bench-100k python -m bench.search_bench --rows 100000
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/app_errors_search_1m \\
        python -m bench.search_bench --rows 1000000

Tops the benchmark database up to ``--rows`` with bench.generate, then times, per query, the
first page of results (50 rows, newest first) and its count, through the same selectors the
API and the dashboard use; the same page best match first (``rank=true``); and the page
through ``message``/``data`` icontains, newest first, as the search did before the indexes.
Median and p95 in milliseconds, printed as a Markdown table for BENCHMARKS.md.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from bench.environment import apply_bench_environment, migrate_bench_database

PAGE = 50
# What staff type: a record number (taken from the data), an exception type, a phrase from a
# message, a prefix, and a word common to a tenth of the rows. (label, search, icontains text)
QUERIES = (
    ("record number", "{number}", "{number}"),
    ("exception type", "ReadTimeout", "ReadTimeout"),
    ("phrase", '"violates unique constraint" invoice', "violates unique constraint on invoice"),
    ("prefix", "dupl* timesh*", "duplicate key value violates unique constraint on timesheet"),
    ("common word", "connection", "connection"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--scan-repeat", type=int, default=5, help="scans take seconds")
    parser.add_argument("--generate-only", action="store_true", help="load rows, time nothing")
    args = parser.parse_args(argv)
    apply_bench_environment()
    import django

    django.setup()
    migrate_bench_database()
    from bench.generate import generate_app_errors

    generate_app_errors(args.rows, seed=6, top_up=True, progress=False)
    analyze()
    if args.generate_only:
        return 0
    print(render(measure(args.repeat, args.scan_repeat)))
    return 0


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would gather in production:
    without them PostgreSQL guesses every search matches thousands of rows."""
    from django.db import connections

    from errors.routers import errors_alias

    with connections[errors_alias()].cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(repeat: int, scan_repeat: int) -> list[dict]:
    from django.db import connections
    from django.db.models import Q

    from errors.models import AppError
    from errors.routers import errors_alias
    from errors.selectors import (
        DEFAULT_ORDERING,
        filter_app_errors,
        list_app_errors,
        list_ranked_app_errors,
        slice_app_errors,
    )

    connection = connections[errors_alias()]
    total = AppError.objects.count()
    oldest = AppError.objects.order_by("timestamp", "id").values_list("message", flat=True)[0]
    number = next((word for word in oldest.replace("'", " ").split() if word.isdigit()), "1000")
    results = []
    for label, search_template, scan_template in QUERIES:
        search = search_template.format(number=number)
        scan_text = scan_template.format(number=number)

        # Built inside every timed call: building a search may already ask the index.
        def errors(search=search):
            filterset = filter_app_errors({"search": search})
            assert filterset.is_valid()
            return list_app_errors(filterset)

        def ranked(search=search):
            filterset = filter_app_errors({"search": search})
            assert filterset.is_valid()
            return list_ranked_app_errors(filterset)

        scan = AppError.objects.filter(
            Q(message__icontains=scan_text) | Q(data__icontains=scan_text)
        ).order_by(*DEFAULT_ORDERING)
        results.append(
            {
                "vendor": connection.vendor,
                "rows": total,
                "query": label,
                "search": search,
                "matches": errors().count(),
                "page": timings(lambda errors=errors: slice_app_errors(errors(), 0, PAGE), repeat),
                "count": timings(lambda errors=errors: errors().count(), repeat),
                "ranked": timings(
                    lambda ranked=ranked: slice_app_errors(ranked(), 0, PAGE), scan_repeat
                ),
                "scan": timings(lambda scan=scan: list(scan[:PAGE]), scan_repeat),
            }
        )
    return results


def timings(call: Callable, repeat: int) -> dict[str, float]:
    call()  # warm the cache: every figure is a warm one
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"median": statistics.median(samples), "p95": p95}


def render(results: list[dict]) -> str:
    lines = [
        "| backend | rows | query | matches | search page median / p95 | count median "
        "| ranked page median | icontains page median / p95 | speed-up |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        speedup = r["scan"]["median"] / max(r["page"]["median"], 0.001)
        lines.append(
            f"| {r['vendor']} | {r['rows']:,} | {r['query']} `{r['search']}` | {r['matches']:,} "
            f"| {r['page']['median']:.1f} / {r['page']['p95']:.1f} ms "
            f"| {r['count']['median']:.1f} ms "
            f"| {r['ranked']['median']:.1f} ms "
            f"| {r['scan']['median']:.1f} / {r['scan']['p95']:.1f} ms | {speedup:.0f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
