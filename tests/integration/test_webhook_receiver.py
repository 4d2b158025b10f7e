"""The Meta webhook receiver as it runs: `social-crm webhooks serve` in processes of its own,
landing into a real PostgreSQL database. A signed delivery lands each change once; retries,
duplicates, reordering and two receivers at once change nothing; invalid changes go to
quarantine, once each; unsigned, wrongly signed, oversized and non-JSON deliveries and a wrong
verify token are refused, logged without the secret, and land nothing; a receiver killed at
any moment loses nothing once Meta's retries come."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.receive.app import CALLBACK_PATH
from social_crm.receive.changes import change_key, sign
from social_crm_dev.simulator.webhooks import RETRY_WAITS_S, Retry, build_deliveries, deliver
from tests.databases import migrated_database
from tests.receiver_process import Receiver, free_port

pytestmark = pytest.mark.integration

SECRET = "app-secret-0123456789abcdef"  # a test app secret: it must never reach a log
TOKEN = "verify-token-meatyhamhock"
MAX_BYTES = 64_000
BIN = Path(sys.executable).parent / "social-crm"
KEYS = {"secret": SECRET, "token": TOKEN, "max_bytes": MAX_BYTES}


@pytest.fixture(scope="module")
def database(warehouse_url) -> Iterator:
    with migrated_database(warehouse_url) as db:
        yield db


@contextmanager
def _receiver(database, tmp: Path, name: str) -> Iterator[Receiver]:
    running = Receiver(database, tmp / f"{name}.log", **KEYS).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def receivers(database, tmp_path_factory) -> Iterator[tuple[Receiver, Receiver]]:
    """Two receiver processes on one database, as two replicas behind a load balancer."""
    tmp = tmp_path_factory.mktemp("receivers")
    with _receiver(database, tmp, "a") as a, _receiver(database, tmp, "b") as b:
        yield a, b


def _empty(database) -> None:
    with psycopg.connect(database.libpq()) as conn:
        conn.execute("truncate raw.webhook_events")
        conn.execute("delete from raw_quarantine.records where source = 'webhook'")


def _landed(database) -> tuple[list[str], list[str]]:
    """(natural keys in raw.webhook_events, raw texts quarantined), sorted, with repeats."""
    with psycopg.connect(database.libpq()) as conn:
        keys = [r[0] for r in conn.execute("select natural_key from raw.webhook_events")]
        bad = [
            r[0]
            for r in conn.execute(
                "select raw_text from raw_quarantine.records where source = 'webhook'"
            )
        ]
    return sorted(keys), sorted(bad)


def _post(url: str, body: bytes, signature: str | None = "sign") -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["X-Hub-Signature-256"] = sign(SECRET, body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return requests.post(url, data=body, headers=headers, timeout=30)


def _comment(n: int, text: str = "Love it") -> dict:
    return {
        "field": "comments",
        "value": {
            "id": f"1790{n:08d}",
            "from": {"id": f"2323{n:06d}", "username": f"person{n}"},
            "text": text,
            "media": {"id": "17900000000000001", "media_product_type": "FEED"},
        },
    }


def _delivery(changes: list[dict], at: int = 1_765_000_000) -> bytes:
    entry = {"id": "17841400000000001", "time": at, "changes": changes}
    return json.dumps({"object": "instagram", "entry": [entry]}).encode()


def _key(change: dict) -> str:
    return change_key("instagram", "17841400000000001", change["field"], change["value"])


# --- a signed delivery -------------------------------------------------------------------


def test_a_signed_delivery_lands_each_change_once(receivers, database):
    _empty(database)
    a, _ = receivers
    changes = [_comment(1), _comment(2), _comment(3)]
    answer = _post(a.url, _delivery(changes))
    assert answer.status_code == 200
    assert _landed(database) == (sorted(_key(c) for c in changes), [])


def test_a_retry_with_another_time_lands_nothing_new(receivers, database):
    _empty(database)
    a, b = receivers
    assert _post(a.url, _delivery([_comment(1)], at=1_765_000_000)).status_code == 200
    assert _post(b.url, _delivery([_comment(1)], at=1_765_000_900)).status_code == 200
    assert _landed(database) == ([_key(_comment(1))], [])


def test_an_invalid_change_is_quarantined_and_the_others_land(receivers, database):
    _empty(database)
    a, _ = receivers
    broken = {"field": "comments", "value": {"text": "no id, no media"}}
    assert _post(a.url, _delivery([_comment(1), broken, _comment(2)])).status_code == 200
    keys, bad = _landed(database)
    assert keys == sorted([_key(_comment(1)), _key(_comment(2))])
    assert len(bad) == 1 and "no id, no media" in bad[0]


def test_a_change_holding_an_integer_past_pythons_limit_is_quarantined_alone(receivers, database):
    """Valid JSON with a 5,000-digit integer (Python reads at most 4,300 digits): the change
    holding it is quarantined, the delivery's other changes land, the answer is 200."""
    _empty(database)
    a, _ = receivers
    body = _delivery([_comment(1), _comment(2, "HUGE"), _comment(3)])
    body = body.replace(b'"text": "HUGE"', b'"text": "odd", "like_count": ' + b"7" * 5000)
    assert _post(a.url, body).status_code == 200
    keys, bad = _landed(database)
    assert keys == sorted([_key(_comment(1)), _key(_comment(3))])
    assert len(bad) == 1 and "7" * 5000 in bad[0]


