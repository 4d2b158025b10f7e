"""Instagram: walking every page of every endpoint yields exactly the truth files, at several
page sizes; the same seed gives the same files; Instagram does not move Facebook or X."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm_dev.simulator import population
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.known_identities import known_accounts
from social_crm_dev.simulator.truth import write_world
from social_crm_dev.simulator.world import World
from tests.simulator.instagram_walk import walk_instagram

INSTAGRAM_FILES = (
    "instagram_profiles.csv",
    "instagram_media.csv",
    "instagram_comments.csv",
    "instagram_mentions.csv",
    "instagram_tags.csv",
    "instagram_hashtag_media.csv",
    "instagram_account_days.csv",
    "instagram_account_insights.csv",
    "instagram_media_insights.csv",
)


def _rows(truth_dir: Path, name: str) -> list[dict]:
    with open(truth_dir / "truth" / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def walks(server):
    return {limit: walk_instagram(server.url, limit) for limit in (3, 100)}


@pytest.mark.parametrize("limit", [3, 100])
def test_our_media_walk_equals_truth(walks, truth_dir, limit):
    truth = {
        r["media_id"]: r for r in _rows(truth_dir, "instagram_media.csv") if r["scope"] == "own"
    }
    seen = {m["id"]: m for m in walks[limit]["media"]}
    assert set(seen) == set(truth) and truth
    for media_id, media in seen.items():
        assert media["comments_count"] == int(truth[media_id]["comments_count"])
        assert media["like_count"] == int(truth[media_id]["like_count"])


@pytest.mark.parametrize("limit", [3, 100])
def test_comments_and_replies_walk_equals_truth(walks, truth_dir, limit):
    truth = [r for r in _rows(truth_dir, "instagram_comments.csv") if r["kind"] != "mention"]
    seen = walks[limit]["comments"] + walks[limit]["replies"]
    assert sorted(c["id"] for c in seen) == sorted(r["comment_id"] for r in truth)
    by_id = {r["comment_id"]: r for r in truth}
    for comment in seen:
        row = by_id[comment["id"]]
        assert comment["username"] == row["username"] == comment["from"]["username"]
        assert comment["media_id"] == row["media_id"]
        assert comment.get("parent_id", "") == row["parent_id"]


def test_comments_count_counts_every_visible_comment_and_reply(walks):
    seen = walks[100]
    counted: dict[str, int] = {}
    for comment in seen["comments"] + seen["replies"]:
        counted[comment["media_id"]] = counted.get(comment["media_id"], 0) + 1
    assert {m["id"]: m["comments_count"] for m in seen["media"] if m["comments_count"]} == counted


@pytest.mark.parametrize("limit", [3, 100])
def test_tags_walk_equals_truth(walks, truth_dir, limit):
    truth = {r["media_id"] for r in _rows(truth_dir, "instagram_tags.csv") if r["brand"] == "ours"}
    assert {m["id"] for m in walks[limit]["tags"]} == truth and truth


@pytest.mark.parametrize("limit", [3, 100])
def test_business_discovery_walk_equals_rival_truth(walks, truth_dir, limit):
    media = _rows(truth_dir, "instagram_media.csv")
    for brand in BRANDS[1:]:
        truth = {r["media_id"] for r in media if r["scope"] == "rival" and r["brand"] == brand.key}
        seen = [m["id"] for m in walks[limit][f"rival:{brand.key}"]]
        assert len(seen) == len(set(seen))
        assert set(seen) == truth and truth


def test_each_comment_author_is_a_profile_of_truth(walks, truth_dir):
    profiles = {r["profile_id"]: r for r in _rows(truth_dir, "instagram_profiles.csv")}
    for comment in walks[100]["comments"] + walks[100]["replies"]:
        if comment["from"]["id"] == BRANDS[0].ig_user_id:
            continue
        profile = profiles[comment["username"].lower()]
        assert profile["ig_scoped_id"] == comment["from"]["id"]


def test_same_seed_gives_identical_instagram_truth(tmp_path):
    config = WorldConfig(seed=11, scale=0.03, days=12)
    write_world(World(config), tmp_path / "a", progress=lambda _: None)
    write_world(World(config), tmp_path / "b", progress=lambda _: None)
    for name in INSTAGRAM_FILES:
        a = (tmp_path / "a" / "truth" / name).read_bytes()
        assert a == (tmp_path / "b" / "truth" / name).read_bytes(), name
        assert a.count(b"\n") > 1, name


def test_instagram_share_does_not_move_facebook_or_x_truth(tmp_path, monkeypatch):
    config = WorldConfig(seed=5, scale=0.03, days=10)
    write_world(World(config), tmp_path / "with", progress=lambda _: None)
    monkeypatch.setattr(population, "IG_SHARE", 0.0)
    write_world(World(config), tmp_path / "without", progress=lambda _: None)
    for name in ("profiles.csv", "messages.csv", "engagements.csv", "follows.csv"):
        with_ig = (tmp_path / "with" / "truth" / name).read_bytes()
        assert with_ig == (tmp_path / "without" / "truth" / name).read_bytes(), name


def test_usernames_are_unique_valid_and_never_a_brand():
    pop = World(WorldConfig(seed=2, scale=0.2, days=5)).population
    names = [u for u in pop.ig_username if u]
    assert len(names) == len(set(names)) and names
    assert all(len(u) <= 30 and u == u.lower() for u in names)
    assert all(set(u) <= set("abcdefghijklmnopqrstuvwxyz0123456789._") for u in names)
    assert not set(names) & {b.ig_username for b in BRANDS}


def test_usernames_are_equal_close_or_unrelated_to_x_handles():
    pop = World(WorldConfig(seed=2, scale=0.3, days=5)).population
    pairs = [(u, x) for u, x in zip(pop.ig_username, pop.x_handle, strict=True) if u and x]
    same = sum(u == x for u, x in pairs)
    close = sum(u != x and u.startswith(x) for u, x in pairs)
    unrelated = len(pairs) - same - close
    assert min(same, close, unrelated) > 0.15 * len(pairs)


def test_known_instagram_accounts_name_a_username_of_their_customer():
    world = World(WorldConfig(seed=4, scale=0.1, days=20))
    pop = world.population
    rows = [k for k in known_accounts(world) if k.platform == "instagram"]
    assert rows
    for row in rows:
        assert row.account_id is None
        assert row.handle == pop.ig_username[row.person]
        assert row.customer_id == pop.customer_id(row.person)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.integers(1, 120))
def test_any_page_size_walks_our_media_and_tags_completely_once(server, truth_dir, limit):
    from tests.simulator.instagram_walk import OUR_IG, our_page_token, pages

    token = our_page_token(server.url)
    media = [m["id"] for m in pages(server.url, f"{OUR_IG}/media", token, limit, fields="id")]
    tags = [m["id"] for m in pages(server.url, f"{OUR_IG}/tags", token, limit, fields="id")]
    rows = _rows(truth_dir, "instagram_media.csv")
    assert len(media) == len(set(media)) and len(tags) == len(set(tags))
    assert set(media) == {r["media_id"] for r in rows if r["scope"] == "own"}
    tagged = {r["media_id"] for r in _rows(truth_dir, "instagram_tags.csv") if r["brand"] == "ours"}
    assert set(tags) == tagged
