"""Erasure's promise: no trace of the person remains in raw. On a real warehouse, a person
whose X account is linked to a customer who asked to be erased: their own Post, a reply to it
and a quote of it by someone else, landed through `LandingBatch`; then `erase_requested`
(from an outside attacker's findings, tests/attack_engine on branch wip/attack-engine).

A Post id is theirs as surely as their account id: `GET /2/tweets/:id` with
`expansions=author_id` answers who wrote it (X API v2, Posts lookup). So erasure drops from
others' Posts `in_reply_to_user_id` (their account's id) and also their Post's id in
`referenced_tweets` (`replied_to`, `quoted`) and `conversation_id`. What is kept is asked of
every row of raw.x_tweets as text: neither their account id nor their Post's id is in it. A
search's watermark (`since_id`, in meta.watermarks) that stood at their Post is rewound to
the second before it (erasure.WATERMARK_BEFORE): properties below."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.privacy import erasure
from tests.databases import crm_landed, new_database

pytestmark = pytest.mark.integration

CUSTOMER = "C000001"
THEIR_ACCOUNT = "555000555"
THEIR_POST = "2000000000000000500"
SOMEONE = "777000777"
WHEN = "2026-12-01T10:00:00.000Z"
POSTS = {
    "their post": {"id": THEIR_POST, "author_id": THEIR_ACCOUNT, "text": "my own words"},
    "someone's reply to it": {
        "id": "2000000000000000501",
        "author_id": SOMEONE,
        "text": "@anna agreed",
        "in_reply_to_user_id": THEIR_ACCOUNT,
        "conversation_id": THEIR_POST,
        "referenced_tweets": [{"type": "replied_to", "id": THEIR_POST}],
    },
    "someone's quote of it": {
        "id": "2000000000000000502",
        "author_id": SOMEONE,
        "text": "so true https://t.co/abc123",
        "conversation_id": "2000000000000000502",
        "referenced_tweets": [{"type": "quoted", "id": THEIR_POST}],
    },
    "an unrelated post": {
        "id": "2000000000000000503",
        "author_id": SOMEONE,
        "text": "nothing about anyone",
        "conversation_id": "2000000000000000503",
    },
}


@pytest.fixture(scope="module")
def kept(warehouse_url, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Each Post's latest row in raw after the erasure, as text ("" when deleted)."""
    drop = tmp_path_factory.mktemp("drop")
    (drop / "customers_2026-12-01.csv").write_text(
        "customer_id,email,marketing_opt_in,profiling_opt_out\n"
        f"{CUSTOMER},anna@example.org,true,false\n"
    )
    (drop / "erasure_requests_2026-12-01.csv").write_text(
        f"customer_id,requested_at\n{CUSTOMER},2026-12-01T12:00:00Z\n"
    )
    # identity resolution (dbt, before erasure) linked their X account to the customer
    with crm_landed(warehouse_url, drop, ((CUSTOMER, f"x:{THEIR_ACCOUNT}"),)) as conn:
        with LandingBatch(conn, "x", "users") as users:
            users.add(RawRecord(THEIR_ACCOUNT, {"id": THEIR_ACCOUNT, "username": "anna"}))
        with LandingBatch(conn, "x", "tweets") as tweets:
            for payload in POSTS.values():
                tweets.add(
                    RawRecord(
                        payload["id"],
                        {**payload, "created_at": WHEN, "brand_handle": "kaffeklubben"},
                        scope_key="kaffeklubben",
                        event_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
                    )
                )
            # their Post was the newest the brand's mentions search saw: its watermark
            tweets.set_watermark("tweets:mentions:kaffeklubben", since_id=THEIR_POST)
        erasure.erase_requested(conn, drop_dir=drop)
        conn.commit()
        latest = dict(
            conn.execute(
                # with the Posts its column says it names by id (load/x_posts.py)
                "select distinct on (natural_key) natural_key, payload::text"
                " || ' referenced: ' || array_to_string(referenced_post_ids, ' ')"
                " from raw.x_tweets order by natural_key, ingest_seq desc"
            ).fetchall()
        )
        marks = conn.execute("select since_id::text from meta.watermarks").fetchall()
        kept = {name: latest.get(p["id"], "") for name, p in POSTS.items()}
        yield {**kept, "watermarks": " ".join(str(m) for (m,) in marks)}


def test_their_own_post_is_deleted(kept):
    assert kept["their post"] == ""


@pytest.mark.parametrize("name", ["someone's reply to it", "someone's quote of it"])
def test_another_persons_post_about_theirs_is_kept(kept, name):
    assert kept[name]


@pytest.mark.parametrize("name", ["someone's reply to it", "someone's quote of it"])
def test_another_persons_post_keeps_no_id_of_theirs(kept, name):
    found = [token for token in (THEIR_ACCOUNT, THEIR_POST) if token in kept[name]]
    assert not found, f"{name} still holds {found}: {kept[name]}"


def test_an_unrelated_post_is_unchanged(kept):
    assert '"text": "nothing about anyone"' in kept["an unrelated post"]


def test_no_watermark_keeps_the_id_of_their_post(kept):
    """meta.watermarks keeps each search's newest Post id (`since_id`): theirs, here."""
    assert THEIR_POST not in kept["watermarks"], kept["watermarks"]


# X Post ids (Snowflake: milliseconds since X's epoch, then 22 bits of worker and sequence),
# from the first second on
POST_IDS = st.integers(min_value=1000 << 22, max_value=2**63 - 1)
SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def conn(warehouse_url) -> Iterator[psycopg.Connection]:
    with new_database(warehouse_url) as db, psycopg.connect(db.libpq()) as connection:
        yield connection


def _rewound(conn: psycopg.Connection, since_id: str) -> str | None:
    found = conn.execute(
        f"select {erasure.WATERMARK_BEFORE} from (select %s::text as since_id) w",  # noqa: S608
        (since_id,),
    ).fetchone()
    assert found is not None
    return found[0]


@SETTINGS
@given(post_id=POST_IDS)
def test_a_rewound_watermark_is_below_their_post(conn, post_id):
    """X's since_id is exclusive: the next search still reads their Post's second."""
    rewound = _rewound(conn, str(post_id))
    assert rewound is not None and int(rewound) < post_id


@SETTINGS
@given(post_id=POST_IDS)
def test_a_rewound_watermark_is_within_a_second_of_their_post(conn, post_id):
    """What the next search reads again is at most one second of Posts."""
    rewound = _rewound(conn, str(post_id))
    assert rewound is not None and (post_id >> 22) - (int(rewound) >> 22) <= 1000


@SETTINGS
@given(post_id=POST_IDS)
def test_a_rewound_watermark_names_a_second_not_a_post(conn, post_id):
    """The last id of the second before: every bit below the milliseconds set, the last
    millisecond of a second; the same for every Post of that second."""
    rewound = _rewound(conn, str(post_id))
    assert rewound is not None
    assert int(rewound) & ((1 << 22) - 1) == (1 << 22) - 1
    assert (int(rewound) >> 22) % 1000 == 999
    assert rewound == _rewound(conn, str(((post_id >> 22) // 1000 * 1000) << 22))


@pytest.mark.parametrize("since_id", ["not-an-id", "12", "9223372036854775808", "1" * 20])
def test_a_watermark_not_of_xs_form_is_dropped(conn, since_id):
    assert _rewound(conn, since_id) is None
