"""truth/influence.csv covers every platform whose messages draw replies: on Instagram, the
replies to people's comments on our media and the comments on their media that tag or
@mention us, as the simulator generates them."""

from __future__ import annotations

import csv
from pathlib import Path


def _rows(truth_dir: Path, name: str) -> list[dict]:
    with open(truth_dir / "truth" / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _instagram_truth(truth_dir: Path) -> dict[str, float]:
    return {
        r["profile_id"]: float(r["true_influence"])
        for r in _rows(truth_dir, "influence.csv")
        if r["platform"] == "instagram"
    }


def _our_media_tagging_or_mentioning(truth_dir: Path) -> list[dict]:
    return [
        m
        for m in _rows(truth_dir, "instagram_media.csv")
        if m["scope"] == "person" and "ours" in (m["tagged"].split(",") + m["mentioned"].split(","))
    ]


def test_every_instagram_profile_whose_messages_can_draw_replies_has_a_true_influence(truth_dir):
    commenters = {
        c["username"].lower()
        for c in _rows(truth_dir, "instagram_comments.csv")
        if c["brand"] == "ours" and c["kind"] == "comment"
    }
    posters = {m["owner"].lower() for m in _our_media_tagging_or_mentioning(truth_dir)}
    truth = _instagram_truth(truth_dir)
    assert commenters and posters
    assert {p for p in commenters | posters if truth.get(p, 0) <= 0} == set()


def test_instagram_true_influence_adds_up_to_what_the_world_drew(truth_dir):
    """The expected replies and comments, summed over profiles, are what the world's people
    drew: replies by others to their comments on our media, and the comments on their media
    that tag or @mention us (settled counts), within sampling error."""
    comments = [c for c in _rows(truth_dir, "instagram_comments.csv") if c["brand"] == "ours"]
    author = {c["comment_id"]: c["person_id"] for c in comments if c["kind"] == "comment"}
    replies = sum(
        1
        for c in comments
        if c["kind"] == "reply"
        and c["parent_id"] in author
        and c["person_id"] != author[c["parent_id"]]
    )
    drawn = replies + sum(
        int(m["comments_count"]) for m in _our_media_tagging_or_mentioning(truth_dir)
    )
    expected = sum(_instagram_truth(truth_dir).values())
    assert drawn >= 20
    assert abs(drawn - expected) < 4 * expected**0.5 + 0.05 * expected
