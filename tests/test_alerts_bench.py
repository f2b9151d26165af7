"""The alerting bench's BENCHMARKS.md section marks each ratio against the 1.5x target."""

from bench import alerts_bench


def result(vendor: str, ratios: tuple[float, float, float]) -> dict:
    names = ("bare create", *alerts_bench.STATES)
    return {
        "vendor": vendor,
        "rows": 1_000_000,
        "median_ms": dict.fromkeys(names, 1.0),
        "p95_ms": dict.fromkeys(names, 2.0),
        "ratio": dict(zip(alerts_bench.STATES, ratios, strict=True)),
        "load_average": 1.0,
    }


def test_the_alerting_section_marks_each_ratio_against_the_target():
    section = alerts_bench.render_section(
        [result("sqlite", (1.02, 1.03, 1.2)), result("postgresql", (1.1, 1.12, 1.51))]
    )

    assert section.startswith(alerts_bench.SECTION)
    rows = [line for line in section.splitlines() if line.startswith("| postgresql")]
    assert rows == [
        "| postgresql | 1,000,000 | 1.00 / 2.00 | 1.00 / 2.00 | 1.00 / 2.00 | 1.00 / 2.00 "
        "| 1.10x ✅, 1.12x ✅, 1.51x ❌ | 1.0 |"
    ]
    assert "1.20x ✅" in section
