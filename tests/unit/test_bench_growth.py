"""The growth series (`bench --only growth`): its exponent fit, its section of the report, and
the figures docs/scaling.md quotes from results files."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm_dev import bench

REPO = Path(__file__).resolve().parents[2]
SCALING = REPO / "docs" / "scaling.md"

SIZES = st.lists(
    st.floats(min_value=1e3, max_value=1e9), min_size=2, max_size=6, unique=True
).filter(lambda sizes: max(sizes) / min(sizes) > 1.5)


@given(
    sizes=SIZES,
    c=st.floats(min_value=1e-3, max_value=1e3),
    b=st.floats(min_value=-1.0, max_value=3.0),
)
def test_values_made_as_c_times_n_to_the_b_give_back_b(sizes, c, b):
    values = [c * n**b for n in sizes]
    assert bench.growth_exponent(sizes, values) == pytest.approx(b, abs=1e-6)


@given(
    sizes=SIZES,
    c=st.floats(min_value=1e-3, max_value=1e3),
    b=st.floats(min_value=0.0, max_value=2.0),
)
def test_the_fit_carried_beyond_the_sizes_is_the_power_law_it_was_made_from(sizes, c, b):
    fit = bench.growth_fit(sizes, [c * n**b for n in sizes], at=1e8)
    assert fit is not None
    assert fit["value_at"] == pytest.approx(c * 1e8**b, rel=1e-6)


@given(sizes=SIZES, b=st.floats(min_value=0.0, max_value=2.0), noise=st.data())
def test_the_exponent_is_the_least_squares_slope_between_the_extreme_pairwise_slopes(
    sizes, b, noise
):
    values = [n**b * noise.draw(st.floats(min_value=0.5, max_value=2.0)) for n in sizes]
    ordered = sorted(zip(sizes, values, strict=True))
    slopes = [
        (math.log(v2) - math.log(v1)) / (math.log(n2) - math.log(n1))
        for i, (n1, v1) in enumerate(ordered)
        for n2, v2 in ordered[i + 1 :]
    ]
    found = bench.growth_exponent(sizes, values)
    assert found is not None
    assert min(slopes) - 1e-9 <= found <= max(slopes) + 1e-9


@pytest.mark.parametrize(
    ("sizes", "values"),
    [
        ([1e6, 3e6], [10.0, 0.0]),  # a step that took no time: no logarithm
        ([1e6, 3e6], [10.0, None]),  # not measured at one size
        ([1e6], [10.0]),  # one size: no slope
        ([1e6, 1e6], [10.0, 12.0]),  # the same size twice: no slope
    ],
    ids=["a zero", "a missing value", "one size", "one distinct size"],
)
def test_no_exponent_is_made_up_where_the_values_give_none(sizes, values):
    assert bench.growth_exponent(sizes, values) is None


def _size(events: int, full_build_s: float, steps: dict[str, float]) -> dict:
    """A size's results as `bench_growth_size` returns them, the weekly night not measured."""
    return {
        "events_target": events,
        "extraction": {"records": events * 3, "seconds": events / 1000, "peak_rss_mb": 140.0},
        "full_build_s": full_build_s,
        "full_build_steps_s": steps,
        "incremental_extraction": {"seconds": 5.0, "peak_rss_mb": 150.0},
        "incremental_build_s": 20.0,
        "noop_build_s": 18.0,
        "rebuild_s": full_build_s * 0.8,
        "load_average": {"min": 1.0, "median": events / 10_000, "max": 9.0},
    }


def _growth() -> dict:
    sizes = [
        _size(40_000, 80.0, {"score_sentiment": 20.0, "publish_marts": 4.0, "bootstrap": 0.0}),
        _size(20_000, 50.0, {"score_sentiment": 5.0, "publish_marts": 4.0, "bootstrap": 0.0}),
    ]
    return {
        "summary": bench.growth_summary(sizes),
        "machine": {"cpus": "2", "memory_gb": "24"},
        "commit": "0123456789abcdef",
        "dirty": False,
        "load_average": {"min": 1.0, "median": 2.0, "max": 3.0},
        "source": "20990101T000000Z-growth.json",
    }


def _row(lines: list[str], first_cell: str) -> list[str]:
    row = next(line for line in lines if line.startswith(f"| {first_cell} |"))
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_the_section_has_a_column_per_size_smallest_first():
    header = _row(bench.growth_lines(_growth()), "measure")
    assert header[1:3] == ["20,000 events", "40,000 events"]


def test_the_section_gives_each_measure_its_values_and_exponent():
    row = _row(bench.growth_lines(_growth()), "extraction: records read")
    assert row[1:4] == ["60,000", "120,000", "1.00"]


def test_each_sizes_load_is_beside_its_figures():
    row = _row(
        bench.growth_lines(_growth()),
        "load average at the size's steps, median (a shared machine slows a size)",
    )
    assert row[1:3] == ["2.0", "4.0"]