# --- refused deliveries --------------------------------------------------------------------


def _refused(receiver: Receiver, database, body: bytes, signature: str | None) -> int:
    _empty(database)
    answer = _post(receiver.url, body, signature)
    assert _landed(database) == ([], [])
    return answer.status_code


@pytest.mark.parametrize(
    ("case", "signature"),
    [
        ("missing", None),
        ("empty", ""),
        ("sha1 prefix", "sha1=" + "0" * 40),
        ("wrong secret", sign("another-secret", _delivery([_comment(1)]))),
        ("truncated", sign(SECRET, _delivery([_comment(1)]))[:-2]),
        ("not hex", "sha256=" + "z" * 64),
    ],
)
def test_a_delivery_without_a_right_signature_is_refused_and_lands_nothing(
    receivers, database, case, signature
):
    a, _ = receivers
    assert _refused(a, database, _delivery([_comment(1)]), signature) in (401, 403)


def test_a_signed_body_of_another_delivery_is_refused(receivers, database):
    a, _ = receivers
    other = sign(SECRET, _delivery([_comment(2)]))
    assert _refused(a, database, _delivery([_comment(1)]), other) == 403


def test_a_body_over_the_limit_is_refused_before_landing(receivers, database):
    a, _ = receivers
    huge = _delivery([_comment(n, "x" * 1000) for n in range(80)])
    assert len(huge) > MAX_BYTES
    assert _refused(a, database, huge, "sign") == 413


def test_a_chunked_body_over_the_limit_is_refused_while_it_streams(receivers, database):
    a, _ = receivers
    _empty(database)
    huge = _delivery([_comment(n, "x" * 1000) for n in range(80)])
    chunks = iter([huge[i : i + 4096] for i in range(0, len(huge), 4096)])  # no Content-Length
    headers = {"X-Hub-Signature-256": sign(SECRET, huge)}
    try:
        status = requests.post(a.url, data=chunks, headers=headers, timeout=30).status_code
    except requests.ConnectionError:
        status = 413  # the server may close before the client finished sending
    assert status == 413
    assert _landed(database) == ([], [])


def test_a_signed_body_that_is_not_json_is_refused(receivers, database):
    a, _ = receivers
    assert _refused(a, database, b'{"object": "instagram", "entry": [', "sign") == 400


def test_refusals_are_logged_with_their_reason_and_never_the_secret(receivers, database):
    a, _ = receivers
    _refused(a, database, _delivery([_comment(7, "secret-looking text")]), "sha256=" + "0" * 64)
    time.sleep(0.2)
    log = a.log.read_text()
    assert "does not match the body" in log
    assert SECRET not in log and TOKEN not in log and "secret-looking text" not in log


# --- the handshake -------------------------------------------------------------------------


def test_the_handshake_answers_the_challenge_with_our_verify_token(receivers):
    a, _ = receivers
    params = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": TOKEN}
    answer = requests.get(a.url, params=params, timeout=10)
    assert (answer.status_code, answer.text) == (200, "1158201444")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "meatyhamhock"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": TOKEN},
        {"hub.mode": "subscribe", "hub.verify_token": TOKEN},
    ],
    ids=["wrong token", "no token", "wrong mode", "no challenge"],
)
def test_the_handshake_is_refused_otherwise(receivers, params):
    a, _ = receivers
    answer = requests.get(a.url, params=params, timeout=10)
    assert answer.status_code == 403 and "1" not in answer.text


