"""bench/capture_bench.py, small and fast so it cannot rot: every figure measured and the
BENCHMARKS.md section drawn from it (timings are the benchmark's business, not a test's)."""

import pytest

from bench import capture_bench

pytestmark = pytest.mark.django_db(databases="__all__")


def test_capture_bench_measures_every_figure_and_draws_its_section(monkeypatch):
    monkeypatch.setattr(capture_bench, "HUGE_RUNS", 2)
    monkeypatch.setattr(capture_bench, "SMALL_RUNS", 3)
    monkeypatch.setattr(capture_bench, "HOSTILE_RUNS", 1)
    result = capture_bench.measure()
    assert set(result["figures"]) == {
        "persist: 20 MB context",
        "persist: 20 MB in 2,000 strings",
        "persist: ordinary context",
        "scrub: ordinary context",
        "scrub: slowest hostile string",
    }
    assert all(figure["median_ms"] >= 0 for figure in result["figures"].values())
    assert 2_000 <= result["context_bytes"] <= 5_000
    section = capture_bench.render_section([result])
    assert section.startswith(capture_bench.SECTION)
    assert f"| {result['vendor']} | " in section
