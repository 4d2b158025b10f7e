"""Webhooks end to end: after a nightly build, the world moves on three hours; the simulator's
app delivers that window's changes (Instagram's and our Page's feed) to a running receiver
process, signed, batched, some twice, while the receiver is killed and started again (the
sender retries, as Meta does); then one live cycle runs with a live walk of the last day's
posts only. Every change lands once, and the new comments the feed announced are in the
queue, those on posts older than the live walk's day included."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import psycopg
import pytest
import requests

from social_crm.orchestration import live
from social_crm.receive.changes import change_key
from social_crm.warehouse import migrations
from social_crm_dev import queue_truth
from social_crm_dev.settings import DEFAULT_FB_TOKEN, DEFAULT_X_TOKEN
from social_crm_dev.simulator.config import BRANDS, WORLD_START, WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.webhooks import app_of
from social_crm_dev.simulator.world import World
from tests.databases import new_database
from tests.end_to_end.conftest import (
    Pipeline,
    Truth,
    land_crm_export,
    nightly_build,
    test_x_profile,
)
from tests.receiver_process import Receiver

pytestmark = pytest.mark.integration

WORLD = WorldConfig(seed=32, scale=0.1, days=12)
WINDOW = timedelta(hours=6)
OUR_PAGE = BRANDS[0].page_id


@pytest.fixture(scope="module")
def played(warehouse_url, tmp_path_factory):
    world = World(WORLD)
    folder = tmp_path_factory.mktemp("hooks")
    with (
        SimulatorServer(world, x_profile=test_x_profile()) as sim,
        new_database(warehouse_url) as db,
        pytest.MonkeyPatch.context() as env,
    ):
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        pipeline = Pipeline(sim, db)
        pipeline.run()
        land_crm_export(pipeline.connect, Truth(world, folder / "truth"))
        env.setenv("WAREHOUSE_URL", db.libpq())
        for prefix, token in (("FACEBOOK_GRAPH", DEFAULT_FB_TOKEN), ("X_API", DEFAULT_X_TOKEN)):
            env.setenv(f"{prefix}_URL", sim.url)
            env.setenv(f"{prefix}_TOKEN", token)
        env.setenv("SOCIAL_CRM_LIVE_POST_DAYS", "1")
        nightly_build(as_of=WORLD_START + timedelta(seconds=world.clock))
        start = world.clock + 1
        world.advance(seconds=int(WINDOW.total_seconds()))
        end = world.clock + 1
        receiver = Receiver(db, folder / "receiver.log", secret=app_of(sim).secret, token="t")
        report: dict = {}

        def send() -> None:
            answer = requests.post(
                f"{sim.url}/_admin/webhooks/deliver",
                json={
                    "url": receiver.url,
                    "start": start,
                    "end": end,
                    "seed": 4,
                    "duplicate_rate": 0.3,
                    "batch_max": 4,
                    "retry_scale": 0.003,  # Meta's first minute: 0.18 s
                },
                timeout=600,
            )
            report.update(answer.json())

        sender = threading.Thread(target=send)
        sender.start()  # the receiver is down: the first deliveries fail, the sender retries
        time.sleep(0.4)
        receiver.start()
        sender.join()
        receiver.stop()
        now = WORLD_START + timedelta(seconds=world.clock)
        live.run_all(as_of=now)
        with psycopg.connect(db.libpq()) as conn:
            queue = {r[0] for r in conn.execute("select message_id from marts.open_conversations")}
            events = [r[0] for r in conn.execute("select natural_key from raw.webhook_events")]
            comments = {
                r[0]
                for r in conn.execute(
                    "select natural_key from raw.facebook_comments where not is_deleted"
                )
            }
            # the batch that first landed each comment, and the batch of each webhook read
            first_batch = dict(
                conn.execute(
                    "select distinct on (natural_key) natural_key, batch_id::text"
                    " from raw.facebook_comments order by natural_key, ingest_seq"
                ).fetchall()
            )
            read_batch = dict(
                conn.execute(
                    "select natural_key, batch_id::text from meta.webhook_changes_read"
                ).fetchall()
            )
        changes = [
            *world.instagram_webhook_changes(start, end),
            *world.page_feed_changes(start, end),
        ]
        truth = queue_truth.customer_messages(world, now - timedelta(days=8))
        yield {
            "report": report,
            "changes": changes,
            "events": events,
            "comments": comments,
            "queue": queue,
            "truth": truth,
            "now": now,
            "first_batch": first_batch,
            "read_batch": read_batch,
        }


def test_the_sender_retried_until_the_receiver_answered(played):
    report = played["report"]
    assert report["dropped"] == 0 and report["delivered"] == report["deliveries"]
    assert report["sent"] > report["deliveries"] and report["duplicates"] > 0


def test_every_change_of_the_window_lands_once(played):
    expected = sorted(change_key(o, e, f, v) for o, e, f, v, _ in played["changes"])
    assert expected and sorted(played["events"]) == expected


def test_every_announced_comment_is_landed(played):
    announced = {v["comment_id"] for o, _, f, v, _ in played["changes"] if f == "feed"}
    assert announced and announced <= played["comments"]


def test_announced_comments_waiting_for_an_answer_are_in_the_queue(played):
    waiting = {
        v["comment_id"]
        for _, _, f, v, _ in played["changes"]
        if f == "feed"
        and v["comment_id"] in played["truth"]
        and played["truth"][v["comment_id"]].waiting_at(played["now"])
    }
    assert waiting and waiting <= played["queue"]


def test_announced_comments_land_by_the_webhook_read_before_the_walk_polls(played):
    feed = [(o, e, f, v) for o, e, f, v, _ in played["changes"] if f == "feed"]
    assert feed
    for obj, entry, field, value in feed:
        read = played["read_batch"][change_key(obj, entry, field, value)]
        assert played["first_batch"][value["comment_id"]] == read, value["comment_id"]
