"""X extraction's promise: after faults and clean runs covering the re-walk horizon,
raw equals the simulator's truth (nothing lost, nothing duplicated, nothing wrongly deleted).
Each test is one property, against the real simulator server and a real PostgreSQL."""

from __future__ import annotations

import dataclasses
import re
from contextlib import contextmanager

import pytest

from social_crm_dev.simulator.faults import FaultConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import migrated_database
from tests.end_to_end.conftest import WORLD, Pipeline, test_x_profile

pytestmark = pytest.mark.integration

DAY = 24 * 3600
# the clean phase of tests/end_to_end/fault_schedules.py: runs now, then 1, 3 and 8 days on
CLEAN_DAYS = (0, 1, 2, 5)


@contextmanager
def fresh_pipeline(warehouse_url, **x_settings):
    with (
        SimulatorServer(World(WORLD), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        yield Pipeline(sim, db, x_settings={"page_size": 10, **x_settings})


def latest(pipeline: Pipeline, key: str) -> tuple | None:
    rows = pipeline.rows(
        "select is_deleted, scope_key, event_at from raw.x_tweets where natural_key = %s"
        " order by ingest_seq desc limit 1",
        key,
    )
    return rows[0] if rows else None


def clean_runs(pipeline: Pipeline) -> None:
    """Hourly window walks and live walks, now and 1, 3 and 8 days on, no faults."""
    pipeline.sim.configure_faults(FaultConfig())
    for days in CLEAN_DAYS:
        if days:
            pipeline.sim.world.advance(seconds=days * DAY)
        pipeline.x.tweets()
        pipeline.x.new_tweets()


def test_x_post_restored_after_its_deletion_lands_again_as_live(warehouse_url):
    """README: a record that reappears lands again as live. A Post tombstoned by its re-check
    and then restored at the source (an account deactivated and reactivated) stays deleted in
    raw: the re-check looks up only Posts alive in raw, and steady window walks start at the
    search's watermark."""
    with fresh_pipeline(warehouse_url) as pipeline:
        sim = pipeline.sim
        pipeline.x.tweets()
        # a mention a few hours old: its first re-check point (24 h) is ahead
        key = pipeline.scalar(
            "select natural_key from raw.x_tweets where payload->>'author_id' is not null"
            " and event_at > (select max(event_at) from raw.x_tweets) - interval '12 hours'"
            " order by event_at limit 1"
        )
        sim.hide([key])
        for _ in range(3):  # its re-check point passes: the lookup answers it is gone
            sim.world.advance(seconds=DAY)
            pipeline.x.tweets()
        assert latest(pipeline, key)[0], "the deletion was confirmed and landed"
        sim.hide([key], hidden=False)  # restored at the source
        clean_runs(pipeline)
        assert key in truth_tweets(sim, latest(pipeline, key)[1]), "the world shows it"
        assert not latest(pipeline, key)[0], f"Post {key} is live at the source, deleted in raw"


def truth_tweets(sim: SimulatorServer, handle: str) -> set[str]:
    """The Posts of `handle`'s search the world shows now."""
    from tests.end_to_end.fault_schedules import world_items

    with sim.lock:
        items = world_items(sim.world)["x_tweets"]
        clock = sim.world.clock
    return {
        key
        for key, item in items.items()
        if item.scope == handle and item.visible(clock) and key not in sim.x.hidden
    }


def reads_posts_of(pipeline: Pipeline, path: str, params: dict | None, handle: str) -> bool:
    """Whether a request reads `handle`'s Posts: a search naming it, or, for our own brand,
    its account's mentions or Posts timeline."""
    query = (params or {}).get("query", "")
    if path.startswith("tweets/search"):
        return handle in re.findall(r"(?:@|from:)(\w+)", query)
    account = dict(pipeline.x.settings.own_accounts).get(handle)
    return account is not None and path in (f"users/{account}/mentions", f"users/{account}/tweets")


def later_page(path: str, params: dict | None) -> bool:
    """Whether a request asks for a page after a walk's first (search's `next_token`, a
    timeline's `pagination_token`)."""
    params = params or {}
    if path.startswith("tweets/search"):
        return "next_token" in params
    return path.startswith("users/") and "pagination_token" in params


def one_brand(pipeline: Pipeline, **x_settings):
    """The pipeline's X extractor narrowed to the first brand."""
    settings = pipeline.x.settings
    pipeline.x.settings = dataclasses.replace(
        settings,
        brand_handles=settings.brand_handles[:1],
        brand_user_ids=settings.brand_user_ids[:1],
        **x_settings,
    )
    return settings.brand_handles[0]


def test_x_live_walk_cut_short_is_not_proven_by_a_count_after_a_deletion(warehouse_url):
    """A live walk whose answer lost its next link (a cut walk) reads all but the oldest new
    Post; before the count is asked, one Post the walk read is deleted at the source. The
    count (Posts alive now) equals the Posts read, the walk is taken as complete and the
    search's watermark moves past the Post the walk never read: no later run reads it."""
    with fresh_pipeline(warehouse_url) as pipeline:
        sim, x = pipeline.sim, pipeline.x
        handle = one_brand(pipeline)
        x.tweets()  # the search's watermark and re-check clock
        new: list[str] = []
        while len(new) < 11:  # more new Posts than the smallest page holds
            sim.world.advance(seconds=DAY // 4)
            new = sorted(truth_tweets(sim, handle) - pipeline.alive("x_tweets"), key=int)
        # pages of all but one new Post, and the walk's next link lost
        one_brand(pipeline, page_size=len(new) - 1)
        sim.configure_faults(FaultConfig(cut_walk_rate=1.0))
        get_json, deleted = x.client.get_json, []

        def world_moves_before_the_count(path, params=None):
            if path.startswith("tweets/counts") and not deleted:
                sim.configure_faults(FaultConfig())
                deleted.append(new[-1])  # the newest Post, which the walk read
                sim.hide(deleted)
            return get_json(path, params)

        x.client.get_json = world_moves_before_the_count
        x.new_tweets()
        x.client.get_json = get_json
        assert deleted, "the walk was proven by a count"
        clean_runs(pipeline)
        lost = truth_tweets(sim, handle) - pipeline.alive("x_tweets")
        assert new[0] in truth_tweets(sim, handle)
        assert lost == set(), f"Posts of @{handle} the world shows and raw lost: {sorted(lost)}"


def test_x_post_quarantined_in_a_run_the_read_cap_ends_is_read_again(warehouse_url):
    """A steady window walk of the first brand reads back to its watermark's Post, so it is
    proven and the watermark moves, though one Post on its first page came malformed and was
    quarantined; the API's monthly Post cap then ends the run in the second brand's walk. The
    run keeps the "walk the whole window next time" mark only when it finishes: the next
    runs start at the moved watermark and the quarantined Post is never read again."""
    with fresh_pipeline(warehouse_url) as pipeline:
        sim, x = pipeline.sim, pipeline.x
        settings = x.settings
        x.settings = dataclasses.replace(
            settings,
            brand_handles=settings.brand_handles[:2],
            brand_user_ids=settings.brand_user_ids[:2],
        )
        first, second = x.settings.brand_handles
        x.tweets()
        new: list[str] = []
        while len(new) < 12:  # more new Posts than the first page holds
            sim.world.advance(seconds=DAY // 4)
            new = sorted(truth_tweets(sim, first) - pipeline.alive("x_tweets"), key=int)
        get_json = x.client.get_json

        def cap_reached_in_the_second_walk(path, params=None):
            if reads_posts_of(pipeline, path, params, first):
                malformed = FaultConfig(malformed_rate=0.2, seed=3)
                sim.configure_faults(FaultConfig() if later_page(path, params) else malformed)
            elif reads_posts_of(pipeline, path, params, second):
                sim.configure_faults(FaultConfig())
                sim.x_profile.monthly_posts = sim.x_profile.posts_read_in_all()
            return get_json(path, params)

        x.client.get_json = cap_reached_in_the_second_walk
        x.tweets()
        x.client.get_json = get_json
        quarantined = pipeline.scalar("select count(*) from raw_quarantine.records")
        assert quarantined >= 1, "a Post of the first page was quarantined"
        sim.x_profile.monthly_posts = None  # a new month: the cap is lifted
        clean_runs(pipeline)
        lost = truth_tweets(sim, first) - pipeline.alive("x_tweets")
        assert lost == set(), f"Posts of @{first} the world shows and raw lost: {sorted(lost)}"


def test_x_post_hidden_when_first_walked_lands_once_the_world_shows_it(warehouse_url):
    """A Post the search does not return when its window is walked (deleted for now: an
    account suspended or deactivated, then restored within X's 30 days) and that the world
    shows again afterwards: the walk is proven complete (it read back to the watermark's
    Post), the watermark moves past it, and no later run walks that part of the window, so
    the Post is never landed."""
    with fresh_pipeline(warehouse_url) as pipeline:
        sim, x = pipeline.sim, pipeline.x
        handle = one_brand(pipeline)
        x.tweets()
        new: list[str] = []
        while len(new) < 3:
            sim.world.advance(seconds=DAY // 4)
            new = sorted(truth_tweets(sim, handle) - pipeline.alive("x_tweets"), key=int)
        sim.hide([new[0]])  # the oldest new Post: hidden while its window is walked
        x.tweets()
        x.new_tweets()
        sim.hide([new[0]], hidden=False)
        clean_runs(pipeline)
        lost = truth_tweets(sim, handle) - pipeline.alive("x_tweets")
        assert lost == set(), f"Posts of @{handle} the world shows and raw lost: {sorted(lost)}"


def test_x_whole_window_walk_after_a_quarantine_reads_the_quarantined_post(warehouse_url):
    """README: a run that quarantined a Post walks the whole window again next time. That
    walk is cut short after its first page (a next link lost); the page reaches the search's
    watermark, so the walk is taken as complete, the run marks the window clean, and the
    quarantined Post, below that watermark, is never read again."""
    with fresh_pipeline(warehouse_url) as pipeline:
        sim, x = pipeline.sim, pipeline.x
        handle = one_brand(pipeline)
        x.tweets()
        new: list[str] = []
        while len(new) < 12:  # two pages of new Posts
            sim.world.advance(seconds=DAY // 4)
            new = sorted(truth_tweets(sim, handle) - pipeline.alive("x_tweets"), key=int)
        get_json = x.client.get_json

        def malformed_second_page(path, params=None):
            sim.configure_faults(
                FaultConfig(malformed_rate=0.4, seed=1)
                if later_page(path, params)
                else FaultConfig()
            )
            return get_json(path, params)

        x.client.get_json = malformed_second_page
        x.tweets()  # proven by reading back to the watermark: the watermark moves
        x.client.get_json = get_json
        assert pipeline.scalar("select count(*) from raw_quarantine.records") >= 1
        sim.configure_faults(FaultConfig(cut_walk_rate=1.0))
        x.tweets()  # the whole window again, cut after its first page
        clean_runs(pipeline)
        lost = truth_tweets(sim, handle) - pipeline.alive("x_tweets")
        assert lost == set(), f"Posts of @{handle} the world shows and raw lost: {sorted(lost)}"


def test_x_upgrade_from_the_shared_watermark_reads_what_a_cut_walk_missed(warehouse_url):
    """A warehouse whose searches shared one watermark (before each had its own), where the
    first brand's last walk was cut after its first page (newest Posts landed, older ones
    not) while the shared watermark moved past them. After the upgrade, the first brand's
    watermark is taken from its newest landed Post, so the Posts the cut walk skipped are
    below it and no run reads them."""
    with fresh_pipeline(warehouse_url) as pipeline:
        sim, x = pipeline.sim, pipeline.x
        everyone = x.settings
        x.tweets()
        handle = everyone.brand_handles[0]
        while len(truth_tweets(sim, handle) - pipeline.alive("x_tweets")) < 15:
            sim.world.advance(seconds=DAY // 2)  # more new Posts than a page holds
        x.settings = dataclasses.replace(everyone, brand_handles=everyone.brand_handles[1:])
        x.tweets()  # the other brands' walks
        first = handle
        x.settings = dataclasses.replace(everyone, brand_handles=(first,))
        get_json = x.client.get_json

        def cut_walk_no_count(path, params=None):
            counts = path.startswith("tweets/counts")
            sim.configure_faults(FaultConfig(empty_rate=1.0 if counts else 0.0, cut_walk_rate=1.0))
            return get_json(path, params)

        x.client.get_json = cut_walk_no_count
        x.tweets()  # the first brand's walk, cut after its first page: its newest Posts land
        x.client.get_json = get_json
        x.settings = everyone
        skipped = truth_tweets(sim, first) - pipeline.alive("x_tweets")
        assert skipped, "the cut walk left the first brand's older Posts unread"
        with pipeline.connect() as conn:  # the shared watermark, moved past them
            conn.execute("delete from meta.watermarks where entity like 'search:%%'")
            conn.execute(
                "update meta.watermarks set (since_id, last_event_at) = (select"
                " max(natural_key::numeric)::text, max(event_at) from raw.x_tweets)"
                " where source = 'x' and entity = 'tweets'"
            )
        clean_runs(pipeline)
        lost = truth_tweets(sim, first) - pipeline.alive("x_tweets")
        assert lost == set(), f"Posts of @{first} the world shows and raw lost: {sorted(lost)}"