def test_a_measure_not_measured_is_a_dash_not_a_number():
    row = _row(bench.growth_lines(_growth()), "the weekly night")
    assert row[1:] == ["-", "-", "-", "-"]


def test_the_full_builds_steps_have_their_exponents():
    lines = bench.growth_lines(_growth())
    assert _row(lines, "`score_sentiment`")[1:] == ["5.0", "20.0", "2.00"]
    assert _row(lines, "`bootstrap`")[-1] == "-"


def test_the_steps_growing_faster_than_the_build_are_named():
    lines = bench.growth_lines(_growth())
    b = math.log(80 / 50) / math.log(2)
    assert f"Steps growing faster than the full build (b {b:.2f}): `score_sentiment` 2.00." in lines


def test_the_section_names_its_results_file_and_commit():
    text = "\n".join(bench.growth_lines(_growth()))
    assert "`bench/results/20990101T000000Z-growth.json`" in text
    assert "commit `0123456789ab`" in text


def test_a_series_stopped_early_says_which_sizes_it_did_not_measure():
    growth = _growth() | {"sizes_asked": [20_000, 40_000, 80_000]}
    lines = bench.growth_lines(growth)
    assert (
        "Not in this file (the run had not reached them, or stopped before them): 80,000 events."
        in lines
    )


def test_a_whole_series_claims_no_size_missing():
    growth = _growth() | {"sizes_asked": [20_000, 40_000]}
    assert not any(line.startswith("Not in this file") for line in bench.growth_lines(growth))


def test_the_section_replaces_its_old_self_and_leaves_the_others():
    report = "\n".join(
        ["# Benchmarks", "", "## How cost grows", "", "old table", "", "## Hourly", "", "kept"]
    )
    lines = bench.growth_lines(_growth())
    new = bench.with_section(report, lines)
    assert "old table" not in new
    assert new.count("## How cost grows") == 1
    assert "## Hourly\n\nkept" in new


# docs/scaling.md: every figure it uses, in its table of where each comes from, a row each:
# | figure | value | `bench/results/<file>` ... | what |
# where "what" is a figure's path in the file (`a.b.c`, a list's items by position), or the
# growth exponent of one against another ("b of `y` against `x`": a path with `*` gives every
# item of a list; over several files, one value a file), or that fit's value at a size ("`y`
# against `x` at 500").
SOURCE_ROW = re.compile(r"^\| [^|]+ \| ([^|]+) \| ((?:`bench/results/[^`]+` ?)+) \| ([^|]+) \|$")
WHAT = re.compile(r"^(b of )?`([^`]+)`(?: against `([^`]+)`)?(?: at ([\d,]+))?$")
NUMBER = re.compile(r"-?[\d,]*\.?\d+")


def _quoted_figures() -> list[tuple[str, list[str], str]]:
    rows = map(SOURCE_ROW.match, SCALING.read_text().splitlines())
    return [
        (m.group(1).strip(), re.findall(r"`bench/results/([^`]+)`", m.group(2)), m.group(3).strip())
        for m in rows
        if m
    ]


def _values(document: object, path: str) -> list[float]:
    """The figures at `path` in a results file (`*`: every item of a list)."""
    found = [document]
    for key in path.split("."):
        found = [
            item
            for value in found
            for item in (
                value
                if key == "*" and isinstance(value, list)
                else [value[int(key)] if isinstance(value, list) else value[key]]  # type: ignore[index]
            )
        ]
    return [float(v) for v in found]  # type: ignore[arg-type]


def _figure(results: list[str], what: str) -> float:
    match = WHAT.match(what)
    assert match, f"docs/scaling.md: cannot read {what!r}"
    exponent, y, x, at = match.groups()
    documents = [json.loads((REPO / "bench" / "results" / r).read_text()) for r in results]
    ys = [v for d in documents for v in _values(d, y)]
    if x is None:
        assert len(ys) == 1, f"{what} names {len(ys)} figures"
        return ys[0]
    xs = [v for d in documents for v in _values(d, x)]
    if exponent:
        b = bench.growth_exponent(xs, ys)
        assert b is not None
        return b
    fit = bench.growth_fit(xs, ys, at=float(at.replace(",", "")))
    assert fit is not None
    return fit["value_at"]


def test_scaling_doc_quotes_figures_from_results_files():
    assert len(_quoted_figures()) >= 10, "docs/scaling.md's table of sources is missing"


@pytest.mark.parametrize(("value", "results", "what"), _quoted_figures(), ids=lambda v: str(v)[:50])
def test_each_figure_of_the_scaling_doc_is_its_results_files(value, results, what):
    number = NUMBER.search(value)
    assert number, f"no number in {value!r}"
    written = number.group(0)
    decimals = len(written.split(".")[1]) if "." in written else 0
    measured = _figure(results, what) * (100 if value.endswith("%") else 1)
    assert float(written.replace(",", "")) == pytest.approx(
        round(measured, decimals), abs=10**-decimals / 2 + 1e-9
    ), f"docs/scaling.md quotes {value} for {what} in {results}; the files give {measured}"
