"""Outside attack on erasure's X Post columns (issue 44, promise 2): erasing a person removes
or scrubs every Post that names them, and after erasure neither a Post's text nor its
`mentioned_handles` / `referenced_post_ids` columns keep their handle or a Post of theirs.

Generated over handles and the places a handle stands in another person's Post (any case,
`@` or the full-width `＠`, the end of a sentence, inside a URL or an e-mail address, longer
runs of handle characters after it), over Posts landed before migration 0049 filled the
columns (still unfilled), Posts edited after the first erasure (a new version) and replies
to a Post of theirs by id. Each example is a new migrated database of the real embedded
PostgreSQL; the Posts land through `LandingBatch` (landing fills the columns), the request
through the CRM drop folder, and `erase_requested` runs as the nightly runs it.

The invariant is erasure's own reading of a handle in a text (`load/x_posts.py`
`mentioned_handles`: the rule the index is built on and that the brand's replies are deleted
by): after erasure no raw Post's text, nor its column, holds their handle by it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.load import x_posts
from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.privacy import erasure
from tests.databases import crm_landed

pytestmark = pytest.mark.integration

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CUSTOMER = "C000001"
THEIR_ACCOUNT = "555000555"  # the erased person's X account id (linked by identity)
SOMEONE = "777000777"  # another person, never erased
FIRST_ID = 2_000_000_000_000_000_001

# an X handle: 1 to 15 of [A-Za-z0-9_] (quality/rules.py HANDLE_PATTERNS["x"]), in lower case
# as erasure keeps them; as often as not X's longest, 15 (where erasure's reading cuts a run)
HANDLE_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_"
HANDLE = st.one_of(
    st.text(alphabet=HANDLE_ALPHABET, min_size=1, max_size=14),
    st.text(alphabet=HANDLE_ALPHABET, min_size=15, max_size=15),
)
BEFORE = st.sampled_from(["", "hi ", "(", "mail bob", "https://x.com/", "RT ", "\n", "é"])
AT = st.sampled_from(["@", "\uff20"])
CASE = st.sampled_from([str.lower, str.upper, str.title])
AFTER = st.sampled_from(
    ["", ".", "!", "?", ",", " thanks", ".com", "/status/1", ":", "'s", "x", "_2", "9"]
)


@st.composite
def mentions(draw, handle: str) -> str:
    """A Post's text naming `handle` after an at sign, somewhere in a sentence."""
    return draw(BEFORE) + draw(AT) + draw(CASE)(handle) + draw(AFTER)


def _request_folder(root: Path, handle: str) -> Path:
    drop = root / "drop"
    drop.mkdir(exist_ok=True)
    (drop / "customers_2026-12-01.csv").write_text(
        "customer_id,email,marketing_opt_in,profiling_opt_out\n"
        f"{CUSTOMER},a@example.org,true,false\n"
    )
    (drop / "erasure_requests_2026-12-01.csv").write_text(
        f"customer_id,requested_at,identifiers\n{CUSTOMER},2026-12-01T12:00:00Z,@{handle}\n"
    )
    return drop


def _post(post_id: str, text: str, **extra: object) -> RawRecord:
    return RawRecord(
        post_id,
        {
            "id": post_id,
            "text": text,
            "author_id": SOMEONE,
            "created_at": "2026-12-01T10:00:00.000Z",
            **extra,
        },
        scope_key="fjordbrew",
        event_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
    )


def _land(conn: psycopg.Connection, records: list[RawRecord]) -> None:
    with LandingBatch(conn, "x", "tweets") as batch:
        for record in records:
            batch.add(record)
    conn.commit()


@contextmanager
def _warehouse(server, root: Path, handle: str) -> Iterator[tuple[psycopg.Connection, Path]]:
    drop = _request_folder(root, handle)
    with crm_landed(server, drop, links=((CUSTOMER, f"x:{THEIR_ACCOUNT}"),)) as conn:
        yield conn, drop


def _erase(conn: psycopg.Connection, drop: Path) -> None:
    erasure.erase_requested(conn, drop_dir=drop)
    conn.commit()


def _still_naming(conn: psycopg.Connection, handle: str) -> list[tuple[str, str, list[str]]]:
    """Every raw Post version whose text (by erasure's reading) or column holds `handle`."""
    rows = conn.execute(
        "select natural_key, payload ->> 'text', mentioned_handles from raw.x_tweets"
        " order by ingest_seq"
    ).fetchall()
    return [
        (key, text, column)
        for key, text, column in rows
        if handle in x_posts.mentioned_handles(text) or handle in (column or [])
    ]


