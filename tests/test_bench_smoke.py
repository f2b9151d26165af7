"""The benchmark suite, small and fast, so it cannot rot: the whole harness end to end at
2,000 rows (figures present, not timings), and the generator's rows as the app sees them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.models import Count

from bench.environment import BASE_DIR, bench_database_url, drop_postgresql_database
from bench.generate import generate_app_errors
from bench.report import END, START, replace_section, update_benchmarks_file
from bench.scenarios import list_scenarios
from errors.models import AppError, Severity
from errors.search import search_app_errors

SMOKE_ROWS = 2_000


@pytest.fixture
def smoke_database_url():
    """On PostgreSQL, a database of the smoke run's own, dropped afterwards; on SQLite the
    run's files live in its temporary directory."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield None
        return
    smoke_url = bench_database_url(url).removesuffix("_bench") + "_bench_smoke"
    drop_postgresql_database(smoke_url)
    yield smoke_url
    drop_postgresql_database(smoke_url)


@pytest.mark.slow
def test_make_bench_harness_produces_every_figure(tmp_path: Path, smoke_database_url):
    env = {**os.environ, "BENCH_VAR_DIR": str(tmp_path / "var")}
    if smoke_database_url:
        env["BENCH_DATABASE_URL"] = smoke_database_url
    command = [
        sys.executable, "-m", "bench.run", "--rows", str(SMOKE_ROWS), "--repeat", "2",
        "--admin-repeat", "1", "--write-repeat", "5",
        "--results", str(tmp_path / "results"), "--markdown", str(tmp_path / "BENCHMARKS.md"),
    ]  # fmt: skip
    finished = subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600
    )
    assert finished.returncode == 0, finished.stderr[-4000:]

    vendor = "postgresql" if smoke_database_url else "sqlite"
    results = json.loads((tmp_path / "results" / f"{vendor}.json").read_text())
    assert results["rows"] >= SMOKE_ROWS
    expected_views = [ours.name for ours, _ in list_scenarios(_any_samples(), results["rows"])]
    assert list(results["list"]) == expected_views
    for page in results["list"].values():
        assert page["runs"] == 2 and page["median_ms"] > 0 and page["p95_ms"] >= page["median_ms"]
        assert page["admin"]["median_ms"] > 0 and page["admin_ratio"] > 0
    assert set(results["chart"]) == {"chart: default range", "chart: 90 days"}
    assert results["detail"]["median_ms"] > 0
    for call in ("persist_app_error", "bare create", "raw SQL INSERT"):
        assert results["writes"][call]["runs"] == 5
    assert results["writes"]["persist_ratio"] > 0
    assert results["memory"]["peak_mb"] >= results["memory"]["baseline_mb"] > 0

    markdown = (tmp_path / "BENCHMARKS.md").read_text()
    for name in [*expected_views, "chart: 90 days", "detail page", "persist_app_error"]:
        assert f"| {name} |" in markdown
    assert "Machine:" in markdown and ("✅" in markdown or "❌" in markdown)

    # The group pages again on their own: their figures replaced, the rest kept.
    finished = subprocess.run(
        [*command, "--only", "groups"], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-4000:]
    again = json.loads((tmp_path / "results" / f"{vendor}.json").read_text())
    assert again["list"] == results["list"] and again["writes"] == results["writes"]
    assert list(again["groups"]) == list(results["groups"])
    assert again["groups"] != results["groups"]  # timed anew
    assert again["groups_run"]["rows"] == results["rows"]
    assert (
        "measured on their own (`python -m bench.run --only groups`)"
        in (tmp_path / "BENCHMARKS.md").read_text()
    )


def _any_samples():
    from bench.scenarios import Samples

    return Samples(app="a", function="f", job_id="j", user_id="u", error_id="e")


