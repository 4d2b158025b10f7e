"""What erasure finds through the indexes of what it searches (migrations 0046, 0048 and 0049,
erasure.py NARROWED) is what reading every row finds: over generated X Posts (handles in any
case, Unicode letters and look-alikes next to them, `@`, `＠` and periods in odd places, names
cut at X's 15 characters, replies, quotes, conversations, `entities` whose offsets say
something else, tombstones), each of erasure's searches finds the same rows with the index as
by its condition on every row, and a text's @mentions hold exactly the handles erasure's
reading of another's Post blanks."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.load import x_posts
from social_crm.privacy import erasure
from tests.databases import migrated_connection

pytestmark = pytest.mark.integration

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# the pieces texts are made of: handle characters in both cases, what ends or continues a
# name (`.`, `@`, `-`), and Unicode that folds or looks like ASCII (Kelvin sign, dotted I,
# long s, full-width `@`, accented letters, an emoji)
NAME = st.text(alphabet="abcMIAkKsSi_019", min_size=1, max_size=18)
GLUE = st.sampled_from(
    [" ", "@", ".", "..", "-", "\n", "\u212a", "\u0130", "\u017f", "\uff20", "é", "ß", "😀", ""]
)
TEXT = st.lists(st.tuples(GLUE, NAME), max_size=6).map(
    lambda parts: "".join(glue + name for glue, name in parts)
)
IDS = st.sampled_from(["1", "2", "3", "42"])


@st.composite
def tweets(draw) -> list[dict]:
    """Posts, each maybe a reply (to an account, a Post), with `entities` at random offsets."""
    found = []
    for n in range(draw(st.integers(1, 8))):
        text = draw(TEXT)
        payload: dict = {"id": f"t{n}", "author_id": draw(IDS), "text": text}
        if draw(st.booleans()):
            payload["in_reply_to_user_id"] = draw(IDS)
        if draw(st.booleans()):
            kind = draw(st.sampled_from(["replied_to", "quoted", "retweeted"]))
            payload["referenced_tweets"] = [{"type": kind, "id": f"t{draw(st.integers(0, 8))}"}]
        if draw(st.booleans()):
            payload["conversation_id"] = f"t{draw(st.integers(0, 8))}"
        if draw(st.booleans()):
            start = draw(st.integers(-3, len(text) + 3))
            payload["entities"] = {
                "mentions": [{"start": start, "end": start - 1, "username": draw(NAME)}]
            }
        found.append({"payload": payload, "deleted": draw(st.booleans())})
    return found


# the handles erased: names the texts hold (cut or not) and others; lower case, as erasure's
HANDLES = st.lists(NAME.map(str.lower), max_size=5)


@pytest.fixture(scope="module")
def conn(warehouse_url):
    with migrated_connection(warehouse_url) as connection:
        yield connection


def _world(conn: psycopg.Connection, posts: list[dict], handles: list[str]) -> None:
    """The Posts landed and erasure's sets as a whole reading has them (`new_`): profiles 1
    and 42 erased, with their messages; `2` a tracked brand's account."""
    conn.execute("truncate raw.x_tweets")
    batch = uuid.uuid4()
    conn.execute(
        "insert into meta.load_batches (batch_id, source, entity, status)"
        " values (%s, 'x', 'tweets', 'committed')",
        (batch,),
    )
    for n, post in enumerate(posts):
        # with the columns landing fills (load/x_posts.py)
        conn.execute(
            "insert into raw.x_tweets (natural_key, payload, payload_hash, is_deleted,"
            " extracted_at, batch_id, mentioned_handles, referenced_post_ids)"
            " values (%s, %s, %s, %s, now(), %s, %s, %s)",
            (
                post["payload"]["id"],
                json.dumps(post["payload"]),
                str(n),
                post["deleted"],
                batch,
                *x_posts.derived(post["payload"]),
            ),
        )
    conn.execute("analyze raw.x_tweets")
    for kind, values in (
        ("profiles", ["1", "42"]),
        ("messages", [p["payload"]["id"] for p in posts if p["payload"]["author_id"] == "1"]),
        ("handles", handles),
    ):
        column = {"profiles": "profile_id", "messages": "message_id", "handles": "handle"}[kind]
        conn.execute(f"drop table if exists new_{kind}")
        conn.execute(
            f"create temp table new_{kind} as select unnest(%s::text[]) as {column}", (values,)
        )
    conn.execute("drop table if exists brand_accounts")
    conn.execute("create temp table brand_accounts as select '2'::text as profile_id")


