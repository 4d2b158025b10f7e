"""The hour's activity `make bench` sets the hourly API floor from (`bench.hour_activity`) is
the world's truth: what was written in the hour and is still there, not what we landed."""

from social_crm_dev import bench
from social_crm_dev.simulator.config import BRANDS, DAY, MANAGED_PAGES
from social_crm_dev.simulator.world import World
from tests.simulator.conftest import SMALL

HOUR = 3600


def _hour() -> tuple[World, int, int]:
    world = World(SMALL)
    start = world.clock
    world.advance(seconds=HOUR)
    return world, start, world.clock


def test_the_new_comments_are_those_written_in_the_span_and_still_there():
    world = World(SMALL)  # a small world: two days' comments, not an hour's
    start, end = world.clock - 2 * DAY, world.clock
    found = bench.hour_activity(world, start, end).new_comments
    expected = {}
    for brand, b in enumerate(BRANDS):
        if b.page_id in MANAGED_PAGES:
            for kind in ("post", "visitor_post"):
                for post in world.posts(brand, kind):
                    n = sum(start <= c.created < end for c in world.comments(post.id) or [])
                    if n:
                        expected[post.id] = n
    assert found == expected and sum(found.values()) > 0


def test_an_empty_span_has_no_new_activity():
    world, _, end = _hour()
    hour = bench.hour_activity(world, end, end)
    assert (hour.new_comments, hour.alive_reactions, hour.new_people, hour.new_x_posts) == (
        {},
        {},
        0,
        0,
    )


def test_every_page_lists_its_posts_of_the_look_back_window():
    world, start, end = _hour()
    listed = bench.hour_activity(world, start, end, lookback_days=1).listed
    wider = bench.hour_activity(world, start, end, lookback_days=30).listed
    assert set(listed) == {b.page_id for b in BRANDS if b.page_id}
    assert all(listed[p] <= wider[p] for p in listed) and sum(wider.values()) > sum(listed.values())
    assert end - 30 * DAY >= 0  # the wider window lies inside the world's history
