"""The simulator's Post counts (`/2/tweets/counts/recent|all`) agree with its search."""

from datetime import timedelta

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm_dev.simulator.config import BRANDS, DAY
from social_crm_dev.simulator.responses import to_datetime
from tests.simulator.walk import X_HEADERS, x_pages

QUERIES = [f"@{b.x_handle} OR from:{b.x_handle}" for b in BRANDS] + [f"@{BRANDS[0].x_handle}"]


def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _counts(server, archive: bool, **params) -> tuple[list[dict], int]:
    buckets, total = [], 0
    path = "all" if archive else "recent"
    while True:
        body = requests.get(
            f"{server.url}/2/tweets/counts/{path}", params=params, headers=X_HEADERS, timeout=30
        ).json()
        buckets += body["data"]
        total += body["meta"]["total_tweet_count"]
        token = body["meta"].get("next_token")
        if not token:
            return buckets, total
        params = {**params, "next_token": token}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.sampled_from(QUERIES),
    archive=st.booleans(),
    start_s=st.integers(min_value=0, max_value=6 * DAY),
    length_s=st.integers(min_value=1, max_value=40 * DAY),
    granularity=st.sampled_from(["minute", "hour", "day"]),
)
def test_counts_total_the_posts_a_search_of_the_same_window_returns(
    server, query, archive, start_s, length_s, granularity
):
    now = to_datetime(server.world.clock)
    oldest = now - timedelta(days=40 if archive else 7) + timedelta(minutes=1)
    start = oldest + timedelta(seconds=start_s)
    end = min(start + timedelta(seconds=length_s), now - timedelta(seconds=10))
    if end <= start:
        start = end - timedelta(hours=1)
    window = {"query": query, "start_time": _iso(start), "end_time": _iso(end)}
    path = "tweets/search/all" if archive else "tweets/search/recent"
    found = x_pages(server.url, path, 100, "next_token", **window)
    buckets, total = _counts(server, archive, granularity=granularity, **window)
    assert total == len(found) == sum(b["tweet_count"] for b in buckets)
    # the buckets tile the window: each starts where the one before ended
    edges = [(b["start"], b["end"]) for b in buckets]
    assert edges[0][0].startswith(_iso(start)[:-1]) and edges[-1][1].startswith(_iso(end)[:-1])
    assert all(a[1] == b[0] for a, b in zip(edges, edges[1:], strict=False))


def test_every_accounts_followers_count_is_the_followers_its_list_returns(server):
    """`public_metrics.followers_count` is the length of the account's follower list, for
    the brands and for every person someone follows (the extractor confirms a follow gone by
    that count)."""
    pop = server.world.population
    followed = {int(pop.x_id[p]) for p in set(pop.follows_dst.tolist())}
    accounts = [b.x_user_id for b in BRANDS] + [str(i) for i in sorted(followed)]
    mismatches = []
    for account in accounts:
        listed = x_pages(server.url, f"users/{account}/followers", 1000, "pagination_token")
        body = requests.get(
            f"{server.url}/2/users/{account}",
            params={"user.fields": "public_metrics"},
            headers=X_HEADERS,
            timeout=30,
        ).json()
        count = body["data"]["public_metrics"]["followers_count"]
        if count != len({u["id"] for u in listed}) or count != len(listed):
            mismatches.append((account, count, len(listed)))
    assert len(accounts) > 3 and mismatches == []