@SETTINGS
@given(data=st.data(), handle=HANDLE)
def test_no_post_names_an_erased_handle_after_erasure(
    warehouse_url, tmp_path_factory, data, handle
):
    texts = data.draw(st.lists(mentions(handle), min_size=1, max_size=4), label="texts")
    root = tmp_path_factory.mktemp("erase")
    with _warehouse(warehouse_url, root, handle) as (conn, drop):
        _land(conn, [_post(str(FIRST_ID + n), t) for n, t in enumerate(texts)])
        _erase(conn, drop)
        assert _still_naming(conn, handle) == []


@SETTINGS
@given(data=st.data(), handle=HANDLE)
def test_a_post_landed_before_the_columns_existed_names_no_erased_handle_after_erasure(
    warehouse_url, tmp_path_factory, data, handle
):
    texts = data.draw(st.lists(mentions(handle), min_size=1, max_size=3), label="texts")
    root = tmp_path_factory.mktemp("erase")
    with _warehouse(warehouse_url, root, handle) as (conn, drop):
        _land(conn, [_post(str(FIRST_ID + n), t) for n, t in enumerate(texts)])
        # as a warehouse upgraded to 0049 whose back-fill has not reached these Posts yet
        conn.execute("update raw.x_tweets set mentioned_handles = null, referenced_post_ids = null")
        conn.commit()
        _erase(conn, drop)
        assert _still_naming(conn, handle) == []


@SETTINGS
@given(data=st.data(), handle=HANDLE)
def test_a_post_edited_after_an_erasure_names_no_erased_handle_after_the_next(
    warehouse_url, tmp_path_factory, data, handle
):
    first = data.draw(st.sampled_from(["nothing here", "hello"]), label="first version")
    edited = data.draw(mentions(handle), label="edited version")
    root = tmp_path_factory.mktemp("erase")
    with _warehouse(warehouse_url, root, handle) as (conn, drop):
        _land(conn, [_post(str(FIRST_ID), first)])
        _erase(conn, drop)
        _land(conn, [_post(str(FIRST_ID), edited)])  # the edit: a new version
        _erase(conn, drop)
        assert _still_naming(conn, handle) == []


# a Post of theirs that never landed (it named no tracked brand, so no search returned it),
# and another person's reply to it that did (it names the brand): X gives the reply's
# `in_reply_to_user_id` (their account) and `referenced_tweets` / `conversation_id` (their
# Post's id, whose author one look-up at X gives: GET /2/tweets/:id)
THEIR_POST = "1999999999999999999"


def _ids_left(conn: psycopg.Connection) -> list[tuple[str, str, list[str] | None]]:
    """Every raw Post version whose payload or column still holds THEIR_POST or their id."""
    rows = conn.execute(
        "select natural_key, payload::text, referenced_post_ids from raw.x_tweets"
        " order by ingest_seq"
    ).fetchall()
    return [
        (key, payload, column)
        for key, payload, column in rows
        if THEIR_POST in payload or THEIR_ACCOUNT in payload or THEIR_POST in (column or [])
    ]


@SETTINGS
@given(
    in_conversation=st.booleans(),
    text=st.sampled_from(["@fjordbrew so true", "@fjordbrew @{h} so true", "so true @fjordbrew"]),
    handle=HANDLE,
)
def test_a_reply_to_their_post_that_never_landed_keeps_no_id_of_theirs(
    warehouse_url, tmp_path_factory, in_conversation, text, handle
):
    root = tmp_path_factory.mktemp("erase")
    extra: dict[str, object] = {
        "in_reply_to_user_id": THEIR_ACCOUNT,
        "referenced_tweets": [{"type": "replied_to", "id": THEIR_POST}],
    }
    if in_conversation:
        extra["conversation_id"] = THEIR_POST
    with _warehouse(warehouse_url, root, handle) as (conn, drop):
        _land(conn, [_post(str(FIRST_ID), text.format(h=handle), **extra)])
        _erase(conn, drop)
        assert _ids_left(conn) == []


# another person's X profile whose description (`user.fields=description`, landed in
# raw.x_users) @mentions them: "married to @anna", "CEO @anna_co", "＠anna's brother"
@SETTINGS
@given(data=st.data(), handle=HANDLE)
def test_another_persons_x_description_names_no_erased_handle_after_erasure(
    warehouse_url, tmp_path_factory, data, handle
):
    description = data.draw(mentions(handle), label="description")
    root = tmp_path_factory.mktemp("erase")
    with _warehouse(warehouse_url, root, handle) as (conn, drop):
        with LandingBatch(conn, "x", "users") as batch:
            batch.add(
                RawRecord(
                    SOMEONE,
                    {"id": SOMEONE, "username": "someone_else", "description": description},
                )
            )
        conn.commit()
        _erase(conn, drop)
        left = conn.execute(
            "select payload ->> 'description' from raw.x_users where natural_key = %s",
            (SOMEONE,),
        ).fetchall()
        assert left, "another person's profile was deleted"
        assert [d for (d,) in left if handle in x_posts.mentioned_handles(d)] == []
