"""What staff wait for in the browser: the list pages at a million errors, opened and
filtered in Debian's Chromium through Playwright.

    python -m bench.browser_bench                  # SQLite, 1,000,000 errors
    DATABASE_URL=postgres://... python -m bench.browser_bench

Works in a scratch database of its own (var/bench-browser, or DATABASE_URL's database with
``_browser`` appended), topped up to ``--rows`` errors by bench.generate and grouped by
``group_app_errors``. gunicorn (one sync worker, DEBUG off, hashed static files as in
production) serves the pages to a logged-in Chromium. Each page load is a fresh navigation
with the browser cache emptied, and its figures come from the browser's own Navigation
Timing entry (``domContentLoadedEventEnd`` and ``loadEventEnd``); the HTML size is the
uncompressed document the server sent. A filter change selects another value in the page's
filter form and times from the ``change`` event to htmx's ``htmx:afterSettle`` on the page.
Between measurements the page is left until the network is idle, so requests a page makes
once loaded (the group list's charts) never queue before the next one on the single worker.
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import textwrap

from bench.environment import BASE_DIR, manage, scratch_environment
from bench.report import add_output_arguments, record_result
from bench.server import gunicorn

SECTION = "## In the browser"
ROWS = 1_000_000
REPEAT = 15
HTML_BUDGET_KB = 100
DCL_BUDGET_MS = 300
LOAD_BUDGET_MS = 500
SWAP_BUDGET_MS = 250
CHROMIUM = "/usr/bin/chromium"
PAGES = (("group list", "/"), ("occurrence list", "/errors/"))
LOGIN = "from bench.environment import ensure_bench_login; print(' '.join(ensure_bench_login()))"
COUNT = "from errors.models import AppError; print(AppError.objects.count())"
NAVIGATION = """() => {
  const [entry] = performance.getEntriesByType("navigation");
  return {dcl: entry.domContentLoadedEventEnd, load: entry.loadEventEnd,
          html: entry.decodedBodySize};
}"""
# Select the next option of the first filter select and resolve with the milliseconds from
# the change event to htmx settling the swapped content.
FILTER_CHANGE = """() => new Promise((resolve, reject) => {
  const select = document.querySelector("form#filters select, form.filters select");
  if (!select || select.options.length < 2) { reject("no filter select"); return; }
  const started = performance.now();
  document.body.addEventListener("htmx:afterSettle",
    () => resolve(performance.now() - started), {once: true});
  select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
  select.dispatchEvent(new Event("change", {bubbles: true}));
})"""


def prepare(env: dict[str, str], rows: int) -> tuple[int, tuple[str, str]]:
    """Migrate the scratch database, top it up to ``rows`` grouped errors, make a login."""
    manage(env, "migrate", "--noinput")
    manage(env, "migrate", "--noinput", "--database=errors")
    manage(env, "collectstatic", "--noinput")
    generate = [sys.executable, "-m", "bench.generate", "--rows", str(rows), "--top-up"]
    subprocess.run([*generate, "--quiet"], cwd=BASE_DIR, env=env, check=True)
    manage(env, "group_app_errors", "--quiet")
    username, password = manage(env, "shell", "-c", LOGIN).split()[-2:]
    total = int(manage(env, "shell", "-c", COUNT).split()[-1])
    return total, (username, password)


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[type=submit]")
    page.wait_for_url(f"{base}/")


def time_page(page, url: str, repeat: int) -> dict:
    """Fresh navigations of ``url`` (cache emptied before each), then filter changes."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    loads = []
    for _ in range(repeat + 1):
        session.send("Network.clearBrowserCache")
        page.goto(url, wait_until="load")
        loads.append(page.evaluate(NAVIGATION))
        # What the page asks for once loaded (the group list's charts) must not hold the one
        # worker while the next page is timed.
        page.wait_for_load_state("networkidle")
    loads = loads[1:]  # the first one warms the server's imports and caches
    swaps = []
    for _ in range(repeat + 1):
        page.goto(url, wait_until="networkidle")
        swaps.append(page.evaluate(FILTER_CHANGE))
        page.wait_for_load_state("networkidle")
    swaps = swaps[1:]
    return {
        "html_kb": round(max(load["html"] for load in loads) / 1024, 1),
        "dcl_ms": percentiles([load["dcl"] for load in loads]),
        "load_ms": percentiles([load["load"] for load in loads]),
        "swap_ms": percentiles(swaps),
    }


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
    }


def benchmark(rows: int, repeat: int) -> dict:
    from playwright.sync_api import sync_playwright

    env = scratch_environment("browser")
    total, login = prepare(env, rows)
    vendor = "postgresql" if "DATABASE_URL" in env else "sqlite"
    log = BASE_DIR / "var" / "bench-browser" / f"gunicorn-{vendor}.log"
    pages = []
    with gunicorn(env, log) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        base = f"http://127.0.0.1:{server.port}"
        log_in(page, base, *login)
        for label, path in PAGES:
            pages.append({"label": label, "path": path, **time_page(page, base + path, repeat)})
        browser.close()
    return {
        "vendor": vendor,
        "rows": total,
        "repeat": repeat,
        "pages": pages,
        "load_average": round(os.getloadavg()[0], 1),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_section(results: list[dict]) -> str:
    intro = (
        "`python -m bench.browser_bench` (once per database): the two list pages opened in "
        "Debian's Chromium (Playwright, 1440 x 900, browser cache emptied before each load) "
        "from gunicorn on this machine (one sync worker, DEBUG off). Figures are the "
        "browser's own Navigation Timing; a filter change is timed from the select's change "
        "event to htmx settling the swapped content. Budgets: HTML at most "
        f"{HTML_BUDGET_KB} KB for 50 rows, DOMContentLoaded under {DCL_BUDGET_MS} ms, load "
        f"under {LOAD_BUDGET_MS} ms, filter change under {SWAP_BUDGET_MS} ms (p50; p95 shown)."
    )
    lines = [
        SECTION,
        "",
        *textwrap.wrap(intro, 92),
        "",
        "| database | rows | page | HTML KB | DOMContentLoaded p50 / p95 ms "
        "| load p50 / p95 ms | filter change p50 / p95 ms | load avg | measured |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        for page in result["pages"]:
            lines.append(
                f"| {result['vendor']} | {result['rows']:,} | {page['label']} "
                f"| {page['html_kb']} {mark(page['html_kb'] <= HTML_BUDGET_KB)} "
                f"| {cell(page['dcl_ms'], DCL_BUDGET_MS)} "
                f"| {cell(page['load_ms'], LOAD_BUDGET_MS)} "
                f"| {cell(page['swap_ms'], SWAP_BUDGET_MS)} | {result['load_average']} "
                f"| {result['date']} |"
            )
    return "\n".join(lines) + "\n"


def cell(figures: dict, budget: float) -> str:
    return f"{figures['p50']} / {figures['p95']} {mark(figures['p50'] < budget)}"


def mark(ok: bool) -> str:
    return "ok" if ok else "**over**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    add_output_arguments(parser, BASE_DIR)
    args = parser.parse_args(argv)
    result = benchmark(args.rows, args.repeat)
    record_result(result, name="browser", args=args, heading=SECTION, render=render_section)
    print(render_section([result]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
