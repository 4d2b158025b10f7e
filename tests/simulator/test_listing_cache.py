"""The simulator's listings stay cheap at any size: a walk of a Page's feed builds the listing
once, however many posts' comments are walked between its pages."""

import requests

from social_crm_dev.simulator.config import BRANDS
from social_crm_dev.simulator.graph_api import EDGE_LISTINGS_KEPT
from tests.simulator.walk import page_token


def test_a_feed_walk_builds_its_listing_once_whatever_is_walked_between_its_pages(
    server, monkeypatch
):
    page = BRANDS[0].page_id
    every = [p.id for b in range(len(BRANDS)) for p in server.world.posts(b, "post")]
    posts = every[: EDGE_LISTINGS_KEPT + 1]
    assert len(posts) > EDGE_LISTINGS_KEPT  # enough to push every edge listing out
    server.graph.forget_listings()
    built = []
    listed = server.world.posts
    monkeypatch.setattr(server.world, "posts", lambda *a: built.append(a) or listed(*a))
    token = page_token(server.url, page)  # our Page's content: its own token
    url, query = f"{server.url}/v24.0/{page}/feed", {"access_token": token, "limit": 2}
    for _ in range(3):  # three pages of the feed, every post's comments walked between
        body = requests.get(url, params=query, timeout=30).json()
        for post in posts:
            requests.get(
                f"{server.url}/v24.0/{post}/comments",
                params={"access_token": token, "filter": "stream"},
                timeout=30,
            )
        url, query = body["paging"]["next"], None
    assert built == [(0, "visitor_post"), (0, "post")]  # the feed: visitor and own posts
