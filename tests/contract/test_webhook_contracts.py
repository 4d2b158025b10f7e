"""Contract tests for Meta's webhooks (`payloads/webhooks/*.json`, each naming its public
source, written by hand from the documentation, never produced by our simulator): the
subscription handshake, the signature over the raw body, and the documented deliveries of
Instagram `comments` and `mentions` and the Page `feed`, each read into one raw record."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from social_crm.receive.app import CALLBACK_PATH, create_app
from social_crm.receive.changes import (
    Refused,
    change_key,
    read_delivery,
    sign,
    signature_problem,
)
from social_crm.receive.config import ReceiverConfig

PAYLOADS = {p.stem: p for p in sorted((Path(__file__).parent / "payloads/webhooks").glob("*.json"))}
DELIVERIES = [name for name in PAYLOADS if "delivery" in json.loads(PAYLOADS[name].read_text())]
SECRET = "d41d8cd98f00b204e9800998ecf8427e"  # an app secret's shape: 32 hex digits


def load(name: str) -> dict:
    return json.loads(PAYLOADS[name].read_text(encoding="utf-8"))


def test_every_payload_names_its_source():
    assert PAYLOADS and all(load(n)["source"].startswith("https://") for n in PAYLOADS)


# --- the handshake (https://developers.facebook.com/docs/graph-api/webhooks/getting-started:
# GET <callback>?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock,
# answered with the challenge) --------------------------------------------------------------


@pytest.fixture
def client():
    app = create_app(ReceiverConfig(SECRET, "meatyhamhock"), connect=_no_warehouse)
    with TestClient(app) as running:
        yield running


def _no_warehouse():
    raise AssertionError("a handshake or a refused delivery never opens the warehouse")


def test_the_documented_handshake_is_answered_with_the_challenge(client):
    answer = client.get(
        CALLBACK_PATH,
        params={
            "hub.mode": "subscribe",
            "hub.challenge": "1158201444",
            "hub.verify_token": "meatyhamhock",
        },
    )
    assert (answer.status_code, answer.text) == (200, "1158201444")


def test_a_handshake_with_another_verify_token_is_refused(client):
    answer = client.get(
        CALLBACK_PATH,
        params={"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "x"},
    )
    assert answer.status_code == 403 and "1158201444" not in answer.text


# --- the signature (getting-started, "Validating payloads": X-Hub-Signature-256 is sha256=
# and the HMAC-SHA256 of the payload with the app secret; Meta signs the payload as sent,
# with non-ASCII characters escaped) --------------------------------------------------------


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body_with_the_app_secret():
    body = json.dumps(load("webhook_instagram_comments")["delivery"]).encode()
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sign(SECRET, body) == f"sha256={expected}"
    assert signature_problem(SECRET, body, f"sha256={expected}") is None
    assert signature_problem(SECRET, body, f"sha256={expected.upper()}") is None


def test_the_signature_holds_for_the_escaped_body_as_sent_not_for_its_parsed_copy():
    delivery = load("webhook_page_feed_comment")["delivery"]
    sent = json.dumps(delivery, ensure_ascii=True).encode()  # "s\u00f8ndag", as Meta sends
    assert b"\\u00f8" in sent
    header = sign(SECRET, sent)
    assert signature_problem(SECRET, sent, header) is None
    again = json.dumps(json.loads(sent), ensure_ascii=False).encode()
    assert signature_problem(SECRET, again, header) is not None


@pytest.mark.parametrize(
    "header",
    [None, "", "sha1=" + "0" * 40, "sha256=" + "0" * 63, "sha256=" + "g" * 64, "0" * 64],
)
def test_a_missing_or_malformed_signature_is_refused_without_a_warehouse(client, header):
    body = json.dumps(load("webhook_instagram_mentions")["delivery"]).encode()
    headers = {} if header is None else {"X-Hub-Signature-256": header}
    assert client.post(CALLBACK_PATH, content=body, headers=headers).status_code == 403


# --- the documented deliveries --------------------------------------------------------------


@pytest.mark.parametrize("name", DELIVERIES)
def test_each_change_of_a_documented_delivery_is_one_record(name):
    delivery = load(name)["delivery"]
    found = read_delivery(delivery)
    assert not [f for f in found if isinstance(f, Refused)], found
    changes = [
        (entry, change)
        for entry in delivery["entry"]
        for change in entry.get("changes") or [{"field": entry["field"], "value": entry["value"]}]
    ]
    assert len(found) == len(changes)
    for record, (entry, change) in zip(found, changes, strict=True):
        obj = delivery["object"]
        assert record.payload == {
            "object": obj,
            "entry_id": entry["id"],
            "time": entry["time"],
            "field": change["field"],
            "value": change["value"],
        }
        assert record.scope_key == f"{obj}:{entry['id']}"
        assert record.natural_key == change_key(obj, entry["id"], change["field"], change["value"])
        own = change["value"].get("created_time", entry["time"])
        assert record.event_at == datetime.fromtimestamp(own, UTC)


def test_a_retry_with_another_time_is_the_same_change():
    delivery = load("webhook_instagram_comments")["delivery"]
    retried = json.loads(json.dumps(delivery))
    retried["entry"][0]["time"] += 3600
    first, again = read_delivery(delivery), read_delivery(retried)
    assert [r.natural_key for r in first] == [r.natural_key for r in again]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"object": "user", "field": "photos", "value": {}}, "unknown object"),
        ({"object": "instagram", "field": "story_insights", "value": {}}, "unknown instagram"),
        ({"object": "instagram", "field": "comments", "value": {"text": "hi"}}, "comment id"),
        ({"object": "instagram", "field": "mentions", "value": {"comment_id": "1"}}, "media id"),
        ({"object": "page", "field": "feed", "value": {"item": "comment"}}, "verb"),
        (
            {"object": "page", "field": "feed", "value": {"item": "comment", "verb": "add"}},
            "comment id",
        ),
    ],
)
def test_a_change_outside_the_documented_shapes_is_refused_with_its_reason(change, reason):
    delivery = {
        "object": change["object"],
        "entry": [
            {
                "id": "17841400000000001",
                "time": 1765100000,
                "changes": [{"field": change["field"], "value": change["value"]}],
            }
        ],
    }
    (found,) = read_delivery(delivery)
    assert isinstance(found, Refused) and reason in found.reason


# --- the simulator answers and sends the documented shapes -----------------------------------


def test_the_simulator_answers_app_subscriptions_in_the_documented_shape():
    import requests

    from social_crm_dev.simulator.config import WorldConfig
    from social_crm_dev.simulator.server import SimulatorServer
    from social_crm_dev.simulator.webhooks import APP_ID, app_of
    from social_crm_dev.simulator.world import World
    from tests.contract.test_contracts import _shape_mismatches

    doc = load("webhook_app_subscriptions")
    with SimulatorServer(World(WorldConfig(seed=1, scale=0.01, days=2))) as sim:
        app = app_of(sim)
        app.subscribe("https://crm.example.com/webhooks/meta")
        url = f"{sim.url}/v27.0/{APP_ID}/subscriptions"
        answer = requests.get(url, params={"access_token": app.app_token}, timeout=10)
        refused = requests.get(url, params={"access_token": sim.fb_token}, timeout=10)
    assert answer.status_code == doc["status"]
    assert _shape_mismatches(doc["body"], answer.json()) == []
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 15


def test_the_simulator_sends_deliveries_every_documented_rule_accepts():
    from social_crm_dev.simulator.webhooks import build_deliveries

    changes = [
        ("page", e["id"], c["field"], c["value"], e["time"])
        for e in load("webhook_page_feed_comment")["delivery"]["entry"]
        for c in e["changes"]
    ] + [
        ("instagram", e["id"], c["field"], c["value"], e["time"])
        for name in ("webhook_instagram_comments", "webhook_instagram_mentions")
        for e in load(name)["delivery"]["entry"]
        for c in e["changes"]
    ]
    bodies, _ = build_deliveries(changes, seed=4, duplicate_rate=0.5, batch_max=3)
    found = [r for body in bodies for r in read_delivery(json.loads(body))]
    assert not [f for f in found if isinstance(f, Refused)]
    assert {r.natural_key for r in found} == {change_key(o, e, f, v) for o, e, f, v, _ in changes}
