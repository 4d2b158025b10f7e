"""The comments our Page's `feed` webhooks announce are read by id (with the Page's token)
and land in raw.facebook_comments, once: a change read is not read again, a removed comment
the Graph API no longer has is tombstoned, and a change of a Page we hold no token for stays
unread. Real simulator, real PostgreSQL, the receiver's own landing code."""

from __future__ import annotations

import json

import psycopg
import pytest

from social_crm.extract.facebook_webhooks import read_announced_comments
from social_crm.receive import land
from social_crm.receive.changes import change_key, read_delivery
from social_crm.warehouse import migrations
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import new_database
from tests.end_to_end.conftest import Pipeline, test_x_profile

SMALL = WorldConfig(seed=9, scale=0.02, days=6)
OURS, RIVAL = BRANDS[0].page_id, BRANDS[1].page_id


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(World(SMALL), x_profile=test_x_profile()) as server:
        yield server


@pytest.fixture
def pipeline(sim, warehouse_url):
    with new_database(warehouse_url) as db:
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        yield Pipeline(sim, db)


def _people_comments(sim, n: int) -> list:
    """The `n` newest comments people wrote on our Page's posts."""
    found = [
        c
        for post in sim.world.posts(0)
        for c in sim.world.comments(post.id) or []
        if c.person is not None
    ]
    return sorted(found, key=lambda c: c.created)[-n:]


def _feed(sim, comment, verb: str = "add", page: str = OURS) -> dict:
    person = int(sim.world.population.fb_id[comment.person])
    return {
        "field": "feed",
        "value": {
            "from": {"id": str(person), "name": sim.world.population.fb_name[comment.person]},
            "item": "comment",
            "verb": verb,
            "comment_id": comment.id,
            "post_id": comment.post_id,
            "parent_id": comment.parent_id or comment.post_id,
            "message": comment.text,
            "created_time": 1_765_000_000 + comment.created,
        },
        "page": page,
    }


def _receive(pipeline, changes: list[dict]) -> None:
    """The changes as the receiver lands them (its landing code, one delivery)."""
    entries = [
        {"id": c["page"], "time": 1_765_100_000, "changes": [{k: c[k] for k in ("field", "value")}]}
        for c in changes
    ]
    body = json.loads(json.dumps({"object": "page", "entry": entries}))
    with pipeline.connect() as conn:
        land.land(conn, read_delivery(body))


def _read(pipeline) -> tuple[int, int]:
    """(comments landed, Graph batch requests made) by one read of the announced comments."""
    before = pipeline.sim.requests.get("graph:batch", 0)
    results = read_announced_comments(pipeline.facebook)
    landed = results[0].landed if results else 0
    return landed, pipeline.sim.requests.get("graph:batch", 0) - before


def _latest(pipeline, comment_id: str) -> tuple[bool, dict] | None:
    rows = pipeline.rows(
        "select is_deleted, payload from raw.facebook_comments where natural_key = %s"
        " order by ingest_seq desc limit 1",
        comment_id,
    )
    return rows[0] if rows else None


def test_announced_comments_land_with_their_author_read_by_our_page_token(pipeline, sim):
    comments = _people_comments(sim, 5)
    _receive(pipeline, [_feed(sim, c) for c in comments])
    landed, batches = _read(pipeline)
    assert (landed, batches) == (5, 2)  # the comments, then their authors' profiles
    for c in comments:
        deleted, payload = _latest(pipeline, c.id)
        assert not deleted and payload["post_id"] == c.post_id
        assert payload["from"]["id"] == str(int(sim.world.population.fb_id[c.person]))


def test_a_change_read_once_is_not_read_again(pipeline, sim):
    _receive(pipeline, [_feed(sim, c) for c in _people_comments(sim, 3)])
    assert _read(pipeline)[0] == 3
    assert _read(pipeline) == (0, 0)


def test_a_removed_comment_the_api_no_longer_has_is_tombstoned(pipeline, sim):
    (comment,) = _people_comments(sim, 1)
    _receive(pipeline, [_feed(sim, comment)])
    _read(pipeline)
    sim.hide([comment.id])
    try:
        _receive(pipeline, [_feed(sim, comment, verb="remove")])
        _read(pipeline)
    finally:
        sim.hide([comment.id], hidden=False)
    deleted, _ = _latest(pipeline, comment.id)
    assert deleted


def test_a_change_of_a_page_without_our_token_stays_unread(pipeline, sim):
    (comment,) = _people_comments(sim, 1)
    rival = _feed(sim, comment, page=RIVAL)
    _receive(pipeline, [rival])
    assert _read(pipeline) == (0, 0)
    key = change_key("page", RIVAL, "feed", rival["value"])
    assert (
        pipeline.rows("select 1 from meta.webhook_changes_read where natural_key = %s", key) == []
    )
