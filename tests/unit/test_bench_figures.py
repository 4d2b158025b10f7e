"""What the benchmark report derives from a run's figures: every figure of the JSON is in the
report; the default schedule's daily compute from its measured parts; spike recall pooled over
the worlds the rule never saw; the misses against a rebuild, the DAG timed alike and the day."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm_dev import bench

names = st.text(alphabet="abcdefghij_", min_size=1, max_size=8)
figure = st.one_of(
    st.integers(-(10**9), 10**9), st.floats(allow_nan=False, allow_infinity=False), st.none()
)
results = st.recursive(
    st.dictionaries(names, figure, min_size=1, max_size=4),
    lambda inner: st.dictionaries(names, st.one_of(figure, inner), min_size=1, max_size=4),
    max_leaves=20,
)


@given(results)
def test_every_figure_of_the_json_is_in_the_report(run):
    report = "\n".join(bench.every_figure(run))
    for path, value in bench.figures(run).items():
        assert f"| `{path}` | {bench._figure(value)} |" in report


def test_figures_name_each_nested_figure_by_its_path():
    run = {"a": {"b": 1.5, "c": [2, {"d": 3}]}, "e": "x"}
    assert bench.figures(run) == {"a.b": 1.5, "a.c.0": 2, "a.c.1.d": 3, "e": "x"}


def test_the_dbt_nodes_times_are_left_to_their_own_table():
    report = "\n".join(bench.every_figure({"full_build_dbt_nodes_s": {"model.p.m": 1.0}}))
    assert "model.p.m" not in report


def _day(**changes):
    run = {
        "hourly_api": {"seconds": 10.0},
        "hourly_build": {"process_s": 50.0},
        "dag_incremental": {"process_s": 120.0},
        "incremental_build_process_s": 100.0,
        "weekly_build": {"process_s": 200.0},
        "noop_build_process_s": 60.0,
        "live": {"cycle_s_p50": 20.0},
    }
    return run | changes


def test_the_daily_compute_adds_the_schedules_measured_parts():
    day = bench.daily_compute(_day())
    assert day["seconds_by_part"] == pytest.approx(
        {
            "hourly extractions": 24 * 10.0,
            "marts builds": 25 * 50.0 * 1.2,  # through the DAG, at its ratio to the CLI
            "the week's extra work": (200.0 - 60.0) / 7,
            "live cycles": 144 * 20.0,
        }
    )
    assert day["machine_share"] == pytest.approx((240 + 1500 + 20 + 2880) / 86_400)


def test_the_daily_compute_is_not_guessed_without_its_parts():
    run = _day()
    del run["weekly_build"]
    assert bench.daily_compute(run) is None


def test_a_schedule_over_half_the_machine_is_explained():
    day = {"seconds_by_part": {"live cycles": 50_000.0}, "seconds": 50_000.0}
    over = bench._schedule_explained({"daily_compute": day | {"machine_share": 0.58}})
    under = bench._schedule_explained({"daily_compute": day | {"machine_share": 0.4}})
    assert under == [] and "takes 58% of the machine's day" in over[0]


def test_unseen_seeds_recall_pools_their_crises():
    seeds = [
        {"crises": 1, "found_in_time": 1, "alerts": 1, "alerts_right": 1},
        {"crises": 10, "found_in_time": 5, "alerts": 4, "alerts_right": 2},
    ]
    seeds = [s | {"alerts_on_quiet_holidays": 0} for s in seeds]
    pooled = bench.pooled_alerts(seeds)
    assert pooled["unseen_recall"] == pytest.approx(6 / 11)  # not the mean of 1.0 and 0.5
    assert pooled["unseen_precision"] == pytest.approx(3 / 5)


def test_incremental_over_15_percent_of_a_rebuild_is_explained():
    run = {
        "incremental_vs_rebuild": 0.3,
        "incremental_build_s": 30.0,
        "rebuild_s": 100.0,
        "incremental_build_steps_s": {"score": 20.0, "build_marts": 10.0},
        "rebuild_steps_s": {"score": 21.0, "build_marts": 79.0},
    }
    text = bench._rebuild_explained(run)[0]
    assert "Incremental 30% of a `--full-refresh` rebuild" in text
    assert text.index("`score` 20s / 21s") < text.index("`build_marts` 10s / 79s")


def test_the_dag_is_judged_against_the_cli_from_process_start_on_both_sides():
    """Within 1.25x from first task to last, over it once the DAG's process start, Airflow's
    import and parsing are counted as the CLI's own start is."""
    run = {
        "full_build_s": 100.0,
        "full_build_process_s": 102.0,
        "dag_full": {"seconds": 110.0, "process_s": 135.0, "task_seconds": {"t": 100.0}},
    }
    text = "\n".join(bench._dag_path_explained(run))
    assert "Full build through the DAG 135 s, 1.32x the CLI's 102 s" in text
    assert "25 s of its process before its first task" in text


def test_the_truth_floor_pages_each_part_of_a_known_hour():
    hour = bench.HourActivity(
        listed={"page1": 250, "page2": 0},
        new_comments={"post1": 101, "post2": 1},
        alive_reactions={"post1": 250},
        new_people=51,
        new_x_posts=0,
    )
    assert bench.truth_floor(hour)["truth_floor_by_part"] == {
        "listings": (3 + 2) + (1 + 2),  # pages of 100 (at least one), snapshot and insights
        "new_comments": 2 + 1,
        "new_reactions": 3,  # every alive reaction of a post with new ones
        "new_people": 2,  # 50 a lookup
        "x": 1,  # a search page even for no new Post
    }


def test_recall_under_target_on_unseen_seeds_is_explained_apart_from_the_tuned_seed():
    seeds = {
        "scale": 4.7,
        "tuned_seed": 7,
        "seeds": {"7": {"crises": 12, "found_in_time": 12}},
        "unseen_crises": 36,
        "unseen_recall": 0.5,
    }
    text = "\n".join(bench.missed_targets(_results_for_misses(alert_seeds=seeds)))
    assert "Spike recall 0.50 on worlds the rule never saw" in text
    assert "on its tuned seed 12 of 12" in text


def _results_for_misses(**changes):
    return {
        "events_target": 1_000,
        "landing": {"landing_vs_raw_copy": 1.0},
        "extraction": {"peak_rss_mb": 1.0},
        "full_build_s": 1.0,
        "incremental_vs_full": 0.01,
    } | changes
