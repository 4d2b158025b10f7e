"""The webhook changes the world gives for a window (docs/simulator.md): exactly the comments
and @mentions of the window, in time order, each naming an item the API serves."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm_dev.simulator.config import BRANDS, DAY, WorldConfig
from social_crm_dev.simulator.instagram import UNIX_WORLD_START
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.simulator.instagram_walk import OUR_IG, get, our_page_token

CONFIG = WorldConfig(seed=21, scale=0.05, days=25)
SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
CLOCK = CONFIG.days * DAY


@pytest.fixture(scope="module")
def world():
    return World(CONFIG)


@pytest.fixture(scope="module")
def served():
    with SimulatorServer(World(CONFIG)) as running:
        yield running


def _all_comments_on_our_media(world, start, end) -> set[str]:
    ig = world.instagram
    return {
        c.id
        for day in range(CONFIG.days + 1)
        for m in ig.brand_media_on(0, day)
        if m.created <= world.clock
        for c in ig.comments(m)
        if start <= c.created < end
    }


@SETTINGS
@given(start=st.integers(0, CLOCK), length=st.integers(1, 5 * DAY))
def test_comment_changes_are_every_comment_on_our_media_in_the_window(world, start, length):
    changes = world.instagram_webhook_changes(start, start + length)
    seen = [v["id"] for _, _, field, v, _ in changes if field == "comments"]
    assert len(seen) == len(set(seen))
    assert set(seen) == _all_comments_on_our_media(world, start, min(start + length, CLOCK + 1))


@SETTINGS
@given(start=st.integers(0, CLOCK - DAY), cut=st.integers(1, 3 * DAY), rest=st.integers(1, 3 * DAY))
def test_two_adjacent_windows_give_what_their_union_gives(world, start, cut, rest):
    whole = world.instagram_webhook_changes(start, start + cut + rest)
    parts = world.instagram_webhook_changes(start, start + cut)
    parts += world.instagram_webhook_changes(start + cut, start + cut + rest)
    assert parts == whole


def test_mention_changes_are_every_mention_of_us_in_the_window(world):
    ig = world.instagram
    changes = world.instagram_webhook_changes(0, CLOCK + 1)
    seen = {tuple(sorted(v.items())) for _, _, field, v, _ in changes if field == "mentions"}
    expected = {
        (("media_id", m.id),)
        for d in range(CONFIG.days + 1)
        for m in ig.people_media_on(d)
        if 0 in m.mentioned and m.created <= world.clock
    }
    expected |= {
        (("comment_id", c.id), ("media_id", c.post_id))
        for d in range(CONFIG.days + 1)
        for c in ig.comment_mentions_on(d)
        if c.brand == 0 and c.created <= world.clock
    }
    assert seen == expected and expected


def test_changes_come_in_time_order_with_unix_times(world):
    changes = world.instagram_webhook_changes(0, CLOCK + 1) + world.page_feed_changes(0, CLOCK + 1)
    for kind in ("instagram", "page"):
        times = [t for obj, *_, t in changes if obj == kind]
        assert times == sorted(times) and times
        assert UNIX_WORLD_START <= times[0] and times[-1] <= UNIX_WORLD_START + CLOCK


def test_entries_are_our_account_and_our_page(world):
    changes = world.instagram_webhook_changes(0, CLOCK + 1) + world.page_feed_changes(0, CLOCK + 1)
    assert {(obj, entry, field) for obj, entry, field, *_ in changes} == {
        ("instagram", OUR_IG, "comments"),
        ("instagram", OUR_IG, "mentions"),
        ("page", BRANDS[0].page_id, "feed"),
    }


def test_nothing_after_the_clock_is_announced(world):
    assert world.instagram_webhook_changes(CLOCK + 1, CLOCK + 10 * DAY) == []
    assert world.page_feed_changes(CLOCK + 1, CLOCK + 10 * DAY) == []


def test_each_visible_comment_change_is_served_by_its_lookup(served):
    token = our_page_token(served.url)
    world = served.world
    visible = {
        c.id for m in world.instagram.brand_media(0) for c in world.instagram.visible_comments(m)
    }
    changes = world.instagram_webhook_changes(CLOCK - 2 * DAY, CLOCK + 1)
    for _, _, field, value, _ in changes:
        if field == "comments" and value["id"] in visible:
            body = get(served.url, value["id"], token, fields="id,text,username,parent_id").json()
            assert body["text"] == value["text"] and body["username"] == value["from"]["username"]
            assert body.get("parent_id") == value.get("parent_id")


def test_each_visible_mention_change_is_served_by_mentioned_media_or_comment(served):
    token = our_page_token(served.url)
    world = served.world
    for _, _, field, value, _ in world.instagram_webhook_changes(0, CLOCK + 1):
        if field != "mentions":
            continue
        if "comment_id" in value:
            if world.instagram.comment(value["comment_id"]) is None:
                continue
            fields = f"mentioned_comment.comment_id({value['comment_id']}){{id,text,media{{id}}}}"
            body = get(served.url, OUR_IG, token, fields=fields).json()["mentioned_comment"]
            assert body["media"]["id"] == value["media_id"]
        else:
            if world.instagram.media(value["media_id"]) is None:
                continue
            fields = f"mentioned_media.media_id({value['media_id']}){{id,caption}}"
            body = get(served.url, OUR_IG, token, fields=fields).json()["mentioned_media"]
            # a person's caption @mentioning us, without the `@` (we do not own the media)
            assert BRANDS[0].ig_username in body["caption"]
            assert f"@{BRANDS[0].ig_username}" not in body["caption"]


def test_feed_changes_are_every_comment_on_our_page_in_the_window(world):
    start, end = CLOCK - 3 * DAY, CLOCK - DAY
    changes = world.page_feed_changes(start, end)
    expected = set()
    for day in range(CONFIG.days + 1):
        for kind in ("post", "visitor_post"):
            for listed in world._day_posts(0, day, kind):
                post = world.post(listed.id) if listed.created <= world.clock else None
                for c in post.comments if post else ():
                    if start <= c.created < end:
                        expected.add(c.id)
    assert {v["comment_id"] for *_, v, _ in changes} == expected and expected


def test_comment_changes_on_an_album_come_without_its_id(world):
    # Meta: "Webhook notifications for Comments on albums don't include the album ID"
    ig = world.instagram
    album = {
        c.id: m.media_type == "CAROUSEL_ALBUM"
        for day in range(CONFIG.days + 1)
        for m in ig.brand_media_on(0, day)
        for c in ig.comments(m)
    }
    changes = [
        v for _, _, f, v, _ in world.instagram_webhook_changes(0, CLOCK + 1) if f == "comments"
    ]
    without_id = {v["id"]: "id" not in v["media"] for v in changes}
    assert True in without_id.values() and False in without_id.values()
    assert without_id == {c: album[c] for c in without_id}
