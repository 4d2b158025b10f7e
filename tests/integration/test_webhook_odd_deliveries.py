"""Odd but valid deliveries Meta can send the webhook receiver, against a real `social-crm
webhooks serve` process landing into a real PostgreSQL database; each test is one promise of
docs/webhooks.md.

The promise: "a change that is not valid goes to raw_quarantine.records with its reason; the
others land". A single odd change of a signed delivery must not make the receiver answer 500
to the whole delivery on every retry: after Meta's last retry (36 h) every other change of
that delivery would be lost (mentions for good)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest
import requests

from social_crm.receive.changes import change_key, sign
from tests.databases import migrated_database
from tests.receiver_process import Receiver

pytestmark = pytest.mark.integration

SECRET = "app-secret-odd-deliveries-0123456789"
TOKEN = "verify-token-odd-deliveries"
IG_ACCOUNT = "17841400000000001"
PAGE = "102030405060708"


@pytest.fixture(scope="module")
def database(warehouse_url) -> Iterator:
    with migrated_database(warehouse_url) as db:
        yield db


@pytest.fixture(scope="module")
def receiver(database, tmp_path_factory) -> Iterator[Receiver]:
    log = tmp_path_factory.mktemp("receiver") / "receiver.log"
    running = Receiver(database, log, secret=SECRET, token=TOKEN).start()
    try:
        yield running
    finally:
        running.stop()


def _empty(database) -> None:
    with psycopg.connect(database.libpq()) as conn:
        conn.execute("truncate raw.webhook_events")
        conn.execute("delete from raw_quarantine.records where source = 'webhook'")


def _landed(database) -> tuple[list[str], list[str]]:
    with psycopg.connect(database.libpq()) as conn:
        keys = [r[0] for r in conn.execute("select natural_key from raw.webhook_events")]
        bad = [
            r[0]
            for r in conn.execute(
                "select reason from raw_quarantine.records where source = 'webhook'"
            )
        ]
    return sorted(keys), bad


def _post(url: str, body: bytes) -> requests.Response:
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(SECRET, body)}
    return requests.post(url, data=body, headers=headers, timeout=30)


def _ig_comment(n: int, text: str = "Love it") -> dict:
    return {
        "field": "comments",
        "value": {
            "id": f"1790{n:08d}",
            "from": {"id": f"2323{n:06d}", "username": f"person{n}"},
            "text": text,
            "media": {"id": "17900000000000001", "media_product_type": "FEED"},
        },
    }


def _ig_delivery(changes: list[dict], at: int = 1_765_000_000) -> bytes:
    entry = {"id": IG_ACCOUNT, "time": at, "changes": changes}
    return json.dumps({"object": "instagram", "entry": [entry]}).encode()


def _feed_change(n: int, created_time: int = 1_765_000_000) -> dict:
    return {
        "field": "feed",
        "value": {
            "item": "comment",
            "verb": "add",
            "post_id": f"{PAGE}_5000",
            "comment_id": f"5000_{n}",
            "from": {"id": f"9000{n}", "name": f"Person {n}"},
            "message": "hello",
            "created_time": created_time,
        },
    }


def _ig_key(change: dict) -> str:
    return change_key("instagram", IG_ACCOUNT, change["field"], change["value"])


def _feed_key(change: dict) -> str:
    return change_key("page", PAGE, change["field"], change["value"])


def _assert_good_lands_and_bad_is_quarantined(database, answers, good_keys) -> None:
    statuses = [a.status_code for a in answers]
    keys, reasons = _landed(database)
    assert (statuses, keys, len(reasons)) == ([200] * len(answers), sorted(good_keys), 1), (
        f"Meta's delivery and its retries were answered {statuses}; landed {len(keys)} of "
        f"{len(good_keys)} valid change(s); quarantined {len(reasons)} (expected 1)"
    )


def test_a_change_timed_in_milliseconds_is_quarantined_and_the_others_land(receiver, database):
    """A feed change whose `created_time` is in milliseconds (as Meta's messaging webhooks
    time theirs) is out of datetime's range: ValueError, not InvalidRecord, escapes
    read_delivery and the whole delivery is answered 500 on every retry."""
    _empty(database)
    good = [_feed_change(1), _feed_change(3)]
    bad = _feed_change(2, created_time=1_765_000_000_000)
    body = json.dumps(
        {
            "object": "page",
            "entry": [{"id": PAGE, "time": 1_765_000_000, "changes": [good[0], bad, good[1]]}],
        }
    ).encode()
    answers = [_post(receiver.url, body) for _ in range(3)]  # the delivery and two retries
    _assert_good_lands_and_bad_is_quarantined(database, answers, [_feed_key(c) for c in good])


def test_an_entry_time_out_of_range_is_quarantined_and_the_other_entries_land(receiver, database):
    """An entry `time` too large for the platform's time_t: OverflowError escapes, 500."""
    _empty(database)
    good = _ig_comment(1)
    body = json.dumps(
        {
            "object": "instagram",
            "entry": [
                {"id": IG_ACCOUNT, "time": 1_765_000_000, "changes": [good]},
                {"id": IG_ACCOUNT, "time": 10**20, "changes": [_ig_comment(2)]},
            ],
        }
    ).encode()
    answers = [_post(receiver.url, body) for _ in range(3)]
    _assert_good_lands_and_bad_is_quarantined(database, answers, [_ig_key(good)])