def _found(conn: psycopg.Connection, where: str, indexed: bool) -> set[str]:
    """The keys of the rows `where` holds for, read with the indexes only or by a scan."""
    conn.execute(f"set enable_seqscan = {'off' if indexed else 'on'}")
    conn.execute(f"set enable_indexscan = {'on' if indexed else 'off'}")
    conn.execute(f"set enable_bitmapscan = {'on' if indexed else 'off'}")
    query = f"select natural_key from raw.x_tweets where {where}"  # noqa: S608
    try:
        plan = "\n".join(line for (line,) in conn.execute(f"explain {query}"))
        assert ("Seq Scan on x_tweets" in plan) != indexed, plan
        return {key for (key,) in conn.execute(query)}
    finally:
        conn.execute("reset enable_seqscan; reset enable_indexscan; reset enable_bitmapscan")


# each search of X Posts in a whole reading: the condition erasure tests on every row
SEARCHES = {
    "replies": erasure.REPLIES_TO_THEM["raw.x_tweets"],
    "authors": "payload ->> 'author_id' in (select profile_id from erased_profiles)",
    "reply to": "payload ->> 'in_reply_to_user_id' in (select profile_id from erased_profiles)",
    "mentions": f"payload ->> 'text' ~* {erasure._HANDLES}",
    "their posts": erasure.POST_IDS_OF_THEIRS["raw.x_tweets"][0],
}


@pytest.mark.parametrize("search", sorted(SEARCHES))
@SETTINGS
@given(posts=tweets(), handles=HANDLES)
def test_the_index_finds_the_rows_reading_every_row_finds(conn, search, posts, handles):
    _world(conn, posts, handles)
    scope = erasure._Scope("new")  # NAME's handles are all of [a-z0-9_]
    condition = scope.on_sets(SEARCHES[search])
    narrowed = scope.rows("raw.x_tweets", search)(SEARCHES[search])
    assert narrowed != condition  # the search has an index
    assert _found(conn, narrowed, indexed=True) == _found(conn, condition, indexed=False)


@SETTINGS
@given(text=TEXT, handle=NAME.map(str.lower))
def test_a_texts_mentions_hold_the_handles_erasure_blanks_in_it(conn, text, handle):
    # erasure's own pattern (a 15-character handle needs no end: the reading cuts runs there)
    with conn.transaction():
        conn.execute(
            "create temp table erased_handles on commit drop as select %s::text as handle",
            (handle,),
        )
        blanked, mentioned = conn.execute(
            f"select %s ~* {erasure._HANDLES}, %s = any(meta.text_mentions(%s))",
            (text, handle, text),
        ).fetchone()
    assert mentioned == blanked


def test_a_handle_of_xs_longest_length_is_blanked_where_the_reading_cuts_a_run(conn):
    handle = "abcdefghijklmno"  # 15 characters
    with conn.transaction():
        conn.execute(
            "create temp table erased_handles on commit drop as select %s::text as handle",
            (handle,),
        )
        assert conn.execute(f"select %s ~* {erasure._HANDLES}", (f"@{handle}x",)).fetchone() == (
            True,
        )


def test_a_handle_of_other_characters_is_read_in_every_text(conn):
    _world(
        conn,
        [{"payload": {"id": "t0", "author_id": "3", "text": "hi @mia.wood"}, "deleted": False}],
        ["mia.wood"],
    )
    with conn.transaction():
        scope = erasure._with_handles_read(conn, erasure._Scope("new"))
    assert scope.rows("raw.x_tweets", "mentions")("true") == "true"


# Instagram usernames: letters, digits, `_` and periods, in lower case (erasure's rule)
USERNAME = st.text(alphabet="abmik_.01", min_size=1, max_size=12)
# texts of them, with and without `@`, next to other names, periods and Unicode
NAMES_TEXT = st.lists(
    st.tuples(GLUE, st.text(alphabet="abmiAKk_.01", max_size=12)), max_size=6
).map(lambda parts: "".join(glue + name for glue, name in parts))


@SETTINGS
@given(text=NAMES_TEXT, username=USERNAME)
def test_a_texts_names_hold_every_username_erasure_blanks_in_it(conn, text, username):
    with conn.transaction():
        conn.execute(
            "create temp table erased_usernames on commit drop as select %s::text as username",
            (username,),
        )
        blanked, named = conn.execute(
            f"select %s ~* {erasure._USERNAMES}, %s = any(meta.text_names(%s))",
            (text, username, text),
        ).fetchone()
    assert named or not blanked
