"""Erasure on Instagram's raw rows, landed by hand as the API and the webhook receiver give them
(real PostgreSQL, no dbt build: what erasure reads of raw alone). The erased person is known
to the CRM by username; privacy errs on their side: every Instagram-scoped id seen with that
username is theirs, and every username seen with those ids.

The rows, one property each:
- their comments (by username, and by `from.id` alone under another username),
- a comment by another account that once used their username (erased too, and counted),
- their webhook `comments` changes, and the `mentions` change about their media,
- the brand's reply under their comment,
- others' comments and captions @mentioning them (kept, their username blanked; `@mia.wood`
  does not name `mia`),
- a comment @mentioning the brand on their media, read with `media{id, permalink, username}`
  (kept, without their username and the link to their post, in raw and merged),
- another person's comment, a brand's own media: untouched.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime

import psycopg
import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.privacy import erasure
from social_crm.warehouse import migrations
from tests.databases import identity_links, new_database

pytestmark = pytest.mark.integration

ERASED = "C000001"
OTHER = "C000002"
AT = datetime(2026, 12, 1, 10, tzinfo=UTC)
MEDIA = "17900000000000001"  # our media
THEIR_MEDIA = "17900000000000009"  # their media mentioning us in its caption

COMMENTS = {
    # theirs, by username (and IGSID 501)
    "c1": {"username": "mia", "from": {"id": "501", "username": "mia"}, "text": "love it"},
    # theirs under a new username (renamed): the IGSID tells
    "c2": {"username": "mia.renamed", "from": {"id": "501", "username": "mia.renamed"}},
    # another account (IGSID 777) that took the username `mia` later: erased too
    "c3": {"username": "mia", "from": {"id": "777", "username": "mia"}, "text": "hi"},
    # the brand's reply under their comment
    "c4": {
        "username": "fjordbrew",
        "from": {"id": "17841400000000001", "username": "fjordbrew"},
        "parent_id": "c1",
        "text": "@mia thanks!",
    },
    # someone else's comments naming them, and naming a longer username that starts with theirs
    "c5": {"username": "bo", "from": {"id": "600", "username": "bo"}, "text": "@mia look @MIA!"},
    "c6": {"username": "bo", "from": {"id": "600", "username": "bo"}, "text": "@mia.wood hey"},
    # someone else's, naming nobody
    "c7": {"username": "cy", "from": {"id": "601", "username": "cy"}, "text": "nice"},
    # someone else's naming them without `@` (as the API gives a caption's mention), and names
    # that only contain theirs
    "c12": {"username": "bo", "from": {"id": "600", "username": "bo"}, "text": "Mia, bo.mia mia_x"},
}
MEDIA_ROWS = {
    THEIR_MEDIA: ("mentions:17841400000000001", {"username": "mia", "caption": "@fjordbrew <3"}),
    "m2": ("tags:17841400000000001", {"username": "cy", "caption": "with @mia at @fjordbrew"}),
    # a caption @mentioning them, as the API gives it to anyone but its owner: no `@`
    "m3": ("tags:17841400000000001", {"username": "cy", "caption": "with mia at fjordbrew"}),
    MEDIA: ("own:17841400000000001", {"username": "fjordbrew", "caption": "new roast"}),
}
# someone's comment @mentioning the brand on their media, as `mentioned_comment` gives it
ON_THEIR_MEDIA = "18077700000000001"
MENTIONED_COMMENT = {
    "id": ON_THEIR_MEDIA,
    "text": "@fjordbrew look at this!",
    "media": {
        "id": THEIR_MEDIA,
        "permalink": "https://www.instagram.com/p/MiasPost123/",
        "username": "mia",
    },
}
WEBHOOKS = [
    ("comments", {"id": "c1", "text": "love it", "from": {"id": "501", "username": "mia"}}),
    ("comments", {"id": "c8", "text": "again", "from": {"id": "501", "username": "mia"}}),
    ("mentions", {"media_id": THEIR_MEDIA}),
    ("comments", {"id": "c5", "text": "@mia look", "from": {"id": "600", "username": "bo"}}),
    ("comments", {"id": "c9", "text": "ok", "from": {"id": "601", "username": "cy"}}),
    # the brand's reply under their comment, and another person's
    (
        "comments",
        {
            "id": "c4",
            "parent_id": "c1",
            "text": "thanks!",
            "from": {"id": "17841400000000001", "username": "fjordbrew"},
        },
    ),
    (
        "comments",
        {"id": "c10", "parent_id": "c1", "text": "agreed", "from": {"id": "601", "username": "cy"}},
    ),
]


def _webhook_record(field: str, value: dict) -> RawRecord:
    payload = {
        "object": "instagram",
        "entry_id": "17841400000000001",
        "time": int(AT.timestamp()),
        "field": field,
        "value": value,
    }
    canonical = json.dumps(
        {k: payload[k] for k in ("object", "entry_id", "field", "value")},
        sort_keys=True,
        separators=(",", ":"),
    )
    key = hashlib.sha256(canonical.encode()).hexdigest()
    return RawRecord(key, payload, scope_key="instagram:17841400000000001", event_at=AT)


@pytest.fixture(scope="module")
def erased(warehouse_url, tmp_path_factory):
    with new_database(warehouse_url) as url:
        drop = tmp_path_factory.mktemp("drop")
        (drop / "customers_2026-12-01.csv").write_text(
            "customer_id,email,marketing_opt_in,profiling_opt_out\n"
            f"{ERASED},mia@example.org,true,false\n{OTHER},bo@example.org,true,false\n"
        )
        (drop / "customer_social_accounts_2026-12-01.csv").write_text(
            "customer_id,platform,account_id,handle,source,linked_at\n"
            f"{ERASED},instagram,,@Mia,social_login,2026-11-01T10:00:00Z\n"
            f"{ERASED},x,,mia_x,social_login,2026-11-01T10:00:00Z\n"
            f"{OTHER},instagram,,bo,social_login,2026-11-01T10:00:00Z\n"
        )
        (drop / "erasure_requests_2026-12-01.csv").write_text(
            f"customer_id,requested_at\n{ERASED},2026-12-01T12:00:00Z\n"
        )
        connect = lambda: psycopg.connect(url.libpq())  # noqa: E731
        with connect() as conn:
            migrations.apply(conn)
        land_drop_folder(connect, drop)
        with connect() as conn:
            with LandingBatch(conn, "instagram", "comments") as batch:
                for key, payload in COMMENTS.items():
                    batch.add(RawRecord(key, {"id": key, **payload}, MEDIA, AT))
                batch.add(
                    RawRecord(ON_THEIR_MEDIA, MENTIONED_COMMENT, "mentions:17841400000000001", AT)
                )
            with LandingBatch(conn, "instagram", "media") as batch:
                for key, (scope, payload) in MEDIA_ROWS.items():
                    batch.add(RawRecord(key, {"id": key, **payload}, scope, AT))
            with LandingBatch(conn, "webhook", "events") as batch:
                for field, value in WEBHOOKS:
                    batch.add(_webhook_record(field, value))
            identity_links(conn)
            # the incremental models that keep a message's text, as the nightly left them
            for table in ("int_engagements_unified", "int_messages_answered"):
                conn.execute(
                    f"create table intermediate.{table} (message_id text, profile_id text,"
                    " message_text text, merged_at timestamptz default now())"
                )
                conn.execute(
                    f"insert into intermediate.{table} (message_id, profile_id, message_text)"  # noqa: S608
                    " values ('c5', 'bo', '@mia look'), ('t1', '42', 'hi @Mia_X!')"
                )
            # the comments' incremental model, as the nightly left it (the columns erasure reads)
            conn.execute("create schema if not exists staging")
            conn.execute(
                "create table staging.stg_instagram__comments (comment_id text, media_id text,"
                " parent_comment_id text, author_username text, profile_id text,"
                " ig_scoped_id text, comment_text text, media_permalink text,"
                " media_username text, merged_at timestamptz default now())"
            )
            conn.execute(
                "insert into staging.stg_instagram__comments (comment_id, media_id,"
                " comment_text, media_permalink, media_username) values (%s, %s, %s, %s, %s)",
                (
                    ON_THEIR_MEDIA,
                    THEIR_MEDIA,
                    MENTIONED_COMMENT["text"],
                    MENTIONED_COMMENT["media"]["permalink"],
                    "mia",
                ),
            )
            conn.commit()
            caplog = logging.getLogger("social_crm.privacy.erasure")
            lines: list[str] = []
            handler = logging.Handler()
            handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
            caplog.addHandler(handler)
            try:
                deleted = erasure.erase_requested(conn, drop_dir=drop)
            finally:
                caplog.removeHandler(handler)
            comments = {
                k: p
                for k, p in conn.execute("select natural_key, payload from raw.instagram_comments")
            }
            media = {
                k: p
                for k, p in conn.execute("select natural_key, payload from raw.instagram_media")
            }
            events = [p for (p,) in conn.execute("select payload from raw.webhook_events")]
            texts = {
                (table, key): text
                for table in ("int_engagements_unified", "int_messages_answered")
                for key, text in conn.execute(
                    f"select message_id, message_text from intermediate.{table}"  # noqa: S608
                )
            }
            merged = conn.execute(
                "select comment_text, media_permalink, media_username"
                " from staging.stg_instagram__comments where comment_id = %s",
                (ON_THEIR_MEDIA,),
            ).fetchall()
        yield comments, media, events, lines, deleted, texts, merged


def test_their_comments_are_erased_by_username_and_by_their_instagram_scoped_id(erased):
    comments, *_ = erased
    assert {"c1", "c2"}.isdisjoint(comments)


def test_a_comment_by_another_account_that_used_their_username_is_erased_too(erased):
    comments, *_ = erased
    assert "c3" not in comments


def test_the_log_counts_a_username_seen_with_several_accounts_without_naming_it(erased):
    *_, lines, _, _, _ = erased
    (line,) = [line for line in lines if "seen with several accounts" in line]
    assert "1 username(s)" in line
    assert "mia" not in line


def test_the_brands_reply_under_their_comment_is_erased(erased):
    comments, *_ = erased
    assert "c4" not in comments


def test_others_comments_naming_them_are_kept_with_their_username_blanked(erased):
    comments, *_ = erased
    assert comments["c5"]["text"] == "@[erased] look @[erased]!"


def test_a_longer_username_starting_with_theirs_is_not_blanked(erased):
    comments, *_ = erased
    assert comments["c6"]["text"] == "@mia.wood hey"


def test_a_caption_naming_them_is_kept_with_their_username_blanked(erased):
    _, media, *_ = erased
    assert media["m2"]["caption"] == "with @[erased] at @fjordbrew"


def test_a_caption_naming_them_without_the_at_sign_is_kept_with_their_username_blanked(erased):
    _, media, *_ = erased
    assert media["m3"]["caption"] == "with @[erased] at fjordbrew"


def test_their_username_as_a_word_is_blanked_and_names_containing_it_are_not(erased):
    comments, *_ = erased
    assert comments["c12"]["text"] == "@[erased], bo.mia mia_x"


def test_their_media_is_erased_and_the_brands_own_is_kept(erased):
    _, media, *_ = erased
    assert THEIR_MEDIA not in media
    assert MEDIA in media


def test_their_webhook_changes_and_the_mention_of_their_media_are_erased(erased):
    _, _, events, *_ = erased
    values = [e["value"] for e in events]
    assert not any(v.get("id") in ("c1", "c8") or v.get("media_id") == THEIR_MEDIA for v in values)


def test_the_webhook_change_of_the_brands_reply_under_their_comment_is_erased(erased):
    _, _, events, *_ = erased
    assert not any(e["value"].get("id") == "c4" for e in events)


def test_the_webhook_change_of_another_persons_reply_under_their_comment_is_kept(erased):
    _, _, events, *_ = erased
    assert any(e["value"].get("id") == "c10" for e in events)


def test_a_webhook_change_naming_them_is_kept_with_their_username_blanked(erased):
    _, _, events, *_ = erased
    (c5,) = [e["value"] for e in events if e["value"].get("id") == "c5"]
    assert c5["text"] == "@[erased] look"


def test_nothing_of_anyone_else_is_erased(erased):
    comments, media, events, *_ = erased
    assert {"c5", "c6", "c7"} <= set(comments)
    assert "m2" in media
    assert any(e["value"].get("id") == "c9" for e in events)


@pytest.mark.parametrize("table", ["int_engagements_unified", "int_messages_answered"])
def test_a_kept_message_text_naming_them_loses_their_username_and_handle(erased, table):
    *_, texts, _ = erased
    assert texts[(table, "c5")] == "@[erased] look"
    assert texts[(table, "t1")] == "hi @[erased]!"


def test_a_comment_on_their_media_is_kept_without_their_username_or_post(erased):
    comments, *_ = erased
    kept = comments[ON_THEIR_MEDIA]
    assert kept["text"] == MENTIONED_COMMENT["text"]
    assert "mia" not in json.dumps(kept).lower()


def test_a_merged_comment_on_their_media_is_kept_without_their_username_or_post(erased):
    *_, merged = erased
    assert merged == [(MENTIONED_COMMENT["text"], None, None)]