def test_a_comment_text_with_a_nul_character_is_quarantined_and_the_others_land(receiver, database):
    """A comment's text holding U+0000 (valid JSON, `\\u0000`, signed by Meta as received):
    PostgreSQL's jsonb refuses it, the batch fails, 500 on every retry, nothing lands."""
    _empty(database)
    good = [_ig_comment(1), _ig_comment(3)]
    body = _ig_delivery([good[0], _ig_comment(2, text="hi\u0000there"), good[1]])
    answers = [_post(receiver.url, body) for _ in range(3)]
    _assert_good_lands_and_bad_is_quarantined(database, answers, [_ig_key(c) for c in good])


def test_a_comment_text_with_a_lone_surrogate_is_quarantined_and_the_others_land(
    receiver, database
):
    """A comment's text cut in the middle of an emoji (`\\ud83d` alone: Meta escapes every
    non-ASCII character as \\uXXXX, so a cut pair arrives as a lone escape): it cannot be
    encoded to UTF-8 for the landing, 500 on every retry, nothing lands."""
    _empty(database)
    good = [_ig_comment(1), _ig_comment(3)]
    body = _ig_delivery([good[0], _ig_comment(2, text="CUT"), good[1]])
    body = body.replace(b'"CUT"', b'"cut \\ud83d"')
    assert body.count(b"\\ud83d") == 1
    answers = [_post(receiver.url, body) for _ in range(3)]
    _assert_good_lands_and_bad_is_quarantined(database, answers, [_ig_key(c) for c in good])


def test_a_number_beyond_float_range_is_quarantined_and_the_others_land(receiver, database):
    """`1e400` is valid JSON: Python reads it as inf (parse_constant only sees the literals
    NaN/Infinity), writes it back as `Infinity`, which jsonb refuses: 500 on every retry."""
    _empty(database)
    good = [_ig_comment(1), _ig_comment(3)]
    odd = _ig_comment(2)
    odd["value"]["like_count"] = "HUGE"
    body = _ig_delivery([good[0], odd, good[1]]).replace(b'"HUGE"', b"1e400")
    assert body.count(b"1e400") == 1
    answers = [_post(receiver.url, body) for _ in range(3)]
    _assert_good_lands_and_bad_is_quarantined(database, answers, [_ig_key(c) for c in good])


# --- deliveries as Meta documents them -----------------------------------------------------


def test_a_delivery_in_the_documented_array_shape_lands_its_changes(receiver, database):
    """Meta's Instagram Platform examples (Business Login for Instagram) show a notification
    as a JSON array of `{object, entry}`, with `field`/`value` in the entry itself
    (https://developers.facebook.com/docs/instagram-platform/webhooks/examples/). Quarantined
    whole, it would be answered 200 with no comment landed: Meta never sends it again."""
    _empty(database)
    change = _ig_comment(7)
    entry = {"id": IG_ACCOUNT, "time": 1_765_000_000, **change}
    body = json.dumps([{"object": "instagram", "entry": [entry]}]).encode()
    answer = _post(receiver.url, body)
    keys, reasons = _landed(database)
    assert (answer.status_code, keys, reasons) == (200, [_ig_key(change)], [])


def test_a_full_batch_of_a_thousand_changes_is_taken(receiver, database):
    """Meta batches up to 1,000 updates in a delivery and escapes every non-ASCII character
    (an emoji: 12 bytes, `\\ud83d\\ude0d`). A burst of 1,000 Page comments of 100 emoji each
    is 1.5 MB: refused 413 (over the receiver's default limit) on the first try and on every
    retry, all 1,000 would be lost to the webhook."""
    _empty(database)
    changes = []
    for n in range(1, 1001):
        change = _feed_change(n)
        change["value"]["message"] = "\U0001f60d" * 100
        changes.append(change)
    body = json.dumps(
        {"object": "page", "entry": [{"id": PAGE, "time": 1_765_000_000, "changes": changes}]}
    ).encode()  # json.dumps escapes as Meta does: ensure_ascii
    assert 1_048_576 < len(body) < 2_000_000
    answers = [_post(receiver.url, body).status_code for _ in range(2)]
    keys, _ = _landed(database)
    assert (answers, len(keys)) == ([200, 200], 1000)


# --- what the receiver's log holds ---------------------------------------------------------


def test_the_receivers_log_never_holds_a_deliverys_body(receiver, database):
    """docs/webhooks.md: logged with the reason, 'never the secret, the signature or the
    body'. A comment's text with U+0000, which the warehouse cannot store: neither the
    commenter's username nor the text of their comment may reach the receiver's log (where
    no erasure reaches them), as PostgreSQL's error context (quoting the row being copied)
    would put them there."""
    _empty(database)
    size = receiver.log.stat().st_size
    change = _ig_comment(42, text="call me on 555\u00000199")
    change["value"]["from"]["username"] = "mia.private.person"
    _post(receiver.url, _ig_delivery([change]))
    logged = receiver.log.read_bytes()[size:].decode("utf-8", "replace")
    assert "mia.private.person" not in logged and "call me on 555" not in logged, logged[-600:]


def test_a_comment_on_an_album_which_meta_sends_without_media_id_lands(receiver, database):
    """Meta: "Webhook notifications for Comments on albums don't include the album ID. Get
    the album ID by querying the Comment ID in the webhook and request its media field"
    (https://developers.facebook.com/docs/graph-api/webhooks/getting-started/webhooks-for-instagram/,
    Limitations). Quarantined, a comment on a carousel would never reach the live queue by
    webhook."""
    _empty(database)
    change = _ig_comment(11)
    del change["value"]["media"]["id"]  # an album comment: no album id
    answer = _post(receiver.url, _ig_delivery([change]))
    keys, reasons = _landed(database)
    assert (answer.status_code, keys, reasons) == (200, [_ig_key(change)], [])
