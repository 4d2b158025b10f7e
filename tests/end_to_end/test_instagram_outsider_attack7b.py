"""Outsider attacks on the Instagram extraction (attack7b): real simulator over HTTP, real
PostgreSQL. Each test is one promise of docs/instagram.md, minimal, and failed on the code it
was written against."""

from __future__ import annotations

import dataclasses

import pytest

from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import migrated_database
from tests.end_to_end.conftest import WORLD, test_x_profile
from tests.end_to_end.test_instagram_extraction import (
    IG,
    IG_WORLD,
    TRACKED,
    Instagram,
    land_webhook_changes,
)

pytestmark = pytest.mark.integration

SMALL = dataclasses.replace(WORLD, days=5)
RIVALS = [b for b in TRACKED if not b.is_ours]


@pytest.fixture
def instagram(warehouse_url):
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        yield Instagram(sim, db)


@pytest.fixture
def busy_instagram(warehouse_url):
    """A world with enough people's media that the last day has some for our hashtags."""
    with (
        SimulatorServer(
            World(dataclasses.replace(IG_WORLD, days=5)), x_profile=test_x_profile()
        ) as sim,
        migrated_database(warehouse_url) as db,
    ):
        yield Instagram(sim, db)


def _hashtag_step_first(instagram: Instagram) -> set[str]:
    """The hourly DAG's hashtag step lands a person's new media before the media step of a
    later run (or the 10-minute live cycle) reads the `mentions` webhook about it, or its
    `/tags` listing shows it: a post made between one run's media step and its hashtag step,
    or a webhook Meta delivers late (it retries for hours). Returns the ids the hashtag walk
    landed."""
    extractor = instagram.extractor()
    try:
        extractor.hashtags()
    finally:
        extractor.client.close()
    by_hashtag = instagram.alive("instagram_media", "scope_key like 'hashtag:%'")
    land_webhook_changes(instagram.connect, instagram.sim.world)
    extractor = instagram.extractor()
    try:
        extractor.media()
    finally:
        extractor.client.close()
    return by_hashtag


def test_a_caption_mention_first_seen_by_the_hashtag_walk_still_lands_as_a_mention(
    busy_instagram,
):
    """A person's post `#fjordbrew @fjordbrew ...`: its `mentions` webhook is read by id, and
    the mention (a message the brand can answer: engagements, customer messages, the open
    conversations queue) must land under `mentions:<ig user>`, or under `tags:<ig user>` when
    the post also tags us (the marts read a tag's caption mention as a mention too).
    `_unclaimed` dropped it because the hashtag walk landed the media first."""
    instagram = busy_instagram
    by_hashtag = _hashtag_step_first(instagram)
    world = instagram.sim.world
    mentioning_us = {
        m.id for m in world.instagram.people_media() if 0 in m.mentioned and m.visible(world.clock)
    }
    both = mentioning_us & by_hashtag
    assert both, "the world has no hashtag media that mentions us: choose another seed"
    as_mentions = instagram.alive("instagram_media", f"scope_key in ('mentions:{IG}', 'tags:{IG}')")
    assert both - as_mentions == set()


def test_a_tag_first_seen_by_the_hashtag_walk_still_lands_as_a_tag(busy_instagram):
    """A person's post tagging us and carrying our campaign hashtag, landed first by the
    hashtag walk: the `/tags` walk must still land it as a tag (the tag engagement);
    `_unclaimed` drops it."""
    instagram = busy_instagram
    by_hashtag = _hashtag_step_first(instagram)
    world = instagram.sim.world
    tagging_us = {
        m.id for m in world.instagram.people_media() if 0 in m.tagged and m.visible(world.clock)
    }
    both = tagging_us & by_hashtag
    assert both, "the world has no hashtag media that tags us: choose another seed"
    as_tags = instagram.alive("instagram_media", f"scope_key = 'tags:{IG}'")
    assert both - as_tags == set()


