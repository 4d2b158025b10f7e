"""Erasure's promise: after an erasure no trace of the person remains, mentions of them in
other people's X Posts included (their handle blanked, the rest of the Post kept as its
author's), and nothing of anyone else is touched. Attacked on a real warehouse: a customer's
erasure request names their X handle (`@anna`, the request file's `identifiers`), other
people's Posts mentioning them land through `LandingBatch`, and `erase_requested` runs
(from an outside attacker's findings, tests/attack_engine on branch wip/attack-engine).

X itself reads both `@` and the full-width `＠` (U+FF20) as the at sign of a mention
(twitter-text, the library X publishes for parsing Post text: js/src/regexp/atSigns.js,
`atSigns = /[@＠]/`): `＠anna` in a Post is a mention of @anna, shown and notified as one.
So erasure's reading (`erasure.AT_SIGNS` in `erasure._HANDLES`, and `meta.text_mentions`
since migration 0048, that its index is built on) knows both, in Posts landed before the
request and after it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.privacy import erasure
from tests.databases import crm_landed

pytestmark = pytest.mark.integration

CUSTOMER = "C000001"
HANDLE = "anna"
# other people's Posts: (what the Post says, whether it mentions the erased person)
POSTS = {
    "full-width at sign": ("thanks \uff20anna for the tip", True),
    "full-width at sign at the start": ("\uff20anna you were right", True),
    "capitals": ("ask @ANNA about it", True),
    "at the start": ("@anna see this", True),
    "at the end": ("great point @anna", True),
    "prefix of another handle": ("ask @annabel instead", False),
    "e-mail-like text": ("write to anna at mail dot com", False),
}
LATER = {  # landed after the first erasure: the next run's reading since then
    "later full-width at sign": ("\uff20anna again", True),
    "later capitals": ("hi @Anna again", True),
}


def _land(conn: psycopg.Connection, posts: dict[str, tuple[str, bool]], first_id: int) -> None:
    with LandingBatch(conn, "x", "tweets") as batch:
        for n, (text, _) in enumerate(posts.values()):
            post_id = str(first_id + n)
            batch.add(
                RawRecord(
                    post_id,
                    {
                        "id": post_id,
                        "text": text,
                        "author_id": "777000777",  # someone else, never erased
                        "created_at": "2026-12-01T10:00:00.000Z",
                    },
                    scope_key="fjordbrew",
                    event_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
                )
            )


@pytest.fixture(scope="module")
def posts(warehouse_url, tmp_path_factory) -> Iterator[dict[str, tuple[str, list[str]]]]:
    """Every Post's text and the handles its column says it @mentions (load/x_posts.py) after
    the erasure (the later ones after a second run), by name."""
    drop = tmp_path_factory.mktemp("drop")
    (drop / "customers_2026-12-01.csv").write_text(
        f"customer_id,email,marketing_opt_in,profiling_opt_out\n{CUSTOMER},a@example.org,true,false\n"
    )
    (drop / "erasure_requests_2026-12-01.csv").write_text(
        f"customer_id,requested_at,identifiers\n{CUSTOMER},2026-12-01T12:00:00Z,@{HANDLE}\n"
    )
    # the identity links the nightly builds with dbt before erasure: none here
    with crm_landed(warehouse_url, drop) as conn:
        _land(conn, POSTS, 2_000_000_000_000_000_001)
        erasure.erase_requested(conn, drop_dir=drop)
        conn.commit()
        _land(conn, LATER, 2_000_000_000_000_000_101)
        erasure.erase_requested(conn, drop_dir=drop)
        conn.commit()
        landed = {
            key: (text, handles)
            for key, text, handles in conn.execute(
                "select distinct on (natural_key) natural_key, payload ->> 'text',"
                " mentioned_handles from raw.x_tweets order by natural_key, ingest_seq desc"
            ).fetchall()
        }
        ids = {
            **{name: str(2_000_000_000_000_000_001 + n) for n, name in enumerate(POSTS)},
            **{name: str(2_000_000_000_000_000_101 + n) for n, name in enumerate(LATER)},
        }
        yield {name: landed.get(post_id, ("", [])) for name, post_id in ids.items()}


@pytest.fixture(scope="module")
def texts(posts) -> dict[str, str]:
    return {name: text for name, (text, _) in posts.items()}


def _still_names_them(text: str) -> bool:
    import re

    return re.search(rf"[@\uff20]{HANDLE}(?![A-Za-z0-9_])", text, re.IGNORECASE) is not None


MENTIONS = sorted(name for name, (_, theirs) in {**POSTS, **LATER}.items() if theirs)
OTHERS = sorted(name for name, (_, theirs) in POSTS.items() if not theirs)


@pytest.mark.parametrize("name", MENTIONS)
def test_a_mention_of_the_erased_person_keeps_no_trace_of_their_handle(texts, name):
    assert not _still_names_them(texts[name]), texts[name]


@pytest.mark.parametrize("name", MENTIONS)
def test_a_mention_of_the_erased_person_leaves_their_handle_in_no_column(posts, name):
    _, handles = posts[name]
    assert HANDLE not in handles, handles


@pytest.mark.parametrize("name", MENTIONS)
def test_the_rest_of_a_post_mentioning_them_is_kept(texts, name):
    assert texts[name], "the other person's Post was deleted"


@pytest.mark.parametrize("name", OTHERS)
def test_a_post_that_does_not_mention_them_is_unchanged(texts, name):
    assert texts[name] == POSTS[name][0]
