"""Walking every page of every endpoint yields exactly the ground truth, at several page sizes."""

import csv
from collections import Counter

import pytest
import requests

from tests.simulator.walk import walk_everything

pytestmark = pytest.mark.slow  # every page of every endpoint, several times


def _rows(truth_dir, name):
    with open(truth_dir / "truth" / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def truth(truth_dir):
    messages = _rows(truth_dir, "messages.csv")
    engagements = _rows(truth_dir, "engagements.csv")
    profiles = {
        (r["platform"], r["profile_id"]): r["person_id"] for r in _rows(truth_dir, "profiles.csv")
    }
    return messages, engagements, profiles


@pytest.mark.parametrize(("graph_limit", "x_limit"), [(7, 10), (100, 100)])
def test_full_walk_equals_truth(server, truth, graph_limit, x_limit):
    messages, engagements, profiles = truth
    seen = walk_everything(server.url, graph_limit, x_limit)

    # customer messages: exact id sets per platform
    fb_truth = {m["message_id"] for m in messages if m["platform"] == "facebook"}
    x_truth = {m["message_id"] for m in messages if m["platform"] == "x"}
    page_ids = {"104000000000001", "104000000000002", "104000000000003"}
    fb_seen = {c["id"] for c in seen["comments"] if c["from"]["id"] not in page_ids}
    fb_seen |= {p["id"] for p in seen["visitor_posts"]}
    brand_x_ids = {"1400000000000000001", "1400000000000000002", "1400000000000000003"}
    x_seen = {t["id"] for t in seen["tweets"] if t["author_id"] not in brand_x_ids}
    assert fb_seen == fb_truth
    assert x_seen == x_truth

    # brand answers: exactly the answer ids truth records
    answers_truth = {m["answer_id"] for m in messages if m["answer_id"]}
    answers_seen = {c["id"] for c in seen["comments"] if c["from"]["id"] in page_ids}
    answers_seen |= {t["id"] for t in seen["tweets"] if t["author_id"] in brand_x_ids}
    assert answers_seen >= answers_truth
    # the other answers are to messages deleted since (truth lists only visible messages)
    answered = {c["id"]: c.get("parent", {}).get("id") for c in seen["comments"]}
    answered |= {
        t["id"]: t["referenced_tweets"][0]["id"] for t in seen["tweets"] if "referenced_tweets" in t
    }
    extra = answers_seen - answers_truth
    assert all(answered.get(a) not in fb_seen | x_seen for a in extra)

    # nothing is returned twice
    for kind, items in seen.items():
        keys = [(i.get("post_id"), i["id"]) for i in items]
        assert len(keys) == len(set(keys)), kind

    # reactions: per person, brand and type counts equal engagements.csv
    reactions_seen = Counter(
        (profiles[("facebook", r["id"])], r["brand"], r["type"].lower()) for r in seen["reactions"]
    )
    reaction_types = {"like", "love", "haha", "wow", "sad", "angry"}
    reactions_truth = Counter(
        {
            (e["person_id"], e["brand"], e["type"]): int(e["count"])
            for e in engagements
            if e["type"] in reaction_types
        }
    )
    assert reactions_seen == reactions_truth
    assert sum(reactions_truth.values()) > 100


def test_comment_threads_point_at_existing_parents(server):
    seen = walk_everything(server.url, 50, 100)
    ids = {c["id"] for c in seen["comments"]} | {p["id"] for p in seen["visitor_posts"]}
    parents = [c["parent"]["id"] for c in seen["comments"] if "parent" in c]
    assert parents
    missing = [p for p in parents if p not in ids]
    # a parent may be deleted while its replies stay, as on Facebook; most are present
    assert len(missing) <= len(parents) * 0.1


def test_followers_insights_and_profiles_equal_truth(server, truth_dir):
    from social_crm_dev.simulator.config import BRANDS
    from tests.graph_people import our_page_token, people_of_our_page
    from tests.simulator.walk import FB_TOKEN, page_token, x_pages

    follows = _rows(truth_dir, "follows.csv")
    followed = {f["followed_x_id"] for f in follows}
    for x_id in sorted(followed)[:40] + [b.x_user_id for b in BRANDS]:
        for limit in (1, 1000):
            seen = {
                u["id"]
                for u in x_pages(server.url, f"users/{x_id}/followers", limit, "pagination_token")
            }
            assert seen == {f["follower_x_id"] for f in follows if f["followed_x_id"] == x_id}

    fans = _rows(truth_dir, "fan_counts.csv")
    # every Page's insights, as each Page's own token reads them (the world's truth of all)
    kept = server.state()["graph_access"]["managed"]
    server.set_graph_access(managed=[b.page_id for b in BRANDS])
    try:
        tokens = {b.page_id: page_token(server.url, b.page_id) for b in BRANDS}
        for brand in BRANDS:
            truth_rows = [r for r in fans if r["brand"] == brand.key]
            answer = requests.get(
                f"{server.url}/v24.0/{brand.page_id}/insights",
                timeout=10,
                params={
                    "access_token": tokens[brand.page_id],
                    "period": "day",
                    "metric": "page_follows,page_daily_follows_unique,page_daily_unfollows_unique",
                    "since": truth_rows[0]["date"],
                },
            ).json()
            by_metric = {m["name"]: [v["value"] for v in m["values"]] for m in answer["data"]}
            assert by_metric["page_follows"] == [int(r["fans"]) for r in truth_rows]
            assert by_metric["page_daily_follows_unique"] == [int(r["adds"]) for r in truth_rows]
            removes = [int(r["removes"]) for r in truth_rows]
            assert by_metric["page_daily_unfollows_unique"] == removes
            page = requests.get(
                f"{server.url}/v24.0/{brand.page_id}",
                timeout=10,
                params={"access_token": FB_TOKEN, "fields": "id,name,fan_count"},
            ).json()
            assert page["fan_count"] == int(truth_rows[-1]["fans"])
    finally:
        server.set_graph_access(managed=kept)

    # people, as our Page's token reads those who engaged with it (a person's id is scoped to
    # the Page: docs/real-apis.md)
    names = {
        p["profile_id"]: p["name"]
        for p in _rows(truth_dir, "profiles.csv")
        if p["platform"] == "facebook"
    }
    people = people_of_our_page(server, 30, version="v24.0")
    assert people
    for person in people:
        node = requests.get(
            f"{server.url}/v24.0/{person}",
            timeout=10,
            params={"access_token": our_page_token(server), "fields": "id,name"},
        ).json()
        assert node == {"id": person, "name": names[person]}
