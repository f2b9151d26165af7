"""Figures, targets and BENCHMARKS.md: the results of one run as JSON per database, and the
tables that put SQLite and PostgreSQL side by side."""

import argparse
import json
import math
import statistics
from collections.abc import Callable
from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
VENDORS = (("sqlite", "SQLite"), ("postgresql", "PostgreSQL"))
LIST_MEDIAN_MS, LIST_P95_MS = 150, 300
ADMIN_RATIO = 0.5  # ours / admin: at least 2x faster
CHART_MEDIAN_MS = 200
PERSIST_RATIO = 1.5
MEMORY_GROWTH_MB = 64
GROUP_MEDIAN_MS, GROUP_P95_MS = 100, 200
SEARCH_MEDIAN_MS = 150
GROUP_PAGE_MEDIAN_MS = 150


def summarize(seconds: list[float]) -> dict:
    """Median and nearest-rank p95 in milliseconds."""
    ordered = sorted(seconds)
    p95 = ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "runs": len(ordered),
    }


def judge(results: dict) -> dict:
    """Each target with the figure it is judged on and whether it holds."""
    verdicts = {}
    for name, page in results["list"].items():
        verdicts[f"list: {name}"] = (
            page["median_ms"] < LIST_MEDIAN_MS and page["p95_ms"] < LIST_P95_MS
        )
        verdicts[f"admin ratio: {name}"] = page["admin_ratio"] <= ADMIN_RATIO
    chart = results["chart"]["chart: 90 days"]
    verdicts["chart: 90 days"] = chart["median_ms"] < CHART_MEDIAN_MS
    verdicts["persist ratio"] = results["writes"]["persist_ratio"] <= PERSIST_RATIO
    verdicts["memory"] = results["memory"]["growth_mb"] <= MEMORY_GROWTH_MB
    return verdicts