def test_a_receiver_without_the_app_secret_refuses_to_start(database, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("META_")}
    env |= {"WAREHOUSE_URL": database.libpq(), "META_WEBHOOK_VERIFY_TOKEN": TOKEN}
    done = subprocess.run(
        [str(BIN), "webhooks", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "META_APP_SECRET" in done.stderr and TOKEN not in done.stderr + done.stdout


# --- generated sequences of deliveries -----------------------------------------------------

VALID = st.integers(min_value=1, max_value=40).map(_comment)
INVALID = st.sampled_from(
    [
        {"field": "comments", "value": {"text": "no ids"}},
        {"field": "live_comments", "value": {"id": "1"}},
        {"field": "mentions", "value": {"comment_id": "17"}},
        {"field": "comments", "value": "not an object"},
    ]
)


@st.composite
def deliveries(draw) -> tuple[list[list[dict]], set[str], set[str]]:
    """Deliveries of valid and invalid changes, each sent once or more (retries, duplicates,
    with other times), in any order; with the distinct valid keys and invalid changes."""
    changes = draw(st.lists(st.one_of(VALID, INVALID), min_size=1, max_size=12))
    groups = draw(st.lists(st.integers(0, 3), min_size=len(changes), max_size=len(changes)))
    batched: dict[int, list[dict]] = {}
    for change, group in zip(changes, groups, strict=True):
        batched.setdefault(group, []).append(change)
    sent = [batch for batch in batched.values() for _ in range(draw(st.integers(1, 3)))]
    order = draw(st.permutations(range(len(sent))))
    valid = {_key(c) for c in changes if _is_valid(c)}
    invalid = {json.dumps(c, sort_keys=True) for c in changes if not _is_valid(c)}
    return [sent[i] for i in order], valid, invalid


def _is_valid(change: dict) -> bool:
    return isinstance(change["value"], dict) and "media" in change["value"]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=deliveries())
def test_raw_holds_each_distinct_valid_change_once_whatever_the_deliveries(
    receivers, database, plan
):
    sent, valid, invalid = plan
    _empty(database)
    rng = random.Random(len(sent))
    with ThreadPoolExecutor(4) as pool:  # two receivers, deliveries at once
        answers = list(
            pool.map(
                lambda n: _post(
                    receivers[n % 2].url, _delivery(sent[n], at=1_765_000_000 + rng.randrange(99))
                ),
                range(len(sent)),
            )
        )
    assert {a.status_code for a in answers} == {200}
    keys, bad = _landed(database)
    assert keys == sorted(valid)
    assert len(bad) == len(set(bad)) == len(invalid)


def test_a_receiver_killed_at_any_moment_loses_nothing_once_meta_retries(database, tmp_path):
    """Deliveries stream in while the receiver is killed at random moments (before, during,
    after landing, before answering) and restarted; every delivery not answered 200 is sent
    again (as Meta does) until it is: raw then holds each change once."""
    _empty(database)
    rng = random.Random(7)
    pending = [_delivery([_comment(n), _comment(n + 100)]) for n in range(30)]
    expected = sorted(_key(_comment(m)) for n in range(30) for m in (n, n + 100))
    port = free_port()
    kills = stalled = 0
    while pending:
        receiver = Receiver(database, tmp_path / "killed.log", port, **KEYS).start()
        killer = ThreadPoolExecutor(1)
        # a loaded machine may answer nothing before the kill: each round that answered
        # nothing gives the next one twice the time, so the retries end
        alive = rng.uniform(0.05, 0.4) * 2**stalled
        killer.submit(lambda r=receiver, s=alive: (time.sleep(s), r.kill()))
        unanswered = []
        for body in pending:
            try:
                ok = _post(receiver.url, body).status_code == 200
            except requests.ConnectionError:
                ok = False
            if not ok:
                unanswered.append(body)
        killer.shutdown(wait=True)
        kills += 1
        stalled = stalled + 1 if len(unanswered) == len(pending) else 0
        pending = unanswered
    assert kills >= 2  # at least one kill fell among the deliveries
    assert _landed(database) == (expected, [])


# --- the simulator's sender ----------------------------------------------------------------


def _world_like_changes(n: int) -> list:
    """Changes as the simulated world gives them: (object, entry id, field, value, time)."""
    changes = []
    for i in range(n):
        c = _comment(i)
        changes.append(
            ("instagram", "17841400000000001", c["field"], c["value"], 1_765_000_000 + i)
        )
        feed = {
            "from": {"id": f"70000{i:010d}", "name": f"Kåre {i}"},
            "item": "comment",
            "verb": "add",
            "comment_id": f"555_{900 + i}",
            "post_id": "100000000000001_555",
            "parent_id": "100000000000001_555",
            "message": "Når åpner dere?",
            "created_time": 1_765_000_000 + i,
        }
        changes.append(("page", "100000000000001", "feed", feed, 1_765_000_000 + i))
    return changes


def test_the_sender_batches_and_repeats_changes_as_seeded(database):
    changes = _world_like_changes(20)
    bodies, doubled = build_deliveries(changes, seed=3, duplicate_rate=0.2, batch_max=3)
    again, _ = build_deliveries(changes, seed=3, duplicate_rate=0.2, batch_max=3)
    sent = [_changes_of(json.loads(b)) for b in bodies]
    assert bodies == again and doubled > 0
    assert sum(len(d) for d in sent) == len(changes) + doubled
    assert any(len(d) > 1 for d in sent)
    assert all(len({c["field"] for c in d}) == 1 for d in sent)  # one object a delivery
    assert all(b.isascii() for b in bodies)  # non-ASCII escaped, as Meta sends it


def _changes_of(delivery) -> list[dict]:
    """The {field, value} changes of a delivery, in either of Meta's shapes."""
    return [
        change
        for d in (delivery if isinstance(delivery, list) else [delivery])
        for e in d["entry"]
        for change in (e["changes"] if "changes" in e else [e])
    ]


def test_the_sender_retries_until_a_receiver_down_at_first_lands_every_change_once(
    database, tmp_path
):
    _empty(database)
    changes = _world_like_changes(15)
    bodies, doubled = build_deliveries(changes, seed=5, duplicate_rate=0.3, batch_max=4)
    port = free_port()
    receiver = Receiver(database, tmp_path / "late.log", port, **KEYS)
    # the receiver starts while the sender is already retrying (connection refused)
    starter = ThreadPoolExecutor(1).submit(lambda: (time.sleep(0.5), receiver.start()))
    try:
        report = deliver(
            receiver.url,
            bodies,
            SECRET,
            Retry(scale=0.002),  # a minute of Meta's schedule: 0.12 s
        )
        starter.result()
    finally:
        receiver.stop()
    expected = sorted(change_key(o, e, f, v) for o, e, f, v, _ in changes)
    assert report.delivered == len(bodies) and report.dropped == 0
    assert report.sent > len(bodies)  # some were sent again
    assert doubled > 0 and _landed(database) == (expected, [])


def test_the_sender_gives_up_after_metas_last_retry(database):
    bodies, _ = build_deliveries(_world_like_changes(1)[:1], seed=1)
    waits: list[float] = []
    report = deliver(
        f"http://127.0.0.1:{free_port()}{CALLBACK_PATH}",
        bodies,
        SECRET,
        Retry(scale=0.0),
        sleep=waits.append,
    )
    assert (report.delivered, report.dropped, report.sent) == (0, 1, len(RETRY_WAITS_S))
    assert waits == [0.0] * len(RETRY_WAITS_S)
    assert sum(RETRY_WAITS_S) / 3600 == pytest.approx(34.1, abs=0.1)  # "over 36 hours"


def test_make_airflows_receiver_starts_with_the_simulated_apps_secret(
    database, tmp_path, monkeypatch
):
    from social_crm_dev import local_webhooks
    from social_crm_dev.simulator.webhooks import DEFAULT_APP_SECRET

    monkeypatch.setenv("WAREHOUSE_URL", database.libpq())
    for name in ("META_APP_SECRET", "META_WEBHOOK_VERIFY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    _empty(database)
    with local_webhooks.receiver(tmp_path / "hooks.log", port=free_port()) as url:
        params = {
            "hub.mode": "subscribe",
            "hub.challenge": "42",
            "hub.verify_token": local_webhooks.LOCAL_VERIFY_TOKEN,
        }
        assert requests.get(url, params=params, timeout=10).text == "42"
        body = _delivery([_comment(1)])
        headers = {"X-Hub-Signature-256": sign(DEFAULT_APP_SECRET, body)}
        assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 200
    assert _landed(database) == ([_key(_comment(1))], [])
