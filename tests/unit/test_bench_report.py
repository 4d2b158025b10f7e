"""The benchmark report explains a missed target only when it is missed, from the run's numbers."""

from hypothesis import given
from hypothesis import strategies as st

from social_crm_dev import bench


def _results(**changes):
    results = {
        "events_target": 10_000_000,
        "landing": {"landing_vs_raw_copy": 0.9},
        "extraction": {"peak_rss_mb": 150.0},
        "full_build_s": 300.0,
        "full_build_steps_s": {"build_marts": 200.0, "build_staging": 100.0},
        "incremental_build_s": 10.0,
        "incremental_build_steps_s": {"build_marts": 6.0, "build_staging": 4.0},
        "incremental_vs_full": 10.0 / 300.0,
        "full_build_dbt_nodes_s": {"model.p.big": 90.0, "model.p.small": 1.0, "test.p.t": 5.0},
        "incremental_build_dbt_nodes_s": {
            "model.p.big": 3.0,
            "model.p.merged": 1.0,
            "test.p.t": 2.0,
        },
        "incremental_models": ["merged"],
    }
    results.update(changes)
    return results


def test_met_targets_need_no_explanation():
    assert bench.missed_targets(_results()) == ["## Where targets are missed, and why", ""]


def test_each_missed_target_is_explained_with_its_numbers():
    text = "\n".join(
        bench.missed_targets(
            _results(
                extraction={"peak_rss_mb": 512.0},
                full_build_s=900.0,
                incremental_vs_full=0.4,
            )
        )
    )
    assert "Extraction peak RSS 512 MB" in text
    assert "Raw to published marts 900 s at 10,000,000 events" in text
    assert "`build_marts` 200s" in text
    assert "Incremental 40% of full" in text and "5% would be 45 s" in text
    assert "rebuilt whole every night: `big` 3s." in text  # not the incremental one
    assert "The 1 incremental models merge only what changed: 1 s" in text
    assert "no new data" not in text  # not measured in this run


def test_the_floor_of_a_nightly_run_is_part_of_the_explanation():
    text = "\n".join(
        bench.missed_targets(
            _results(
                incremental_vs_full=0.4,
                noop_build_s=60.0,
                noop_build_steps_s={"validate_raw": 4.0, "build_marts": 30.0, "bootstrap": 0.01},
            )
        )
    )
    assert "with no new data at all takes 60 s (20% of full)" in text
    assert "`validate_raw` 4s, `build_marts` 30s." in text  # steps under half a second left out


def test_slowest_nodes_are_listed_slowest_first_with_incremental_time():
    lines = bench.slowest_dbt_nodes(_results(), top=2)
    rows = [line for line in lines if line.startswith("| `")]
    assert rows == ["| `model.p.big` | 90.0 s | 3.0 s |", "| `test.p.t` | 5.0 s | 2.0 s |"]


def _sentiment(per_s: float, per_core_s: float) -> dict:
    return {"messages_per_s": per_s, "messages_per_core_s": per_core_s, "peak_rss_mb": 400.0}


def test_sentiment_speed_is_judged_per_core_not_by_the_free_cores():
    """A run slowed by other work on the machine (wall clock 700/s) that scores 2,200 messages
    per CPU second meets the target; one at 1,800 per CPU second misses it, whatever the
    wall clock."""
    met = bench.missed_targets(_results(sentiment=_sentiment(700.0, 2200.0)))
    missed = "\n".join(bench.missed_targets(_results(sentiment=_sentiment(3000.0, 1800.0))))
    assert not any("Sentiment" in line for line in met)
    assert "Sentiment scoring 1,800 messages/s per core" in missed


def test_an_incremental_extraction_over_its_memory_target_is_explained():
    text = "\n".join(
        bench.missed_targets(
            _results(incremental_extraction={"peak_rss_mb": 1008.0, "records": 1, "seconds": 1})
        )
    )
    assert "Incremental extraction peak RSS 1008 MB" in text


# a report's line that is no heading (no space: never "## "; a line break only between lines)
_SECTION_LINE = st.text(st.characters(categories=("L", "N", "P")), min_size=1, max_size=20)


@given(
    before=st.lists(_SECTION_LINE, max_size=4),
    old=st.lists(_SECTION_LINE, max_size=4),
    after=st.lists(_SECTION_LINE, max_size=4),
    new=st.lists(_SECTION_LINE, max_size=4),
)
def test_the_agency_series_section_is_replaced_and_the_rest_kept(before, old, after, new):
    heading = bench.BRAND_SERIES_HEADING
    report = "\n".join(["# Benchmarks", *before, heading, *old, "## Later", *after])
    replaced = bench.with_section(report, [heading, *new]).splitlines()
    assert replaced[: len(before) + 1] == ["# Benchmarks", *before]
    assert replaced.count(heading) == 1
    assert replaced[replaced.index(heading) : replaced.index(heading) + len(new) + 1] == [
        heading,
        *new,
    ]
    assert replaced[replaced.index("## Later") :] == ["## Later", *after]


def test_a_report_without_the_agency_series_gets_it_at_the_end():
    heading = bench.BRAND_SERIES_HEADING
    assert bench.with_section("# Benchmarks\ntext", [heading, "row"]).splitlines()[-2:] == [
        heading,
        "row",
    ]


def test_a_growth_section_outlives_a_whole_runs_report():
    old = "# Benchmarks\n\nold\n\n## How cost grows\n\n| a | b |\n\n## Every figure\n\nx\n"
    kept = bench.kept_section(old, bench.GROWTH_HEADING)
    new = bench.with_section("# Benchmarks\n\nnew\n\n## Every figure\n\ny\n", kept)
    assert "## How cost grows\n\n| a | b |" in new and "new" in new and "old" not in new
