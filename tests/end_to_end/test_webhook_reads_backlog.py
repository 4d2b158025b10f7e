"""The read side of Meta webhooks under a backlog: "the live cycle reads the Facebook comments
announced by Page `feed` changes, so they reach the open conversations queue before the next
poll". Real simulator, real PostgreSQL, the real receiver process landing the deliveries
(signed as Meta signs them).

Each cycle reads at most `webhook_reads.READ_AT_MOST` unread changes, and changes of a Page
the run holds no token for are left unread on purpose (docs/webhooks.md). Those must never
fill the read window: 5,000 of them (a Page whose token lapsed while the app stays installed
on it: Meta keeps sending its feed) must not stop a later change of our Page being read."""

from __future__ import annotations

import json

import psycopg
import pytest
import requests

from social_crm.extract.facebook_webhooks import read_announced_comments
from social_crm.receive.changes import sign
from social_crm.warehouse import migrations
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import new_database
from tests.end_to_end.conftest import Pipeline, test_x_profile
from tests.receiver_process import Receiver

SMALL = WorldConfig(seed=9, scale=0.02, days=6)
OURS, OTHER = BRANDS[0].page_id, BRANDS[1].page_id
SECRET, TOKEN = "app-secret-reads-backlog", "verify-token-reads-backlog"


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


@pytest.fixture
def receiver(pipeline, tmp_path):
    running = Receiver(pipeline.db, tmp_path / "receiver.log", secret=SECRET, token=TOKEN)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _deliver(receiver: Receiver, page: str, values: list[dict]) -> None:
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {"id": page, "time": 1_765_100_000, "changes": [{"field": "feed", "value": v}]}
                for v in values
            ],
        }
    ).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(SECRET, body)}
    assert requests.post(receiver.url, data=body, headers=headers, timeout=60).status_code == 200


def _comment_value(comment_id: str, post_id: str, created: int, person: str = "9001") -> dict:
    return {
        "from": {"id": person, "name": "Someone"},
        "item": "comment",
        "verb": "add",
        "comment_id": comment_id,
        "post_id": post_id,
        "parent_id": post_id,
        "message": "hello",
        "created_time": created,
    }


def test_a_backlog_of_another_pages_changes_does_not_stop_our_comments_being_read(
    pipeline, sim, receiver
):
    # 5,000 comments on a Page of the app we hold no Page token for this run, announced first
    for start in range(0, 5_000, 1_000):
        _deliver(
            receiver,
            OTHER,
            [
                _comment_value(f"{OTHER}_{n}", f"{OTHER}_1", 1_765_000_000 + n)
                for n in range(start, start + 1_000)
            ],
        )
    # then a comment a person wrote on our Page, announced by Meta after them
    comment = max(
        (
            c
            for post in sim.world.posts(0)
            for c in sim.world.comments(post.id) or []
            if c.person is not None
        ),
        key=lambda c: c.created,
    )
    person = str(int(sim.world.population.fb_id[comment.person]))
    _deliver(
        receiver,
        OURS,
        [_comment_value(comment.id, comment.post_id, 1_765_090_000, person)],
    )
    for _ in range(3):  # three live cycles
        read_announced_comments(pipeline.facebook)
    landed = pipeline.rows(
        "select count(*) from raw.facebook_comments where natural_key = %s", comment.id
    )
    assert landed == [(1,)], (
        "our Page's announced comment was never read: the 5,000 older unread changes of a"
        " Page without our token fill every cycle's read window"
    )