def test_a_rivals_post_first_seen_by_the_hashtag_walk_still_lands_as_the_rivals(instagram):
    """A rival posts with its own campaign hashtag (#beanandco, one of our `hashtags`): the
    real `recent_media` returns every public media with the hashtag, a business account's too
    (developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/
    ig-hashtag/recent-media; the simulator serves them). Posted between a run's rivals step and
    its hashtag step, the post is landed first under `hashtag:beanandco` (with no username:
    recent_media gives none); business discovery then returns it, and it must land in the
    rival's scope: the rival's media, counts and share of voice count it."""
    ig = instagram.sim.world.instagram
    extractor = instagram.extractor()
    try:
        extractor.hashtags()
    finally:
        extractor.client.close()
    by_hashtag = instagram.alive("instagram_media", "scope_key like 'hashtag:%'")
    rivals_media = {m.id for brand in (1, 2) for m in ig.brand_media(brand)}
    first_by_hashtag = rivals_media & by_hashtag
    assert first_by_hashtag, "no rival media in the last 24 hours: choose another seed"
    extractor = instagram.extractor()
    try:
        extractor.rivals()
    finally:
        extractor.client.close()
    as_rivals = instagram.alive("instagram_media", "scope_key like 'rival:%'")
    assert first_by_hashtag - as_rivals == set()


def test_a_tag_first_read_as_a_mention_by_the_live_cycle_still_lands_as_a_tag(busy_instagram):
    """A person's post that tags us and @mentions us in its caption: the `mentions` webhook
    comes within seconds and the 10-minute live cycle (`media(recent_days=...)`: mentions, no
    tags) lands it under `mentions:`; the hourly `/tags` walk then finds it claimed and drops
    it. int_instagram_engagements_conformed makes a `tag` engagement (and a `:mention` one)
    only of a media under `tags:`: read the other way round the same post would count twice,
    read in the usual order its tag is lost."""
    instagram = busy_instagram
    land_webhook_changes(instagram.connect, instagram.sim.world)
    extractor = instagram.extractor()
    try:
        extractor.media(recent_days=2)  # the live cycle
        extractor.media()  # the hourly run
    finally:
        extractor.client.close()
    world = instagram.sim.world
    both = {
        m.id
        for m in world.instagram.people_media()
        if 0 in m.tagged and 0 in m.mentioned and m.visible(world.clock)
    }
    assert both, "the world has no media that tags and mentions us: choose another seed"
    as_tags = instagram.alive("instagram_media", f"scope_key = 'tags:{IG}'")
    assert both - as_tags == set()


def test_a_mention_of_a_media_kept_as_a_tag_is_never_marked_landed(busy_instagram):
    """A person's post that tags us and @mentions us: the run's `/tags` walk lands it as a
    tag, so its `mentions` change, read in the same run, lands nothing: it is marked read,
    never with the outcome `landed`."""
    instagram = busy_instagram
    land_webhook_changes(instagram.connect, instagram.sim.world)
    extractor = instagram.extractor()
    try:
        extractor.media()
    finally:
        extractor.client.close()
    world = instagram.sim.world
    both = sorted(
        m.id
        for m in world.instagram.people_media()
        if 0 in m.tagged and 0 in m.mentioned and m.visible(world.clock)
    )
    assert both, "the world has no media that tags and mentions us: choose another seed"
    with instagram.connect() as conn:
        outcomes = dict(
            conn.execute(
                "select e.payload -> 'value' ->> 'media_id', r.outcome"
                " from raw.webhook_events as e"
                " join meta.webhook_changes_read as r on r.natural_key = e.natural_key"
                " where e.payload ->> 'field' = 'mentions'"
                " and e.payload -> 'value' ->> 'media_id' = any(%s)",
                (both,),
            ).fetchall()
        )
    assert set(outcomes) == set(both)
    assert "landed" not in outcomes.values()


def test_walks_run_in_any_order_land_no_new_version_the_next_time(instagram):
    """Rivals, media (tags, mentions) and hashtags walked in one order, then in the reverse:
    each media stays where the walk that means the most landed it, so the second round lands
    no new version of any media (two walks that both return one never take turns)."""
    land_webhook_changes(instagram.connect, instagram.sim.world)
    steps = ("hashtags", "media", "rivals")

    def walk(order) -> int:
        for step in order:
            extractor = instagram.extractor()
            try:
                getattr(extractor, step)()
            finally:
                extractor.client.close()
        return instagram.scalar("select count(*) from raw.instagram_media")

    landed = walk(steps)
    assert walk(reversed(steps)) == landed