def write_results(results: dict, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{results['vendor']}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def load_results(directory: Path) -> dict[str, dict]:
    found = {}
    for vendor, _ in VENDORS:
        path = directory / f"{vendor}.json"
        if path.exists():
            found[vendor] = json.loads(path.read_text())
    return found


def render_markdown(all_results: dict[str, dict]) -> str:
    """The generated part of BENCHMARKS.md."""
    vendors = [(vendor, label) for vendor, label in VENDORS if vendor in all_results]
    lines = [START, "", "## Results", ""]
    for vendor, label in vendors:
        run = all_results[vendor]
        load = run["machine"].get("load_average")
        busy = f", load average {load} at the start" if load is not None else ""
        lines.append(
            f"- **{label}** ({run['database_version']}{busy}): {run['rows']:,} errors, "
            f"{run['repeat']} timed runs per figure after {run['warm_up']} warm-up "
            f"({run['admin_repeat']} after 1 for the slow admin pages), "
            f"{run['date']}."
        )
    machine = next(iter(all_results.values()))["machine"] if all_results else {}
    if machine:
        lines.append(
            f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB "
            f"RAM; Python {machine['python']}, Django {machine['django']}; gunicorn, one sync "
            "worker on 127.0.0.1, DEBUG off."
        )
    lines += ["", "Times are milliseconds, median / p95. ✅ met, ❌ not met.", ""]
    lines += _list_table(all_results, vendors)
    lines += _other_pages_table(all_results, vendors)
    lines += _groups_table(all_results, vendors)
    lines += _writes_table(all_results, vendors)
    lines += _memory_table(all_results, vendors)
    lines += ["", END]
    return "\n".join(lines)


def _mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def _header(first: list[str], vendors, per_vendor: list[str]) -> list[str]:
    cells = first + [f"{label} {column}" for _, label in vendors for column in per_vendor]
    return ["| " + " | ".join(cells) + " |", "|" + " --- |" * len(cells)]


def _list_table(all_results, vendors) -> list[str]:
    lines = [
        "### List page against the Django admin changelist",
        "",
        f"Target: median < {LIST_MEDIAN_MS} ms and p95 < {LIST_P95_MS} ms; at least 2x faster "
        f"than the admin for the same filter (ratio ours / admin <= {ADMIN_RATIO}).",
        "",
    ]
    lines += _header(["view"], vendors, ["ours", "admin", "ratio"])
    names = list(next(iter(all_results.values()))["list"]) if all_results else []
    for name in names:
        cells = [name]
        for vendor, _ in vendors:
            page = all_results[vendor]["list"].get(name)
            if page is None:
                cells += ["—", "—", "—"]
                continue
            verdicts = judge(all_results[vendor])
            admin = page["admin"]
            timing = f"{page['median_ms']:.0f} / {page['p95_ms']:.0f}"
            cells += [
                f"{timing} {_mark(verdicts[f'list: {name}'])}",
                f"{admin['median_ms']:.0f} / {admin['p95_ms']:.0f}",
                f"{page['admin_ratio']:.2f} {_mark(verdicts[f'admin ratio: {name}'])}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _other_pages_table(all_results, vendors) -> list[str]:
    lines = [
        "### Chart data and detail page",
        "",
        f"Target: chart data for 90 days median < {CHART_MEDIAN_MS} ms. The default range and "
        "the detail page have no target of their own and are shown for reference.",
        "",
    ]
    lines += _header(["request"], vendors, ["median / p95"])
    for name in ("chart: default range", "chart: 90 days", "detail page"):
        cells = [name]
        for vendor, _ in vendors:
            run = all_results[vendor]
            figure = run["chart"].get(name) or (run["detail"] if name == "detail page" else None)
            mark = f" {_mark(judge(run)['chart: 90 days'])}" if name == "chart: 90 days" else ""
            cells.append(f"{figure['median_ms']:.0f} / {figure['p95_ms']:.0f}{mark}")
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def group_target(name: str) -> tuple[float, float | None]:
    """(median, p95) a group-view figure is judged on."""
    if name.startswith("group page"):
        return GROUP_PAGE_MEDIAN_MS, None
    if "search" in name:
        return SEARCH_MEDIAN_MS, None
    return GROUP_MEDIAN_MS, GROUP_P95_MS


def _groups_table(all_results, vendors) -> list[str]:
    groups = [run.get("groups") or {} for run in all_results.values()]
    names = list(groups[0]) if groups and groups[0] else []
    if not names:
        return []
    lines = [
        "### Group list, searches and the biggest group's page",
        "",
        f"Targets: group list median < {GROUP_MEDIAN_MS} ms and p95 < {GROUP_P95_MS} ms for the "
        f"default view, each filter and each sort; a search for a common word (one in ten "
        f"errors or more) median < {SEARCH_MEDIAN_MS} ms on the group list and on the error "
        f"list; the biggest group's page median < {GROUP_PAGE_MEDIAN_MS} ms. The group list's HTML "
        "for 50 groups: at most 100 KB.",
        "",
    ]
    for vendor, label in vendors:
        run = all_results[vendor].get("groups_run")
        if run:
            lines += [
                f"{label}: measured on their own (`python -m bench.run --only groups`), "
                f"{run['date']}, {run['rows']:,} errors, {run['repeat']} timed runs each, "
                f"load average {run['load_average']} at the start.",
                "",
            ]
    lines += _header(["view"], vendors, ["median / p95", "HTML"])
    for name in names:
        median_target, p95_target = group_target(name)
        cells = [name]
        for vendor, _ in vendors:
            figure = (all_results[vendor].get("groups") or {}).get(name)
            if figure is None:
                cells += ["—", "—"]
                continue
            ok = figure["median_ms"] < median_target and (
                p95_target is None or figure["p95_ms"] < p95_target
            )
            cells.append(f"{figure['median_ms']:.0f} / {figure['p95_ms']:.0f} {_mark(ok)}")
            cells.append(f"{figure.get('kb', 0):.0f} KB")
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _writes_table(all_results, vendors) -> list[str]:
    lines = [
        "### Recording one error (Python API, same database)",
        "",
        f"Target: `persist_app_error` at most {PERSIST_RATIO}x the old bare "
        '`AppError.objects.create(message=..., data={"trace": ...})`. Both format the '
        "traceback; the raw INSERT (same row, hand-written SQL) is the floor.",
        "",
    ]
    lines += _header(["call"], vendors, ["median / p95"])
    for name in ("persist_app_error", "bare create", "raw SQL INSERT"):
        cells = [name]
        for vendor, _ in vendors:
            figure = all_results[vendor]["writes"][name]
            cells.append(f"{figure['median_ms']:.2f} / {figure['p95_ms']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["persist / bare create (medians)"]
    for vendor, _ in vendors:
        run = all_results[vendor]
        ratio = run["writes"]["persist_ratio"]
        cells.append(f"{ratio:.2f}x {_mark(judge(run)['persist ratio'])}")
    lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _memory_table(all_results, vendors) -> list[str]:
    lines = [
        "### Server memory",
        "",
        "Peak resident memory (VmHWM) of the gunicorn worker: after logging in, and after "
        "serving every list page above. Target: constant in table size, so the growth while "
        f"serving the list stays under {MEMORY_GROWTH_MB} MB at any row count (one page of rows "
        "is loaded, never the table).",
        "",
    ]
    lines += _header(["figure"], vendors, ["MB"])
    for key, label in (("baseline_mb", "after login"), ("peak_mb", "after the list pages")):
        cells = [label] + [f"{all_results[v]['memory'][key]:.0f}" for v, _ in vendors]
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["growth"] + [
        f"{all_results[v]['memory']['growth_mb']:.0f} {_mark(judge(all_results[v])['memory'])}"
        for v, _ in vendors
    ]
    lines.append("| " + " | ".join(cells) + " |")
    return lines


def update_benchmarks_file(path: Path, generated: str) -> None:
    """Replace only the generated block; other sections (search, concurrent writes, the
    tuning notes) are written by hand and kept."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + generated + after
    else:
        text = text.rstrip("\n") + "\n\n" + generated + "\n"
    path.write_text(text)


def replace_section(path: Path, heading: str, section: str) -> None:
    """Replace the ``heading`` section of BENCHMARKS.md (up to the next "## " heading) with
    ``section``, or append it; the rest of the file is kept."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if heading in text:
        before, rest = text.split(heading, 1)
        after = rest.split("\n## ", 1)[1] if "\n## " in rest else ""
        text = before + section + ("\n## " + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def add_output_arguments(parser: argparse.ArgumentParser, base_dir: Path) -> None:
    """Where a benchmark keeps its JSON results and which Markdown file it updates."""
    parser.add_argument("--results", type=Path, default=base_dir / "bench" / "results")
    parser.add_argument("--markdown", type=Path, default=base_dir / "BENCHMARKS.md")


def record_result(
    result: dict,
    *,
    name: str,
    args: argparse.Namespace,
    heading: str,
    render: Callable[[list[dict]], str],
) -> None:
    """Keep this database's result as <results>/<name>-<vendor>.json and rewrite the
    ``heading`` section of the Markdown file from every database's result there."""
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{name}-{result['vendor']}.json").write_text(json.dumps(result, indent=2))
    results = [json.loads(path.read_text()) for path in sorted(args.results.glob(f"{name}-*.json"))]
    replace_section(args.markdown, heading, render(results))
