"""Our brand's X Posts read from its account's owned timelines (`GET /2/users/:id/mentions`,
`/tweets`): cheaper than search, and only the 800 most recent mentions deep. Rivals keep
their search. Each test is one property, against the real simulator server and a real
PostgreSQL; the truth is the simulator's world."""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from social_crm_dev.settings import DEFAULT_X_USER_TOKEN
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.faults import FaultConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from social_crm_dev.simulator.x_api import MENTIONS_HORIZON
from tests.databases import migrated_database
from tests.end_to_end.conftest import WORLD, Pipeline, test_x_profile
from tests.end_to_end.test_x_damaged_answers import ever_landed, repeated_versions, tombstoned
from tests.end_to_end.test_x_extraction_promises import truth_tweets

pytestmark = pytest.mark.integration

HOUR = 3600
OURS = BRANDS[0]  # brands.csv: is_ours
TIMELINES = (f"users/{OURS.x_user_id}/mentions", f"users/{OURS.x_user_id}/tweets")
# a week of recent search: what a project without full-archive search reads
WEEK = {"full_archive": False, "lookback_days": 7}
# more mentions of our brand in six days than its mentions timeline reaches
CROWDED = WorldConfig(seed=11, scale=1.0, days=6)


@contextmanager
def fresh_pipeline(warehouse_url, world: WorldConfig = WORLD, **x_settings):
    """A pipeline configured for Owned Reads: our account's OAuth 2.0 user token, and
    `owned_user_ids` its user (extra owner_user_id)."""
    with (
        SimulatorServer(World(world), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        owner = {"owned_user_ids": (OURS.x_user_id,), **x_settings}
        yield Pipeline(sim, db, x_token=DEFAULT_X_USER_TOKEN, x_settings=owner)


@contextmanager
def recorded(pipeline: Pipeline, faults=None):
    """The X requests made inside, as (path, params); `faults(path)` configures the
    simulator's faults for each request by its path."""
    calls: list[tuple[str, dict]] = []
    get_json = pipeline.x.client.get_json

    def record(path, params=None):
        calls.append((path, dict(params or {})))
        if faults is not None:
            pipeline.sim.configure_faults(faults(path))
        return get_json(path, params)

    pipeline.x.client.get_json = record
    try:
        yield calls
    finally:
        pipeline.x.client.get_json = get_json
        pipeline.sim.configure_faults(FaultConfig())


def searches_of(calls: list[tuple[str, dict]], handle: str) -> list[dict]:
    return [
        params
        for path, params in calls
        if path.startswith("tweets/search")
        and handle in re.findall(r"(?:@|from:)(\w+)", params.get("query", ""))
    ]


def past_marks_not_landed(pipeline: Pipeline) -> dict[str, set[str]]:
    """For each of our timelines, the Posts the world shows that it returns (mentions by
    others; our own) at or below its watermark and not landed: a watermark moved past a Post
    its walk never read."""
    sim = pipeline.sim
    with sim.lock:
        shown = [(t.id, t.person is None) for t in sim.world.tweets(0) if t.id not in sim.x.hidden]
    landed = ever_landed(pipeline)
    missing: dict[str, set[str]] = {}
    for path, own in zip(TIMELINES, (False, True), strict=True):
        mark = pipeline.rows(
            "select since_id from meta.watermarks where entity = %s", f"timeline:{path}"
        )
        since_id = int(mark[0][0]) if mark and mark[0][0] else 0
        missing[path] = {
            key for key, by_us in shown if by_us == own and int(key) <= since_id
        } - landed
    return missing


def reposts_landed(pipeline: Pipeline) -> int:
    return pipeline.scalar(
        "select count(*) from raw.x_tweets where payload->'referenced_tweets' @> %s::jsonb",
        '[{"type": "retweeted"}]',
    )


def test_our_posts_are_read_from_our_timelines_and_no_search_reads_them(warehouse_url):
    with fresh_pipeline(warehouse_url) as pipeline, recorded(pipeline) as calls:
        pipeline.x.tweets()
        lost = truth_tweets(pipeline.sim, OURS.x_handle) - ever_landed(pipeline)
        assert lost == set(), f"Posts of @{OURS.x_handle} the world shows, not landed"
        assert {path for path, _ in calls} >= set(TIMELINES), "both timelines read"
        assert searches_of(calls, OURS.x_handle) == [], "search read our Posts"


def test_full_archive_pages_of_500_ask_our_timelines_for_their_largest_page(warehouse_url):
    """Full-archive search pages up to 500 Posts, the timelines 100: our Posts land."""
    with fresh_pipeline(warehouse_url, page_size=500) as pipeline, recorded(pipeline) as calls:
        pipeline.x.tweets()
        lost = truth_tweets(pipeline.sim, OURS.x_handle) - ever_landed(pipeline)
        assert lost == set(), f"Posts of @{OURS.x_handle} the world shows, not landed"
        sizes = {params.get("max_results") for path, params in calls if path in TIMELINES}
        assert sizes == {100}


def test_reposts_the_mentions_timeline_returns_never_land(warehouse_url):
    """The mentions timeline returns reposts of our mentions; search returns none for the
    rivals: skipping them keeps every brand's mentions counted the same way."""
    with fresh_pipeline(warehouse_url, **WEEK) as pipeline, recorded(pipeline) as calls:
        pipeline.x.tweets()
        served = pipeline.sim.x_profile.posts_read_in_all()
        assert any(path == TIMELINES[0] for path, _ in calls)
        assert served > len(ever_landed(pipeline)), "the timeline returned reposts"
        assert reposts_landed(pipeline) == 0


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    empty_rate=st.floats(min_value=0.1, max_value=0.4),
    cut_walk_rate=st.floats(min_value=0.1, max_value=0.4),
    duplicate=st.booleans(),
    plan=st.lists(
        st.tuples(st.sampled_from(["window", "live"]), st.integers(min_value=1, max_value=30)),
        min_size=2,
        max_size=5,
    ),
)
def test_after_damaged_timeline_answers_our_posts_land_once_and_none_is_lost(
    warehouse_url, seed, empty_rate, cut_walk_rate, duplicate, plan
):
    """Runs hours apart (gaps of new Posts) whose timeline answers come empty, cut short or
    repeating an item across pages: no timeline's watermark ever passes a Post it did not
    land; then clean runs: every Post of ours the world shows has landed, none twice, none
    tombstoned, no repost."""
    damaged = FaultConfig(
        empty_rate=empty_rate, cut_walk_rate=cut_walk_rate, duplicate_items=duplicate, seed=seed
    )
    with fresh_pipeline(warehouse_url, page_size=20) as pipeline:
        sim, x = pipeline.sim, pipeline.x

        def on_timelines(path: str) -> FaultConfig:
            return damaged if path in TIMELINES else FaultConfig()

        with recorded(pipeline, on_timelines):
            for kind, hours in plan:
                (x.tweets if kind == "window" else x.new_tweets)()
                assert past_marks_not_landed(pipeline) == {path: set() for path in TIMELINES}
                sim.world.advance(seconds=hours * HOUR)
        injected = sim.faults.injected.get("empty_answer", 0) + sim.faults.injected.get(
            "cut_walk", 0
        )
        x.tweets()
        sim.world.advance(seconds=HOUR)
        x.tweets()
        x.new_tweets()
        assume(injected or duplicate)  # a plan that drew no damage tests nothing
        alive = truth_tweets(sim, OURS.x_handle)
        lost = alive - ever_landed(pipeline)
        assert (lost, tombstoned(pipeline, "x_tweets") & alive) == (set(), set())
        assert repeated_versions(pipeline, "x_tweets") == 0
        assert reposts_landed(pipeline) == 0


def test_a_gap_beyond_the_mentions_horizon_is_filled_by_search(warehouse_url):
    """More mentions of ours in the window than the timeline's 800 most recent: the walk
    reads those 800, the count shows it short, and search reads only what lies below the
    oldest of them."""
    with (
        fresh_pipeline(warehouse_url, CROWDED, **WEEK) as pipeline,
        recorded(pipeline) as calls,
    ):
        pipeline.x.tweets()
        alive = truth_tweets(pipeline.sim, OURS.x_handle)
        assert len(alive) > MENTIONS_HORIZON
        assert alive - ever_landed(pipeline) == set(), "a Post of ours lost"
        fills = searches_of(calls, OURS.x_handle)
        assert fills and all(p.get("until_id") for p in fills), "search only below the timeline"


def test_a_gap_beyond_the_horizon_left_unproven_is_reported_and_read_next_run(
    warehouse_url, caplog
):
    """The same crowded window, but the counts endpoint answers empty: nothing proves the
    timeline's 800 mentions are all, so the mentions watermark is not set, a warning names
    the timeline, and the next run reads what lies beyond."""
    with fresh_pipeline(warehouse_url, CROWDED, **WEEK) as pipeline:

        def empty_counts(path: str) -> FaultConfig:
            return FaultConfig(empty_rate=1.0 if path.startswith("tweets/counts") else 0.0)

        with caplog.at_level(logging.WARNING), recorded(pipeline, empty_counts):
            pipeline.x.tweets()
        mark = pipeline.rows(
            "select since_id from meta.watermarks where entity = %s", f"timeline:{TIMELINES[0]}"
        )
        assert mark in ([], [(None,)]), "the watermark moved past an unproven walk"
        assert any(TIMELINES[0] in r.getMessage() for r in caplog.records), "not reported"
        pipeline.x.tweets()
        alive = truth_tweets(pipeline.sim, OURS.x_handle)
        assert alive - ever_landed(pipeline) == set(), "a Post of ours lost"