def test_benchmarks_file_keeps_sections_written_by_hand(tmp_path: Path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(f"# Benchmarks\n\n{START}\nold\n{END}\n\n## Search\n\nkept\n")
    update_benchmarks_file(path, f"{START}\nnew\n{END}")
    assert path.read_text() == f"# Benchmarks\n\n{START}\nnew\n{END}\n\n## Search\n\nkept\n"


def test_concurrent_writes_section_states_the_target_from_its_figures(tmp_path: Path):
    from bench import concurrency_bench

    def result(vendor: str, rates: dict[str, tuple[float, ...]], refused: int = 0) -> dict:
        runs = [
            {"processes": processes, "groups": groups, "per_second": rate, "refused": refused}
            for groups in ("many", "one")
            for processes, rate in zip((1, 4, 8), rates[groups], strict=True)
        ]
        return {"vendor": vendor, "runs": runs, "cpus": 2, "prefill": 1_000_000}

    sqlite = result("sqlite", {"many": (1900, 1600, 1500), "one": (1800, 1500, 1400)})
    met = concurrency_bench.render_section(
        [sqlite, result("postgresql", {"many": (1500, 2000, 1800), "one": (1400, 2100, 1900)})]
    )
    assert "| 4 | many | 2,000/s ✓ | 1,600/s ✓ |" in met
    assert "| 4 | one | 2,100/s ✓ | 1,500/s ✓ |" in met
    assert "met everywhere measured" in met and "none were" in met
    assert "already holding rows (1,000,000 on postgresql, 1,000,000 on sqlite" in met
    missed = concurrency_bench.render_section(
        [sqlite, result("postgresql", {"many": (1500, 1999, 1800), "one": (1, 2, 3)}, 3)]
    )
    assert "| 4 | many | 1,999/s ✗, 3 refused | 1,600/s ✓ |" in missed
    assert "not met on postgresql (many group(s)), postgresql (one group(s))." in missed
    assert "18 were" in missed
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# B\n\n## Concurrent writes\n\nold\n\n## Where the write time goes\n\nkept\n")
    replace_section(path, concurrency_bench.SECTION, met)
    assert path.read_text() == f"# B\n\n{met}\n## Where the write time goes\n\nkept\n"


def test_prune_section_reports_the_writes_before_and_during_the_prune():
    from bench import prune_bench

    writes = [(float(second), float(second % 7)) for second in range(100)]
    assert prune_bench.latency(writes) == {
        "writes": 100,
        "median_ms": 3.0,
        "p99_ms": 6.0,
        "max_ms": 6.0,
    }
    assert prune_bench.latency([]) == {"writes": 0}
    result = {
        "vendor": "sqlite",
        "rows": 2000,
        "batch_size": 200,
        "deleted": 1000,
        "seconds": 0.5,
        "per_second": 2000,
        "before": prune_bench.latency(writes[:50]),
        "during": prune_bench.latency(writes[50:]),
        "load_average": 0.3,
    }
    section = prune_bench.render_section([result])
    assert section.startswith(prune_bench.SECTION)
    assert "| sqlite | 1,000 | 0.5 s | 2,000 | 3.0 / 6.0 / 6.0 ms | 3.0 / 6.0 / 6.0 ms | 0.3 |" in (
        section
    )


def test_bench_database_is_never_the_developers():
    url = "postgres://postgres@127.0.0.1:5432/app_errors"
    assert bench_database_url(url) == "postgres://postgres@127.0.0.1:5432/app_errors_bench"
    assert bench_database_url(bench_database_url(url)) == bench_database_url(url)


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_generated_errors_are_realistic_and_searchable():
    generate_app_errors(600, seed=1, progress=False)
    errors = AppError.objects.all()
    assert errors.count() == 600
    resolved = errors.filter(resolved=True)
    assert 0.6 < resolved.count() / 600 < 0.8
    assert not resolved.filter(resolved_by=None).exists()
    assert resolved.prefetch_related("resolved_by").first().resolved_by.is_staff
    common = errors.filter(severity__in=[Severity.ERROR, Severity.WARNING]).count()
    assert common / 600 > 0.75
    busiest_job = errors.exclude(job_id=None).values("job_id").annotate(n=Count("id"))
    assert max(row["n"] for row in busiest_job) > 1
    sample = errors.order_by("timestamp").first()
    assert 2048 <= len(sample.trace) <= 6000
    # The bulk load writes the exception type's column as Django would, from data.
    assert not errors.filter(exception_type=None).exists()
    assert sample.exception_type == sample.data["exception_type"] != ""
    word = sample.message.split()[0]
    assert search_app_errors(AppError.objects.all(), word).filter(pk=sample.pk).exists()


def test_export_section_reports_speed_and_memory_against_their_targets():
    from bench import export_bench

    figure = {
        "rows": 1000,
        "seconds": 0.01,
        "worker_cpu_seconds": 0.02,
        "rows_per_cpu_second": 50_000,
        "megabytes": 0.4,
        "peak_mb": 90.0,
    }
    results = [
        {
            "vendor": "sqlite",
            "rows": 1000,
            "baseline_mb": 80.0,
            "growth_mb": 10.0,
            "exports": [{**figure, "label": "CSV, every error", "rows_per_second": 100_000}],
            "load_average": 1.5,
            "date": "2026-12-02 09:00 UTC",
        },
        {
            "vendor": "postgresql",
            "rows": 1000,
            "baseline_mb": 80.0,
            "growth_mb": 70.0,
            "exports": [{**figure, "label": "CSV, every error", "rows_per_second": 40_000}],
            "load_average": 2.0,
            "date": "2026-12-02 09:05 UTC",
        },
    ]
    section = export_bench.render_section(results)
    assert section.startswith(export_bench.SECTION)
    assert (
        "| sqlite | CSV, every error | 1,000 | 0.0 s | 100,000 ✅ | 0.0 s | 50,000 | 0 MB "
        "| 90 MB | 1.5 |"
    ) in section
    assert "| postgresql | CSV, every error | 1,000 | 0.0 s | 40,000 ❌ |" in section
    assert "sqlite, 1,000 errors (2026-12-02 09:00 UTC): the worker started at 80 MB and " in (
        section
    )
    assert "grew by 10 MB over the exports above ✅" in section
    assert "grew by 70 MB over the exports above ❌" in section
