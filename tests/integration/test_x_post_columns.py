"""The columns landing fills for X Posts (load/x_posts.py, migration 0049) hold what the one
mention rule and the Post's references say, whoever computes them: over generated texts (Unicode
digits and letters, full-width at signs, e-mail addresses, URLs, names past X's 15 characters)
and payloads (replies, quotes, conversations, ids of other JSON types), a Post landed through
`LandingBatch` holds in `mentioned_handles` exactly what `x_posts.mentioned_handles` reads in
its text and what the SQL twin `meta.text_mentions` reads (the back-fill and erasure's rewrite
use it), and in `referenced_post_ids` what `meta.x_post_references` reads; the back-fill fills
a Post landed before the columns the same way; and the handles erasure blanks in a text are all
among its column's."""

from __future__ import annotations

import re

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.load import x_posts
from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.privacy import erasure
from social_crm.warehouse import x_posts_backfill
from tests.databases import migrated_connection

pytestmark = pytest.mark.integration

SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# names in both cases, with `_`, ASCII and Unicode digits (Arabic-Indic, full-width) and
# letters that fold to ASCII (Kelvin sign, dotted I, long s), some past 15 characters
NAME = st.text(alphabet="abAB_09\u0663\uff11\u212a\u0130\u017fé", min_size=1, max_size=20)
PIECE = st.one_of(
    NAME,
    st.sampled_from(
        [
            "@",
            "\uff20",
            "@@",
            " ",
            ".",
            "\n",
            "mia@example.com",
            "https://x.com/@anna/status/1",
            "http://a.b/c?u=@Bo_b",
            "RT @",
            "😀",
            "#",
        ]
    ),
)
TEXT = st.lists(PIECE, max_size=10).map("".join)
IDS = st.one_of(st.sampled_from(["1", "20", "t3"]), st.integers(0, 99), st.none())


@st.composite
def payloads(draw) -> dict:
    payload: dict = {"id": "p"}
    if draw(st.booleans()):
        payload["text"] = draw(TEXT)
    if draw(st.booleans()):
        payload["conversation_id"] = draw(IDS)
    if draw(st.booleans()):
        payload["referenced_tweets"] = draw(
            st.lists(
                st.one_of(
                    st.fixed_dictionaries(
                        {"type": st.sampled_from(["replied_to", "quoted"]), "id": IDS}
                    ),
                    st.just("not an object"),
                ),
                max_size=3,
            )
        )
    return payload


@pytest.fixture(scope="module")
def conn(warehouse_url):
    with migrated_connection(warehouse_url) as connection:
        yield connection


def _landed(conn: psycopg.Connection, payload: dict) -> tuple:
    conn.execute("truncate raw.x_tweets")
    with LandingBatch(conn, "x", "tweets") as batch:
        batch.add(RawRecord("p", payload))
    conn.autocommit = True
    return conn.execute(
        "select mentioned_handles, referenced_post_ids, meta.text_mentions(payload ->> 'text'),"
        " meta.x_post_references(payload) from raw.x_tweets"
    ).fetchone()


@SETTINGS
@given(payload=payloads())
def test_a_landed_posts_handles_are_the_mention_rules_and_sqls(conn, payload):
    column, _, in_sql, _ = _landed(conn, payload)
    assert column == x_posts.mentioned_handles(payload.get("text"))
    assert set(column) == set(in_sql or [])


@SETTINGS
@given(payload=payloads())
def test_a_landed_posts_references_are_what_sql_reads_of_its_payload(conn, payload):
    _, column, _, in_sql = _landed(conn, payload)
    assert column == x_posts.referenced_post_ids(payload)
    assert set(column) == set(in_sql or [])


@SETTINGS
@given(text=TEXT, handle=NAME.filter(lambda n: n.isascii()).map(str.lower))
def test_every_handle_erasure_blanks_in_a_text_is_in_its_column(conn, text, handle):
    if not re.fullmatch(f"[{x_posts.HANDLE_CHARS}]+", handle):
        return
    with conn.transaction():
        conn.execute(
            "create temp table erased_handles on commit drop as select %s::text as handle",
            (handle,),
        )
        (blanked,) = conn.execute(f"select %s ~* {erasure._HANDLES}", (text,)).fetchone()
    assert blanked == (handle in x_posts.mentioned_handles(text))


def test_the_backfill_reads_posts_landed_before_the_columns(conn):
    conn.execute("truncate raw.x_tweets")
    conn.execute(
        "insert into meta.load_batches (batch_id, source, entity, status) values"
        " ('00000000-0000-0000-0000-00000000000b', 'x', 'tweets', 'committed')"
        " on conflict do nothing"
    )
    texts = [f"hi ＠Anna{n} and @bob_the_builder_of_things" for n in range(7)]
    for n, text in enumerate(texts):
        conn.execute(
            "insert into raw.x_tweets (natural_key, payload, payload_hash, extracted_at,"
            " batch_id) values (%s, jsonb_build_object('text', %s::text,"
            " 'conversation_id', %s::text), %s, now(), '00000000-0000-0000-0000-00000000000b')",
            (f"t{n}", text, f"c{n}", str(n)),
        )
    filled = x_posts_backfill.backfill(conn, batch=3)
    assert filled == len(texts)
    rows = conn.execute(
        "select payload ->> 'text', mentioned_handles, referenced_post_ids from raw.x_tweets"
        " order by ingest_seq"
    ).fetchall()
    assert [(sorted(m), r) for _, m, r in rows] == [
        (x_posts.mentioned_handles(t), [f"c{n}"]) for n, t in enumerate(texts)
    ]


def test_a_post_not_read_yet_makes_erasure_read_every_posts_text(conn):
    conn.execute("truncate raw.x_tweets")
    conn.execute(
        "insert into meta.load_batches (batch_id, source, entity, status) values"
        " ('00000000-0000-0000-0000-00000000000c', 'x', 'tweets', 'committed')"
        " on conflict do nothing"
    )
    conn.execute(
        "insert into raw.x_tweets (natural_key, payload, payload_hash, extracted_at, batch_id)"
        " values ('t0', '{\"text\": \"hi @anna\"}', 'h', now(),"
        " '00000000-0000-0000-0000-00000000000c')"
    )
    with conn.transaction():
        read = erasure._x_posts_read(conn)
    scope = erasure._Scope("new", x_posts_read=read)
    assert scope.rows("raw.x_tweets", "mentions")("true") == "true"
