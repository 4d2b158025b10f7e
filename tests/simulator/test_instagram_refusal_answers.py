"""The refusals about one item that the simulator answers as Meta does (docs/real-apis.md,
Instagram table): a mentioned comment on a media whose comments are off, the insights of a
media posted before the business conversion, a sensitive hashtag, and the account's own list
of the hashtags it searched this week."""

from __future__ import annotations

import pytest

from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.instagram import hashtag_id
from social_crm_dev.simulator.instagram_api import SENSITIVE_HASHTAGS
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.simulator.instagram_walk import OUR_IG, get, our_page_token

TINY = WorldConfig(seed=8, scale=0.1, days=40)  # some comment mentions on media with comments off


@pytest.fixture(scope="module")
def ig():
    with SimulatorServer(World(TINY)) as running:
        yield running


@pytest.fixture
def fresh():
    """A server of its own (the test searches hashtags: the account's window changes)."""
    with SimulatorServer(World(TINY)) as running:
        yield running


@pytest.fixture(scope="module")
def token(ig):
    return our_page_token(ig.url)


def _mention_comments(ig, enabled: bool) -> list[str]:
    world = ig.world
    return [
        c.id
        for day in range(TINY.days)
        for c in world.instagram.comment_mentions_on(day)
        if c.brand == 0
        and c.visible(world.clock)
        and world.instagram.media(c.post_id) is not None
        and world.instagram.media(c.post_id).comments_enabled is enabled
    ]


def _mentioned_comment(ig, token, comment_id: str):
    return get(
        ig.url, OUR_IG, token, fields=f"mentioned_comment.comment_id({comment_id}){{id,text}}"
    )


def test_a_mentioned_comment_on_a_media_with_comments_off_is_refused(ig, token):
    refused = _mention_comments(ig, enabled=False)
    assert refused, "no comment mention on a media with comments off: choose another seed"
    for comment_id in refused:
        answer = _mentioned_comment(ig, token, comment_id)
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert (error["code"], error.get("error_subcode")) == (100, None)


def test_a_mentioned_comment_on_a_media_with_comments_on_is_served(ig, token):
    served = _mention_comments(ig, enabled=True)
    assert served
    for comment_id in served:
        assert _mentioned_comment(ig, token, comment_id).status_code == 200


def test_the_insights_of_a_media_posted_before_the_business_conversion_answer_2108006(ig, token):
    old = [m for m in ig.world.instagram.brand_media(0) if m.before_business_conversion]
    assert old, "no media before the conversion: choose another seed"
    for media in old:
        answer = get(ig.url, f"{media.id}/insights", token, metric="reach")
        error = answer.json()["error"]
        assert (answer.status_code, error["code"], error["error_subcode"]) == (400, 100, 2108006)


def test_the_insights_of_a_media_posted_after_the_business_conversion_are_served(ig, token):
    later = [m for m in ig.world.instagram.brand_media(0) if not m.before_business_conversion]
    assert later
    for media in later[:5]:
        assert get(ig.url, f"{media.id}/insights", token, metric="reach").status_code == 200


@pytest.mark.parametrize("tag", sorted(SENSITIVE_HASHTAGS))
def test_a_sensitive_hashtag_search_answers_a_generic_error(ig, tag):
    answer = get(ig.url, "ig_hashtag_search", user_id=OUR_IG, q=tag)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 100


def test_recently_searched_hashtags_lists_the_weeks_searches_of_any_app(fresh):
    for tag in ("fika", "other1", "other2"):
        get(fresh.url, "ig_hashtag_search", user_id=OUR_IG, q=tag)
    listed = get(fresh.url, f"{OUR_IG}/recently_searched_hashtags", limit=30).json()["data"]
    assert {i["id"] for i in listed} == {hashtag_id(t) for t in ("fika", "other1", "other2")}


def test_recently_searched_hashtags_forgets_a_hashtag_7_days_after_its_first_query(fresh):
    get(fresh.url, "ig_hashtag_search", user_id=OUR_IG, q="fika")
    fresh.world.advance(4)
    get(fresh.url, "ig_hashtag_search", user_id=OUR_IG, q="fika")  # a repeat: no new window
    fresh.world.advance(3)
    listed = get(fresh.url, f"{OUR_IG}/recently_searched_hashtags", limit=30).json()["data"]
    assert listed == []
