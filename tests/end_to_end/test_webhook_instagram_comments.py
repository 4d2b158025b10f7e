"""The Instagram comments our account's `comments` webhooks announce are read by id (with
the linked Page's token) and land in raw.instagram_comments, once; a comment deleted since is
marked gone. Real simulator, real PostgreSQL, the receiver's own landing code."""

from __future__ import annotations

import json

import psycopg
import pytest

from social_crm.extract import webhook_reads
from social_crm.extract.instagram_webhooks import read_announced_comments
from social_crm.orchestration import extraction
from social_crm.receive import land
from social_crm.receive.changes import change_key, read_delivery
from social_crm.warehouse import migrations
from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import new_database
from tests.end_to_end.conftest import test_x_profile

WORLD = WorldConfig(seed=32, scale=0.05, days=8)


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(World(WORLD), x_profile=test_x_profile()) as server:
        yield server


@pytest.fixture
def db(sim, warehouse_url, monkeypatch):
    with new_database(warehouse_url) as database:
        with psycopg.connect(database.libpq()) as conn:
            migrations.apply(conn)
        monkeypatch.setenv("WAREHOUSE_URL", database.libpq())
        monkeypatch.setenv("INSTAGRAM_GRAPH_URL", sim.url)
        monkeypatch.setenv("INSTAGRAM_GRAPH_TOKEN", sim.fb_token)
        yield database


def _announced(sim, n: int) -> list[tuple]:
    changes = sim.world.instagram_webhook_changes(0, sim.world.clock + 1)
    return [c for c in changes if c[2] == "comments" and c[3]["from"]["id"] != c[1]][-n:]


def _album_announced(sim) -> list[tuple]:
    """The comments announced without their media's id (comments on albums)."""
    changes = sim.world.instagram_webhook_changes(0, sim.world.clock + 1)
    return [c for c in changes if c[2] == "comments" and "id" not in c[3]["media"]]


def _media_of(sim, comment_id: str) -> str:
    ig = sim.world.instagram
    return next(
        m.id
        for day in range(WORLD.days + 1)
        for m in ig.brand_media_on(0, day)
        for c in ig.comments(m)
        if c.id == comment_id
    )


def _receive(db, changes: list[tuple]) -> None:
    entries = [
        {"id": e, "time": at, "changes": [{"field": f, "value": v}]} for _, e, f, v, at in changes
    ]
    body = json.loads(json.dumps({"object": "instagram", "entry": entries}))
    with psycopg.connect(db.libpq()) as conn:
        land.land(conn, read_delivery(body))


def _read() -> int:
    extractor = extraction.instagram()
    try:
        results = read_announced_comments(extractor)
    finally:
        extractor.client.close()
    return results[0].landed if results else 0


def _rows(db, query: str, *params) -> list[tuple]:
    with psycopg.connect(db.libpq()) as conn:
        return conn.execute(query, params).fetchall()


def test_announced_comments_land_with_their_media_and_author(sim, db):
    changes = _announced(sim, 4)
    assert changes
    _receive(db, changes)
    assert _read() == len(changes)
    for _, _, _, value, _ in changes:
        ((scope, payload),) = _rows(
            db,
            "select scope_key, payload from raw.instagram_comments where natural_key = %s",
            value["id"],
        )
        assert scope == _media_of(sim, value["id"])
        assert payload["username"] == value["from"]["username"]


def test_an_album_comment_announced_without_its_media_id_lands_under_its_album(sim, db):
    changes = _album_announced(sim)[-2:]
    assert changes
    _receive(db, changes)
    assert _read() == len(changes)
    for _, _, _, value, _ in changes:
        ((scope, payload),) = _rows(
            db,
            "select scope_key, payload from raw.instagram_comments where natural_key = %s",
            value["id"],
        )
        assert (scope, "media" in payload) == (_media_of(sim, value["id"]), False)


def test_a_change_read_once_is_not_read_again(sim, db):
    _receive(db, _announced(sim, 2))
    assert _read() == 2
    assert _read() == 0
    assert _rows(db, "select count(*) from raw.instagram_comments") == [(2,)]


def test_a_comment_deleted_since_is_marked_gone(sim, db):
    (change,) = _announced(sim, 1)
    sim.hide([change[3]["id"]])
    try:
        _receive(db, [change])
        assert _read() == 0
    finally:
        sim.hide([change[3]["id"]], hidden=False)
    key = change_key(*change[:4])
    assert _rows(
        db, "select outcome from meta.webhook_changes_read where natural_key = %s", key
    ) == [("gone",)]


def test_a_backlog_of_another_accounts_changes_does_not_stop_ours_being_read(sim, db):
    (ours,) = _announced(sim, 1)
    other = "17841499999999999"  # an account of the app we are not linked to this run
    backlog = [
        ("instagram", other, "comments", {"id": f"1799{n:011d}", "media": {"id": "1"}}, ours[4] - 1)
        for n in range(webhook_reads.READ_AT_MOST)
    ]
    _receive(db, backlog)  # older than ours, and unread for good
    _receive(db, [ours])
    assert _read() == 1
