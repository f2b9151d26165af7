"""Full-text search against the icontains scan it replaces, on the same rows.

    BENCH_VAR_DIR=var/bench-100k python -m bench.search_bench --rows 100000
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/app_errors_search_1m \\
        python -m bench.search_bench --rows 1000000

Tops the benchmark database up to ``--rows`` with bench.generate, then times, per query,
what a client of the API waits for: the list endpoint's answer for ``?search=`` (its count
and its first page of 50 rows, newest first, serialised), called in-process; the page alone,
through the selectors the API and the dashboard share; and the same answer best match first
(``rank=true``). Against it, the ``message``/``data`` icontains filter the search replaced,
answered the way the list endpoint answered it before: an exact count and the first page,
newest first. Median and p95 in milliseconds, printed as a Markdown table for BENCHMARKS.md.
"""

import argparse
import os
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
    parser.add_argument("--scan-repeat", type=int, default=3, help="scans take seconds")
    parser.add_argument("--generate-only", action="store_true", help="load rows, time nothing")
    parser.add_argument("--no-scan", action="store_true", help="time the search only")
    parser.add_argument(
        "--as-loaded",
        action="store_true",
        help="time the database as it is: no migration, no top-up, no ANALYZE",
    )
    args = parser.parse_args(argv)
    apply_bench_environment()
    import django

    django.setup()
    if not args.as_loaded:
        migrate_bench_database()
        from bench.generate import generate_app_errors

        generate_app_errors(args.rows, seed=6, top_up=True, progress=False)
        analyze()
    if args.generate_only:
        return 0
    load = os.getloadavg()[0]
    results = measure(args.repeat, 0 if args.no_scan else args.scan_repeat)
    print(f"Load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.\n")
    print(render(results))
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
        def page(search=search):
            filterset = filter_app_errors({"search": search})
            assert filterset.is_valid()
            return slice_app_errors(list_app_errors(filterset), 0, PAGE)

        scan = AppError.objects.filter(
            Q(message__icontains=scan_text) | Q(data__icontains=scan_text)
        ).order_by(*DEFAULT_ORDERING)
        answer = api_answer({"search": search})
        result = {
            "vendor": connection.vendor,
            "rows": total,
            "query": label,
            "search": search,
            "matches": api_answer({"search": search}, count_cap=None)["count"],
            "count_is_exact": answer["count_is_exact"],
            "api": timings(lambda search=search: api_answer({"search": search}), repeat),
            "page": timings(page, repeat),
            "ranked": timings(
                lambda search=search: api_answer({"search": search, "rank": "true"}), repeat
            ),
        }
        if scan_repeat:
            scan_page, scan_answer = paired_timings(
                lambda scan=scan: list(scan[:PAGE]), lambda scan=scan: scan.count(), scan_repeat
            )
            result.update(scan_page=scan_page, scan_answer=scan_answer)
        results.append(result)
    return results


def api_answer(params: dict[str, str], *, count_cap: int | None = -1) -> dict:
    """The list endpoint's JSON for ``params``, rendered, as a staff member gets it (without
    the HTTP round trip). ``count_cap=None`` counts exactly, to report how many rows match."""
    import json

    from django.contrib.auth import get_user_model
    from rest_framework.test import APIRequestFactory, force_authenticate

    from errors.api import pagination
    from errors.api.views import AppErrorViewSet

    request = APIRequestFactory().get("/api/app-errors/", params, HTTP_HOST="127.0.0.1")
    force_authenticate(request, user=get_user_model()(username="bench", is_staff=True))
    cap = pagination.COUNT_CAP
    if count_cap is None:
        pagination.COUNT_CAP = 10**12
    try:
        response = AppErrorViewSet.as_view({"get": "list"})(request)
    finally:
        pagination.COUNT_CAP = cap
    assert response.status_code == 200, response.data
    return json.loads(response.render().content)


def timings(call: Callable, repeat: int) -> dict[str, float]:
    call()  # warm the cache: every figure is a warm one
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return summary(samples)


def paired_timings(page: Callable, count: Callable, repeat: int) -> tuple[dict, dict]:
    """The page alone, and the page plus its exact count (what a paginated answer costs),
    from the same runs: each scan takes seconds, so it is not run twice."""
    page()
    pages, answers = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        page()
        middle = time.perf_counter()
        count()
        end = time.perf_counter()
        pages.append((middle - start) * 1000)
        answers.append((end - start) * 1000)
    return summary(pages), summary(answers)


def summary(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"median": statistics.median(samples), "p95": p95}


def render(results: list[dict]) -> str:
    has_scan = all("scan_answer" in r for r in results)
    header = (
        "| backend | rows | query | matches | API answer (count + page) median / p95 "
        "| page alone median | ranked answer median"
    )
    rule = "|---|---:|---|---:|---:|---:|---:"
    if has_scan:
        header += " | icontains count + page median | icontains page alone median | speed-up"
        rule += "|---:|---:|---:"
    lines = [header + " |", rule + "|"]
    for r in results:
        matches = f"{r['matches']:,}" + ("" if r["count_is_exact"] else " (count capped)")
        line = (
            f"| {r['vendor']} | {r['rows']:,} | {r['query']} `{r['search']}` | {matches} "
            f"| {r['api']['median']:.1f} / {r['api']['p95']:.1f} ms "
            f"| {r['page']['median']:.1f} ms | {r['ranked']['median']:.1f} ms"
        )
        if has_scan:
            speedup = r["scan_answer"]["median"] / max(r["api"]["median"], 0.001)
            line += (
                f" | {r['scan_answer']['median']:.1f} ms | {r['scan_page']['median']:.1f} ms "
                f"| {speedup:.0f}x"
            )
        lines.append(line + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
