"""Erasure requests: delete a customer's CRM rows and the social data of every profile linked
to them, from raw and from the incremental dbt tables merged from raw, in one transaction.

The erasure request itself is kept (it is how the marts keep excluding the person, and the
proof the request was honoured). Extraction may land the person's public social data again
from the APIs; the nightly run erases it again before any mart is built, and the marts exclude
erased customers in any case.

A pass reads whole only for the customers it erases for the first time: a new request, a
profile newly linked to an erased customer, or every customer when what erasure covers
changed (`coverage()`). An earlier pass has removed everything else of theirs, so for them a
pass reads only the raw batches landed and the rows merged since the previous pass could
see (`warehouse.visibility_horizon`): a night with no new request costs what landed since,
not the warehouse's size.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

import psycopg

from social_crm import catalog, settings, warehouse
from social_crm.extract import brands
from social_crm.load import x_posts
from social_crm.privacy import traces
from social_crm.query_results import scalar
from social_crm.warehouse import relation_oid, x_posts_backfill

log = logging.getLogger(__name__)

# the raw tables about people, and the incremental tables merged from them, with the columns
# naming each row's person: erasure deletes by them (catalog.py lists them)
SOCIAL_TABLES = {t.relation: t.profile_columns for t in catalog.RAW_TABLES if t.profile_columns}
# the CRM tables whose rows are a customer's (scope_key = customer_id)
CUSTOMER_SCOPED_CRM_TABLES = (
    "crm_orders",
    "crm_customer_social_accounts",
    "crm_identity_decisions",
)
# the tables keyed by message id alone, with that column
MESSAGE_KEYED_TABLES = {
    "scoring.message_sentiment": "message_id",
    "raw.crm_sentiment_overrides": "natural_key",
}
# the identity tables the nightly builds before erasure and not again after it: the erased
# people's rows are deleted here (what their rebuild would drop)
IDENTITY_TABLES = {
    "intermediate.int_social_profiles": "profile_id",
    "intermediate.int_identity_known_accounts": "split_part(profile_key, ':', 2)",
    "intermediate.int_identity_links": "split_part(profile_key, ':', 2)",
    "intermediate.int_excluded_profiles": "split_part(profile_key, ':', 2)",
    # the record linkage model's pairs and the records it compared (names, handles, emails):
    # the matching step scores only what changed, so these outlive a night
    "scoring.identity_match_pairs": "split_part(profile_key, ':', 2)",
    "scoring.identity_comparison_records": "split_part(unique_id, ':', 2)",
    # what linked a customer the CRM deleted, as last computed (identity/run.py)
    "scoring.identity_departed_links": "split_part(profile_key, ':', 2)",
}
# ... and the customers' side of the last three (a customer's record is keyed by customer_id)
IDENTITY_TABLES_BY_CUSTOMER = {
    "scoring.identity_match_pairs": "customer_id",
    "scoring.identity_comparison_records": "unique_id",
    "scoring.identity_departed_links": "customer_id",
}
# bookkeeping keyed by a person's account id
ACCOUNT_KEYED_TABLES = {"meta.x_follower_walks": ("account_id",)}
# what an X Post's payload says of its author, the account and the Post it replies to, its text
_X_AUTHOR = "payload ->> 'author_id'"
_X_REPLY_TO_USER = "payload ->> 'in_reply_to_user_id'"
_X_REPLIED_TO = (
    "jsonb_path_query_first(payload, '$.referenced_tweets[*] ? (@.type == \"replied_to\").id')"
    " #>> '{}'"
)
_X_TEXT = "payload ->> 'text'"
# the at signs X reads a mention after: `@` and the full-width `＠` (U+FF20; twitter-text,
# js/src/regexp/atSigns.js: `atSigns = /[@＠]/`), as a regular expression's bracket, and a
# handle's characters: the mention rule's (load/x_posts.py MENTION)
AT_SIGNS = f"[{x_posts.AT_SIGNS}]"
_HANDLE_CHARS = f"[{x_posts.HANDLE_CHARS}]"
# the brand's replies addressed to an erased person (they name or quote them): replies to
# their messages, and X replies to their account or naming their handle, written by a tracked
# brand's own account (`brand_accounts`); a reply by anyone else is that person's data
_X_REPLY = (
    "{author} in (select profile_id from brand_accounts) and ("  # noqa: S608 - constants
    "{reply_to_user} in (select profile_id from erased_profiles)"
    " or {replied_to} in (select message_id from erased_messages)"
    # the handles a text names, read once a row and looked up (not a pattern per handle)
    " or exists (select 1 from regexp_matches({text},"
    f" '{AT_SIGNS}({_HANDLE_CHARS}{{{{1,{x_posts.HANDLE_LONGEST}}}}})', 'g') as m"
    "  where lower(m[1]) in (select handle from erased_handles)))"
)
_FACEBOOK_REPLY = (
    "{author} in (select profile_id from brand_accounts)"
    " and {parent} in (select message_id from erased_messages)"
)
# an Instagram reply by a tracked brand's own account under their comment
_INSTAGRAM_REPLY = (
    "{author} in (select username from brand_usernames)"
    " and {parent} in (select message_id from erased_messages)"
)
REPLIES_TO_THEM = {
    "raw.x_tweets": _X_REPLY.format(
        author="payload ->> 'author_id'",
        reply_to_user=_X_REPLY_TO_USER,
        replied_to=_X_REPLIED_TO,
        text=_X_TEXT,
    ),
    "staging.stg_x__tweets": _X_REPLY.format(
        author="author_profile_id",
        reply_to_user="in_reply_to_profile_id",
        replied_to="replied_to_tweet_id",
        text="message_text",
    ),
    "raw.facebook_comments": _FACEBOOK_REPLY.format(
        author="payload -> 'from' ->> 'id'", parent="payload -> 'parent' ->> 'id'"
    ),
    "staging.stg_facebook__comments": _FACEBOOK_REPLY.format(
        author="author_profile_id", parent="parent_comment_id"
    ),
    "raw.instagram_comments": _INSTAGRAM_REPLY.format(
        author="lower(coalesce(payload -> 'from' ->> 'username', payload ->> 'username'))",
        parent="payload ->> 'parent_id'",
    ),
    "staging.stg_instagram__comments": _INSTAGRAM_REPLY.format(
        author="lower(author_username)", parent="parent_comment_id"
    ),
    # a webhook change about an item of theirs: a comment or reply of theirs, a mention of a
    # tracked account in their caption or comment (the change names the item alone), a
    # brand's reply under their comment (another person's reply is that person's)
    "raw.webhook_events": (
        "payload -> 'value' ->> 'id' in (select message_id from erased_messages)"
        " or payload -> 'value' ->> 'media_id' in (select message_id from erased_messages)"
        " or payload -> 'value' ->> 'comment_id' in (select message_id from erased_messages)"
        " or (payload -> 'value' ->> 'parent_id' in (select message_id from erased_messages)"
        "  and (lower(payload -> 'value' -> 'from' ->> 'username') in"
        "   (select username from brand_usernames)"
        "   or payload -> 'value' -> 'from' ->> 'id' in (select profile_id from brand_accounts)))"
    ),
}
# what names them in another person's X Post, kept as that person's own: the account it
# replies to and their handle in its text are scrubbed from it (the brand's replies to them
# are deleted above). By table: (the reply-to column, the statement that drops it), (the text
# column, the statement that blanks their handles in it). The raw row keeps its payload_hash,
# so the same Post read again is no new version and does not bring their id back.
# A handle of X's longest length needs no end: erasure's reading of a text (load/x_posts.py,
# the index and the brand's replies) cuts a run of handle characters there, so `@` and a
# 15-character handle of theirs with more handle characters after it names them too.
_HANDLES = (
    f"('{AT_SIGNS}(' || (select string_agg(case when length(handle) = {x_posts.HANDLE_LONGEST}"  # noqa: S608
    f" then handle else handle || '(?!{_HANDLE_CHARS})' end, '|') from erased_handles) || ')')"
)
ERASED_HANDLE = "@[erased]"
_X_TEXT_BLANKED = f"regexp_replace(payload ->> 'text', {_HANDLES}, '{ERASED_HANDLE}', 'gi')"
REFERENCES_TO_THEM = {
    "raw.x_tweets": (
        ("payload ->> 'in_reply_to_user_id'", "payload = payload - 'in_reply_to_user_id'"),
        (
            "payload ->> 'text'",
            "payload = jsonb_set(payload, '{text}', to_jsonb(" + _X_TEXT_BLANKED + ")),"
            # the handles the text @mentions once theirs are blanked (the column: migration 0049)
            " mentioned_handles = coalesce(meta.text_mentions(" + _X_TEXT_BLANKED + "), '{}')",
        ),
    ),
    "staging.stg_x__tweets": (
        ("in_reply_to_profile_id", "in_reply_to_profile_id = null"),
        (
            "message_text",
            f"message_text = regexp_replace(message_text, {_HANDLES}, '{ERASED_HANDLE}', 'gi')",
        ),
    ),
}
# another person's X Post naming a Post of theirs by id (one look-up at X gives a Post's
# author: GET /2/tweets/:id): the Posts it replies to or quotes (`referenced_tweets`) keep
# their type without that id, and a conversation a Post of theirs began loses its id
# (`conversation_id`). By table: (what finds the Post, the statement that drops those ids)
_IS_THEIRS = "{} in (select message_id from erased_messages)"
# a Post of theirs another person's Post replies to, landed or not: X's `in_reply_to_user_id`
# is the author of the Post replied to (`referenced_tweets` of type `replied_to`), so that id
# is theirs even when no search returned their Post. By table: (the reply-to account, the id
# of the Post replied to); erasure counts those ids among their messages.
REPLIED_TO_THEIR_POSTS = {"raw.x_tweets": (_X_REPLY_TO_USER, _X_REPLIED_TO)}
_REFERENCED_BY_THEIR_ID = (
    "(select coalesce(jsonb_agg(case when "  # noqa: S608 - constants
    + _IS_THEIRS.format("r ->> 'id'")
    + " then r - 'id'"
    " else r end order by n), '[]'::jsonb)"
    " from jsonb_array_elements(payload -> 'referenced_tweets') with ordinality as t (r, n))"
)
# the Posts it names by id, theirs left out (the column: migration 0049; a row not read yet
# stays so)
_REFERENCES_BUT_THEIRS = (
    "referenced_post_ids = case when referenced_post_ids is not null then"  # noqa: S608
    " array(select i from unnest(referenced_post_ids) as r (i)"
    f" where ({_IS_THEIRS.format('i')}) is not true order by i) end"
)
POST_IDS_OF_THEIRS = {
    "raw.x_tweets": (
        "meta.x_post_references(payload) && array(select message_id from erased_messages)",
        "payload = (case when "
        + _IS_THEIRS.format("payload ->> 'conversation_id'")
        + " then payload - 'conversation_id' else payload end)"
        " || (case when jsonb_typeof(payload -> 'referenced_tweets') = 'array'"
        f" then jsonb_build_object('referenced_tweets', {_REFERENCED_BY_THEIR_ID})"
        " else '{}'::jsonb end), " + _REFERENCES_BUT_THEIRS,
    ),
    "staging.stg_x__tweets": (
        _IS_THEIRS.format("conversation_id") + " or " + _IS_THEIRS.format("replied_to_tweet_id"),
        "conversation_id = case when "
        + _IS_THEIRS.format("conversation_id")
        + " then null else conversation_id end, replied_to_tweet_id = case when "
        + _IS_THEIRS.format("replied_to_tweet_id")
        + " then null else replied_to_tweet_id end",
    ),
}
# what names them in another person's Instagram comment or caption (or the webhook change
# announcing a comment): their username is blanked, the rest kept, as in X Posts. With or
# without `@`: the API leaves the `@` out of a caption (and of comments read through it) that
# @mentions someone unless the brand owns the media (docs/real-apis.md), so their username as
# a word names them too; privacy errs on their side (a word that is their username and means
# something else is blanked: docs/instagram.md counts what that costs). A username may hold
# periods (escaped); a letter, digit, `_`, `.` or `@` before it, or a letter, digit or `_`
# after it, or a period followed by one, continues another name (`@mia.wood`, `bo.mia` and
# `mia_x` do not name `mia`).
_USERNAMES = (
    "('(?<![A-Za-z0-9_.@])@?(' || (select string_agg(replace(username, '.', '[.]'), '|')"
    " from erased_usernames) || ')(?![A-Za-z0-9_]|[.][A-Za-z0-9_])')"
)
# what an Instagram username may be (rules.HANDLES), in lower case
_USERNAME_PATTERN = "^[a-z0-9._]{1,30}$"
ERASED_USERNAME = "@[erased]"


def _scrubbed_json(path: str, names: str = _USERNAMES, erased: str = ERASED_USERNAME) -> str:
    """The statement that blanks their usernames (or `names`) in the payload's text at `path`
    (a JSON path of keys, `{value,text}`)."""
    text = f"payload #>> '{path}'"
    return (
        f"payload = jsonb_set(payload, '{path}',"
        f" to_jsonb(regexp_replace({text}, {names}, '{erased}', 'gi')))"
    )


def _scrubbed_column(column: str, names: str = _USERNAMES, erased: str = ERASED_USERNAME) -> str:
    return f"{column} = regexp_replace({column}, {names}, '{erased}', 'gi')"


# by table: (the text, the pattern of their names in it, the statement that blanks them); the
# incremental models that keep a message's text (any platform's) blank their X handles too
_MESSAGE_TEXT = (
    ("message_text", _USERNAMES, _scrubbed_column("message_text")),
    ("message_text", _HANDLES, _scrubbed_column("message_text", _HANDLES, ERASED_HANDLE)),
)
MENTIONS_OF_THEM = {
    "raw.instagram_comments": (("payload ->> 'text'", _USERNAMES, _scrubbed_json("{text}")),),
    "raw.instagram_media": (("payload ->> 'caption'", _USERNAMES, _scrubbed_json("{caption}")),),
    "raw.webhook_events": (
        ("payload #>> '{value,text}'", _USERNAMES, _scrubbed_json("{value,text}")),
    ),
    "staging.stg_instagram__comments": (
        ("comment_text", _USERNAMES, _scrubbed_column("comment_text")),
    ),
    "staging.stg_instagram__media": (("caption", _USERNAMES, _scrubbed_column("caption")),),
    # another person's X profile description @mentioning them (`user.fields=description`)
    "raw.x_users": (
        (
            "payload ->> 'description'",
            _HANDLES,
            _scrubbed_json("{description}", _HANDLES, ERASED_HANDLE),
        ),
    ),
    "staging.stg_x__users": (("bio", _HANDLES, _scrubbed_column("bio", _HANDLES, ERASED_HANDLE)),),
    "intermediate.int_engagements_unified": _MESSAGE_TEXT,
    "intermediate.int_messages_answered": _MESSAGE_TEXT,
}
# another person's comment on their media (a comment @mentioning a tracked account, read with
# its media: `media{id, permalink, username}`): kept, without their username and the link to
# their post. By table: (what finds the comment, the statement that drops them)
_ON_THEIR_MEDIA = (
    "lower({username}) in (select username from erased_usernames)"
    " or {media} in (select message_id from erased_messages)"
)
MEDIA_OF_THEM = {
    "raw.instagram_comments": (
        _ON_THEIR_MEDIA.format(
            username="payload -> 'media' ->> 'username'", media="payload -> 'media' ->> 'id'"
        ),
        "payload = payload #- '{media,username}' #- '{media,permalink}'",
    ),
    "staging.stg_instagram__comments": (
        _ON_THEIR_MEDIA.format(username="media_username", media="media_id"),
        "media_username = null, media_permalink = null",
    ),
}
MERGED_TABLES = {
    m.relation: m.profile_columns for m in catalog.INCREMENTAL_MODELS if m.profile_columns
}
# the erased people's messages (what the brand's replies to them point at), by raw table and
# author column
MESSAGE_AUTHORS = {
    table: SOCIAL_TABLES[table]
    for table in (
        "raw.facebook_comments",
        "raw.x_tweets",
        "raw.instagram_comments",
        "raw.instagram_media",
    )
}
# the rule of which Instagram usernames and Instagram-scoped ids (IGSID) are one person's,
# shared with the opt-out (int_excluded_profiles): every id seen with their usernames and every
# username seen with those ids (a username renamed, or taken by another account since); the
# migration that defines it names it
INSTAGRAM_ACCOUNTS_REACHED = ("meta.instagram_accounts_reached", "0042")
# What a whole reading finds through the indexes of migration 0046, by table and search: every
# row the search's condition can hold (a superset; the condition decides on the rows found), so
# a first pass reads the rows that concern the people it erases, not the table. The sets as
# arrays (`= any(array(...))`, `&&`): an index condition, where `in (select ...)` under an
# `or` is tested on every row. A text's @mentions (`meta.text_mentions`) hold every handle of
# [a-z0-9_] either reading of a handle finds in it; a handle of other characters (a CRM export
# may give one) is read in every text (`PLAIN_HANDLE`).
_MENTIONING = "meta.text_mentions({text}) && array(select handle from erased_handles)"
PLAIN_HANDLE = "^[a-z0-9_]+$"
_ANY_PROFILE = "{} = any(array(select profile_id from erased_profiles))"
_ANY_MESSAGE = "{} = any(array(select message_id from erased_messages))"
# the names a text holds with or without `@` (`meta.text_names`) hold every username of theirs
# their reading in a text (_USERNAMES) finds
_NAMING = "meta.text_names({text}) && array(select username from erased_usernames)"


def _x_posts(author: str, reply_to_user: str, replied_to: str, mentioning: str) -> dict[str, str]:
    """The searches of X Posts (a table of them, its columns, what finds the Posts mentioning
    them) and what finds their rows."""
    return {
        "authors": _ANY_PROFILE.format(author),
        "replies": " or ".join(
            (
                _ANY_PROFILE.format(reply_to_user),
                _ANY_MESSAGE.format(replied_to),
                mentioning,
            )
        ),
        "reply to": _ANY_PROFILE.format(reply_to_user),
        "mentions": mentioning,
    }


# raw X Posts by the columns landing fills (migration 0049, load/x_posts.py): the handles a
# Post @mentions (every handle of [a-z0-9_] either reading of a handle finds in its text) and
# the Posts it names by id
_X_MENTIONING = "mentioned_handles && array(select handle from erased_handles)"
_X_NAMING_THEIR_POSTS = "referenced_post_ids && array(select message_id from erased_messages)"


NARROWED = {
    "raw.x_tweets": {
        **_x_posts(_X_AUTHOR, _X_REPLY_TO_USER, _X_REPLIED_TO, _X_MENTIONING),
        "their posts": _X_NAMING_THEIR_POSTS,
    },
    "staging.stg_x__tweets": {
        **_x_posts(
            "author_profile_id",
            "in_reply_to_profile_id",
            "replied_to_tweet_id",
            _MENTIONING.format(text="message_text"),
        ),
        "their posts": _ANY_MESSAGE.format("conversation_id")
        + " or "
        + _ANY_MESSAGE.format("replied_to_tweet_id"),
    },
    "raw.instagram_comments": {"usernames": _NAMING.format(text="payload ->> 'text'")},
    "raw.instagram_media": {"usernames": _NAMING.format(text="payload ->> 'caption'")},
    "raw.webhook_events": {"usernames": _NAMING.format(text="payload #>> '{value,text}'")},
    "staging.stg_instagram__comments": {"usernames": _NAMING.format(text="comment_text")},
    "staging.stg_instagram__media": {"usernames": _NAMING.format(text="caption")},
    **{
        table: {
            "usernames": _NAMING.format(text="message_text"),
            "mentions": _MENTIONING.format(text="message_text"),
        }
        for table in ("intermediate.int_engagements_unified", "intermediate.int_messages_answered")
    },
}
# quarantined rows naming a token (a record: ids exactly, case-sensitive, as the rows they
# refer to are keyed; a short or numeric id only as a customer_id) and error texts naming one
# (free text, case folded): traces.py's rules
_QUARANTINE_NAMING = traces.sql_naming("raw_text", free_text=False)


# texts kept for what they say of a run, that may quote a file naming a person (a rejected
# file's first line): the column, and when the row was written
ERROR_TEXTS = {"meta.load_batches": ("error", "coalesce(finished_at, started_at)")}
# the live queue's alerts about a person (alerts/run.py): an SLA alert names the message (and
# its link), the author's customer id and value; deleted, delivered or not, so none about them
# is posted after the erasure
ALERTS = {"meta.alerts": ("message_id", "details ->> 'customer_id'")}


def coverage() -> str:
    """A fingerprint of what erasure reads and deletes by: a pass of another coverage does not
    settle anyone (the next reads every erased customer whole)."""
    covered = (
        SOCIAL_TABLES,
        CUSTOMER_SCOPED_CRM_TABLES,
        MESSAGE_KEYED_TABLES,
        IDENTITY_TABLES,
        IDENTITY_TABLES_BY_CUSTOMER,
        ACCOUNT_KEYED_TABLES,
        REPLIES_TO_THEM,
        MERGED_TABLES,
        MESSAGE_AUTHORS,
        INSTAGRAM_ACCOUNTS_REACHED,
        MENTIONS_OF_THEM,
        MEDIA_OF_THEM,
        POST_IDS_OF_THEIRS,
        REPLIED_TO_THEIR_POSTS,
        WATERMARK_BEFORE,
        _QUARANTINE_NAMING,
        ERROR_TEXTS,
        ALERTS,
    )
    return hashlib.sha256(repr(covered).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class _Scope:
    """One reading of the tables: whole, for the people erased for the first time (the `new_`
    sets), or only what landed or merged since `since`, for everyone erased (the `erased_`
    sets)."""

    people: str  # prefix of the temp tables of people, messages, handles and tokens
    since: datetime | None = None
    batches: tuple[UUID, ...] = ()  # the raw batches committed since `since`
    # whether its handles are all of [a-z0-9_] (`PLAIN_HANDLE`): a text's @mentions hold them
    plain_handles: bool = True
    # whether every raw X Post has its columns read (`x_posts_backfill.backfill` done)
    x_posts_read: bool = True

    # A reading since `since` takes the rows by their batch or merge time and tests `condition`
    # on them, its sets hashed: `(condition) is true` keeps `x in (select ... from a set)` a
    # hashed subplan. The night's rows are newer than their table's planner statistics, which
    # count one of them; as a join, the planner scanned the set for each row (a nested loop:
    # at 10M events 100,000 new engagements x 2,000 erased profiles, 3.6 s for one delete).

    @property
    def params(self) -> dict[str, object] | None:
        """The statements' parameters (none for a whole reading: no placeholder to fill)."""
        if self.since is None:
            return None
        return {"since": self.since, "batches": list(self.batches)}

    def narrowed(self, table: str, search: str) -> str | None:
        """What finds, through an index, every row of `table` that `search`'s condition can
        hold (NARROWED), in a whole reading; None when the reading cannot use it (a reading
        since `since` reads by batch, a handle of other characters is in no index)."""
        found = NARROWED.get(table, {}).get(search)
        if found is None or self.since is not None:
            return None
        if "erased_handles" in found and not self.plain_handles:
            return None
        if not self.x_posts_read and any(c in found for c in x_posts_backfill.COLUMNS):
            return None
        return self.on_sets(found)

    def rows(self, table: str, search: str | None = None) -> Callable[[str], str]:
        """What keeps the rows of `table` this reading reads for `search` (NARROWED) and holds
        a condition for."""
        read = self.raw if table.startswith("raw.") else self.merged
        narrowed = self.narrowed(table, search) if search is not None else None
        if narrowed is None:
            return read
        # the index finds the rows, the condition decides on them
        return lambda condition: f"({narrowed}) and ({read(condition)})"

    def raw(self, condition: str) -> str:
        """`condition` on this reading's sets, on the raw rows it reads."""
        condition = self.on_sets(condition)
        if self.since is None:
            return condition
        # the batch ids as values: the planner counts their rows and reads them by the batch
        # index (as a subquery's array it assumed most of the table and scanned it all; as a
        # join, it tested `condition` on every row of the table: 10 s at 10M events)
        return f"batch_id = any(%(batches)s) and (({condition}) is true)"

    def merged(self, condition: str) -> str:
        """`condition` on this reading's sets, on the merged rows it reads."""
        condition = self.on_sets(condition)
        if self.since is None:
            return condition
        return f"merged_at >= %(since)s and (({condition}) is true)"

    def quarantined(self, condition: str) -> str:
        """`condition` on this reading's sets, on the quarantined rows it reads."""
        condition = self.on_sets(condition)
        if self.since is None:
            return condition
        return f"quarantined_at >= %(since)s and (({condition}) is true)"

    def on_sets(self, condition: str) -> str:
        """`condition` on this reading's sets of people, messages, handles and tokens."""
        for kind in ("profiles", "messages", "handles", "usernames", "tokens"):
            condition = condition.replace(f"erased_{kind}", f"{self.people}_{kind}")
        return condition


def erase_requested(conn: psycopg.Connection, drop_dir: Path | None = None) -> dict[str, int]:
    """Delete raw and merged data of every customer with an erasure request, and the alerts
    about them; take them, and the customers who opted out since the last publish, out of the
    published marts. Returns rows deleted (or emptied) per table.

    Profiles are found through `intermediate.int_identity_links` (built before this runs)."""
    deleted: dict[str, int] = {}
    with conn.transaction():
        since = _people(conn)
        new = scalar(conn.execute("select count(*) from erased_customers where is_new"))
        scopes = []
        if new:  # whole tables, for the people erased for the first time
            scopes.append(_Scope("new"))
        if since is not None:  # what landed or merged since, for everyone erased
            scopes.append(_Scope("erased", since, _batches_since(conn, since)))
        _collect_what_names_them(conn, scopes)
        x_posts_read = _x_posts_read(conn)
        scopes = [
            dataclasses.replace(_with_handles_read(conn, scope), x_posts_read=x_posts_read)
            for scope in scopes
        ]
        deleted["crm_customers"] = conn.execute(
            "delete from raw.crm_customers where natural_key in"
            " (select customer_id from erased_customers)"
        ).rowcount
        for table in CUSTOMER_SCOPED_CRM_TABLES:
            deleted[table] = conn.execute(
                f"delete from raw.{table} where scope_key in"  # noqa: S608
                " (select customer_id from erased_customers)"
            ).rowcount
        for table, column in IDENTITY_TABLES_BY_CUSTOMER.items():
            _count(
                deleted,
                table,
                conn.execute(
                    f"delete from {table} where {column} in"  # noqa: S608
                    " (select customer_id from erased_customers)"
                ).rowcount,
            )
        for scope in scopes:
            _delete_in(conn, scope, deleted)
        # a customer the CRM never had: no id of theirs is a token (it may be any word), but
        # a quarantined record whose customer_id is exactly theirs goes
        _count(
            deleted,
            "raw_quarantine.records",
            conn.execute(
                "delete from raw_quarantine.records where exists"  # noqa: S608
                " (select 1 from unknown_customers) and "
                + traces.sql_keyed(
                    "raw_text", "(select customer_id as token from unknown_customers) u"
                )
            ).rowcount,
        )
        _delete_alerts(conn, deleted)
        _rewind_watermarks(conn, deleted)
        if new:
            _delete_from_published_marts(conn, deleted)
        # whole on every pass: the CRM's rows by customer and the bookkeeping by account
        # (looked up by key), the identity tables (rebuilt each night from staging)
        for table, columns in ACCOUNT_KEYED_TABLES.items():
            _count(deleted, table, _delete_profiles(conn, table, columns))
        # the links last: erased_profiles was read from them
        for table, profile in IDENTITY_TABLES.items():
            if relation_oid(conn, table):
                _count(deleted, table, _delete_profiles(conn, table, (profile,)))
        # the model's names that only the records just deleted carried
        deleted[traces.MODEL] = traces.scrub_identity_model(conn)
        _log(conn, new, sum(deleted.values()))
        # and, not erasure's to log, the customers who opted out since the last publish
        _withdraw_newly_excluded_from_published_marts(conn, deleted)
        file_tokens, account_tokens = set(), set()
        for token, is_account in conn.execute(
            "select token, is_account from erased_tokens"
            " union select message_id, true from erased_messages"
        ):
            file_tokens.add(token)
            if is_account:
                account_tokens.add(token)
        # an id that is a customer's too (the same form, other records) stays a customer's
        account_tokens -= {
            token
            for (token,) in conn.execute("select token from erased_tokens where not is_account")
        }
    # the export files last, once the warehouse side is committed (a file cannot roll back;
    # a run that fails here purges them at the next, by the customer ids still requested)
    found = traces.folders(settings.load(), drop_dir)
    deleted["file records and lines"] = traces.erase_from_folders(
        found, file_tokens, account_tokens
    )
    total = sum(deleted.values())
    log.info(
        "erasure: %d customer(s) read whole, the others%s; %d raw and merged rows deleted (%s)",
        new,
        f" since {since:%Y-%m-%d %H:%M %Z}" if since is not None else ": none",
        total,
        ", ".join(f"{t}={n}" for t, n in deleted.items() if n),
    )
    return deleted


def _x_posts_read(conn: psycopg.Connection) -> bool:
    """Whether every raw X Post has the columns a whole reading finds them by (migration 0049:
    a Post landed before it waits for `x_posts_backfill.backfill`); when not, a whole reading
    reads every Post's text and references, and says so (a count)."""
    waiting = scalar(
        conn.execute(
            f"select count(*) from raw.x_tweets where {x_posts_backfill.NOT_DERIVED}"  # noqa: S608
        )
    )
    if waiting:
        log.warning(
            "erasure: %d X Post(s) landed before their mentions and references were read"
            " (the warehouse bootstrap back-fills them): every Post's text read",
            waiting,
        )
    return not waiting


def _with_handles_read(conn: psycopg.Connection, scope: _Scope) -> _Scope:
    """The reading, knowing whether its X handles are all of [a-z0-9_] (what a text's
    @mentions hold): a handle of other characters makes a whole reading read every text for
    it, and says so (a count, never the handle)."""
    odd = scalar(
        conn.execute(
            f"select count(*) from {scope.people}_handles where handle !~ %s",  # noqa: S608
            (PLAIN_HANDLE,),
        )
    )
    if odd and scope.since is None:
        log.warning(
            "erasure: %d X handle(s) with characters other than letters, digits and `_`:"
            " every X Post's text read for them",
            odd,
        )
    return dataclasses.replace(scope, plain_handles=not odd)


def _delete_in(conn: psycopg.Connection, scope: _Scope, deleted: dict[str, int]) -> None:
    """The deletions of one reading (whole, or since the previous pass)."""
    params = scope.params
    # the brand's replies addressed to them, before their own messages
    for table, condition in REPLIES_TO_THEM.items():
        if relation_oid(conn, table):
            where = scope.rows(table, "replies")(condition)
            _count(
                deleted,
                f"{table} (replies to them)",
                conn.execute(
                    f"delete from {table} where {where}",  # noqa: S608
                    params,
                ).rowcount,
            )
    for table, columns in SOCIAL_TABLES.items():
        _count(
            deleted,
            table,
            _delete_profiles(conn, table, columns, scope.rows(table, "authors"), params),
        )
    _count(
        deleted,
        "raw_quarantine.records",
        conn.execute(
            "delete from raw_quarantine.records where "  # noqa: S608
            + scope.quarantined(f"({_QUARANTINE_NAMING})"),
            params,
        ).rowcount,
    )
    # sentiment scores and staff corrections are keyed by message only: found through the
    # messages, deleted before them
    messages = "intermediate.int_messages_answered"
    if relation_oid(conn, messages):
        answered = scope.merged("profile_id in (select profile_id from erased_profiles)")
        for table, key in MESSAGE_KEYED_TABLES.items():
            _count(
                deleted,
                table,
                conn.execute(
                    f"delete from {table} where {key} in (select message_id from"  # noqa: S608
                    f" {messages} where {answered})",
                    params,
                ).rowcount,
            )
    for table, columns in MERGED_TABLES.items():
        if relation_oid(conn, table):
            _count(
                deleted,
                table,
                _delete_profiles(conn, table, columns, scope.rows(table, "authors"), params),
            )
    _scrub_references(conn, scope, deleted)
    _scrub_mentions(conn, scope, deleted)
    _scrub_error_texts(conn, scope, deleted)


def _scrub_references(conn: psycopg.Connection, scope: _Scope, deleted: dict[str, int]) -> None:
    """Another person's X Post replying to them or naming their handle: kept, without them."""
    for table, ((reply_to, drop_reply_to), (text, blank_handles)) in REFERENCES_TO_THEM.items():
        if not relation_oid(conn, table):
            continue
        for condition, change, search in (
            (
                f"{reply_to} in (select profile_id from erased_profiles)",  # noqa: S608
                drop_reply_to,
                "reply to",
            ),
            (f"{text} ~* {_HANDLES}", blank_handles, "mentions"),
        ):
            rows = scope.rows(table, search)
            _count(
                deleted,
                f"{table} (their id or handle in others' Posts, scrubbed)",
                conn.execute(
                    f"update {table} set {scope.on_sets(change)}"  # noqa: S608
                    f" where {rows(condition)}",
                    scope.params,
                ).rowcount,
            )
    for table, (naming_theirs, drop_their_ids) in POST_IDS_OF_THEIRS.items():
        if not relation_oid(conn, table):
            continue
        _count(
            deleted,
            f"{table} (their Posts' ids in others' Posts, scrubbed)",
            conn.execute(
                f"update {table} set {scope.on_sets(drop_their_ids)}"  # noqa: S608
                f" where {scope.rows(table, 'their posts')(naming_theirs)}",
                scope.params,
            ).rowcount,
        )


# where a search's watermark stood at a Post of theirs (`since_id`, the newest Post it saw):
# the last id of the second before it. X's `since_id` is exclusive (the search returns Posts
# of a greater id), so the next search still reads every Post after the old mark (their own
# again, erased again by the next pass, and the others of that second); an X id is a
# Snowflake (milliseconds since X's epoch, then 22 bits of worker and sequence), so this
# names a second, not a Post: none has this id (its sequence bits are all ones, its
# millisecond the last of a second). An id that is not X's form is dropped (the search walks
# from its time, `last_event_at`).
WATERMARK_BEFORE = (
    "case when since_id !~ '^[0-9]{1,19}$' then null"  # a CASE tests in order: no bad cast
    " when since_id::numeric not between (1000::bigint << 22) and 9223372036854775807 then null"
    " else ((((since_id::bigint >> 22) / 1000 * 1000) << 22) - 1)::text end"
)


def _rewind_watermarks(conn: psycopg.Connection, deleted: dict[str, int]) -> None:
    """The watermarks standing at a Post of theirs any reading found (WATERMARK_BEFORE). Whole
    on every pass: a small table."""
    _count(
        deleted,
        "meta.watermarks (their Post's id, rewound)",
        conn.execute(
            f"update meta.watermarks set since_id = {WATERMARK_BEFORE}"  # noqa: S608
            " where since_id in (select message_id from erased_messages)"
        ).rowcount,
    )


def _scrub_mentions(conn: psycopg.Connection, scope: _Scope, deleted: dict[str, int]) -> None:
    """Another person's Instagram comment or caption @mentioning them, and any message text
    the incremental models keep naming them: kept, without their username or handle
    (MENTIONS_OF_THEM); another person's comment on their media, without their username and
    the link to their post (MEDIA_OF_THEM)."""
    for table, texts in MENTIONS_OF_THEM.items():
        if not relation_oid(conn, table):
            continue
        for text, names, blank in texts:
            rows = scope.rows(table, "usernames" if names == _USERNAMES else "mentions")
            _count(
                deleted,
                f"{table} (their username or handle in others' texts, scrubbed)",
                conn.execute(
                    f"update {table} set {scope.on_sets(blank)}"  # noqa: S608
                    f" where {rows(f'{text} ~* {names}')}",
                    scope.params,
                ).rowcount,
            )
    for table, (on_their_media, drop_them) in MEDIA_OF_THEM.items():
        if not relation_oid(conn, table):
            continue
        rows = scope.raw if table.startswith("raw.") else scope.merged
        _count(
            deleted,
            f"{table} (their username and post on others' comments, scrubbed)",
            conn.execute(
                f"update {table} set {drop_them}"  # noqa: S608
                f" where {rows(on_their_media)}",
                scope.params,
            ).rowcount,
        )


def _scrub_error_texts(conn: psycopg.Connection, scope: _Scope, deleted: dict[str, int]) -> None:
    """Replace the error texts naming an erased person (ERROR_TEXTS) with ERASED_TEXT."""
    for table, (column, written) in ERROR_TEXTS.items():
        where = scope.on_sets(f"({traces.sql_naming(column, free_text=True)})")
        if scope.since is not None:
            where = f"{written} >= %(since)s and (({where}) is true)"
        _count(
            deleted,
            f"{table} ({column} scrubbed)",
            conn.execute(
                f"update {table} set {column} = %(erased)s where {where}",  # noqa: S608
                {**(scope.params or {}), "erased": traces.ERASED_TEXT},
            ).rowcount,
        )


def _delete_alerts(conn: psycopg.Connection, deleted: dict[str, int]) -> None:
    """The alerts about an erased person (ALERTS): about a message of theirs any reading
    found, or naming them as its author's customer. Whole on every pass: a small table."""
    for table, (message, customer) in ALERTS.items():
        if relation_oid(conn, table):
            _count(
                deleted,
                table,
                conn.execute(
                    f"delete from {table} where {message} in"  # noqa: S608
                    " (select message_id from erased_messages)"
                    f" or {customer} in (select customer_id from erased_customers)"
                ).rowcount,
            )


def _delete_from_published_marts(conn: psycopg.Connection, deleted: dict[str, int]) -> None:
    """The rows of the people erased for the first time leave the published marts (BI's
    `marts`) with the rest of their data: a nightly that fails after this step leaves the
    previous publish in place, which must not show them."""
    _leave_published_marts(
        conn,
        deleted,
        "select customer_id from erased_customers where is_new",
        "select profile_id from new_profiles",
        erased=True,
    )


# the published mart that lists every customer not excluded from details (people.sql): a
# customer excluded (int_excluded_customers) and still in it was excluded since the last publish
_EVERY_CUSTOMER = "marts.people"


def _withdraw_newly_excluded_from_published_marts(
    conn: psycopg.Connection, deleted: dict[str, int]
) -> None:
    """Customers excluded from details since the last publish (an opt-out landed since; the
    identity step built int_excluded_customers and int_excluded_profiles just before this
    one), and the profiles that may be theirs, leave the published marts here, as an erasure
    does: a nightly that fails after this step leaves the previous publish in place, which
    must not show them. What the marts keep of them (the live queue's messages) stays, without
    who wrote them. Costs a read of the people mart when no one was newly excluded."""
    needed = ("intermediate.int_excluded_customers", "intermediate.int_excluded_profiles")
    if not all(relation_oid(conn, r) for r in (*needed, _EVERY_CUSTOMER)):
        return
    conn.execute(
        "create temp table withdrawn_customers on commit drop as"  # noqa: S608
        " select distinct x.customer_id from intermediate.int_excluded_customers x"
        f" where x.customer_id in (select customer_id from {_EVERY_CUSTOMER})"
        " and x.customer_id not in (select customer_id from erased_customers where is_new)"
    )
    conn.execute(
        "create temp table withdrawn_profiles on commit drop as"  # noqa: S608
        " select distinct split_part(x.profile_key, ':', 2) as profile_id"
        " from intermediate.int_excluded_profiles x"
        " where (x.customer_id in (select customer_id from withdrawn_customers)"
        f"  or 'prospect:' || x.profile_key in (select person_id from {_EVERY_CUSTOMER}))"
        " and split_part(x.profile_key, ':', 2) not in (select profile_id from new_profiles)"
    )
    if not scalar(
        conn.execute(
            "select exists (select 1 from withdrawn_customers)"
            " or exists (select 1 from withdrawn_profiles)"
        )
    ):
        return
    _leave_published_marts(
        conn,
        deleted,
        "select customer_id from withdrawn_customers",
        "select profile_id from withdrawn_profiles",
        erased=False,
    )


def _leave_published_marts(
    conn: psycopg.Connection,
    deleted: dict[str, int],
    customers: str,
    profiles: str,
    erased: bool,
) -> None:
    """The published marts' rows about the `customers` and `profiles` (queries of their ids):
    deleted, but in a mart that keeps the rows of people excluded from details without saying
    who they are (`Mart.excluded_person_columns`, the live queue) when they are not `erased`:
    there those columns are emptied. Each mart's publish record counts the rows left (the next
    publish of an incremental mart counts from it)."""
    for mart in catalog.MARTS:
        table = f"marts.{mart.name}"
        if not relation_oid(conn, table):
            continue
        naming = [
            f"{column} in ({customers})"
            f" or ({column} like 'prospect:%' and split_part({column}, ':', 3) in ({profiles}))"
            for column in mart.person_columns
        ] + [f"split_part({column}, ':', 2) in ({profiles})" for column in mart.profile_key_columns]
        if not naming:
            continue
        if not erased and mart.excluded_person_columns:
            emptied = ", ".join(f"{c} = null" for c in mart.excluded_person_columns)
            _count(
                deleted,
                f"{table} (published, person emptied)",
                conn.execute(
                    f"update {table} set {emptied} where {' or '.join(naming)}"  # noqa: S608
                ).rowcount,
            )
            continue
        gone = conn.execute(
            f"delete from {table} where {' or '.join(naming)}"  # noqa: S608 - catalog's names
        ).rowcount
        if gone:
            conn.execute(
                "update meta.mart_publishes set row_count = row_count - %s where relation = %s",
                (gone, mart.name),
            )
        _count(deleted, f"{table} (published)", gone)


def _count(deleted: dict[str, int], table: str, rows: int) -> None:
    deleted[table] = deleted.get(table, 0) + rows


def _people(conn: psycopg.Connection) -> datetime | None:
    """The erased customers and their profiles, each customer marked new unless an earlier
    pass of this coverage read them whole with these profiles. Returns the time from which
    settled customers' rows are read (the previous pass's `reads_from`), or None when every
    customer is read whole."""
    conn.execute(
        "create temp table erased_customers on commit drop as"
        " select distinct natural_key as customer_id, true as is_new"
        " from raw.crm_erasure_requests where not is_deleted"
    )
    _add_customers_named_by_email(conn)
    conn.execute(
        "create temp table erased_profiles on commit drop as"
        " select l.customer_id, split_part(l.profile_key, ':', 2) as profile_id"
        " from intermediate.int_identity_links l"
        " join erased_customers e using (customer_id)"
        # and the accounts the CRM knows by id, linked or not
        " union select e.customer_id, a.payload ->> 'account_id'"
        " from raw.crm_customer_social_accounts a"
        " join erased_customers e on a.scope_key = e.customer_id"
        " where a.payload ->> 'account_id' is not null"
        # and the Instagram accounts the CRM knows (by username: an Instagram profile's id),
        # and those their requests name
        " union select e.customer_id, lower(a.payload ->> 'handle')"
        " from raw.crm_customer_social_accounts a"
        " join erased_customers e on a.scope_key = e.customer_id"
        " where a.payload ->> 'platform' = 'instagram' and a.payload ->> 'handle' is not null"
        " union select e.customer_id, lower(jsonb_array_elements_text("
        "  r.payload -> 'instagram_usernames'))"
        " from raw.crm_erasure_requests r join erased_customers e on r.natural_key = e.customer_id"
        " where not r.is_deleted"
        # and those erased with them before: the CRM rows that linked them are gone by now,
        # and the APIs may land their data again
        " union select l.customer_id, unnest(l.profile_ids) from meta.erasure_log l"
        " join erased_customers e using (customer_id)"
    )
    _add_profiles_that_may_be_theirs(conn)
    _leave_out_what_is_not_theirs(conn)
    _add_instagram_accounts_seen_with_theirs(conn)
    previous = conn.execute(
        "select reads_from, coverage = %s,"
        " (select coalesce(max(pass_id), 0) from meta.erasure_passes where coverage <> %s)"
        " from meta.erasure_passes order by pass_id desc limit 1",
        (coverage(), coverage()),
    ).fetchone()
    since = None
    if previous is not None and previous[1]:
        since = previous[0]
        conn.execute(
            "update erased_customers e set is_new = false where exists ("
            " select 1 from meta.erasure_log l join meta.erasure_passes p using (pass_id)"
            " where l.customer_id = e.customer_id and p.coverage = %s and p.pass_id > %s"
            " and l.profile_ids @> array(select x.profile_id from erased_profiles x"
            "   where x.customer_id = e.customer_id and x.profile_id is not null))",
            (coverage(), previous[2]),
        )
    conn.execute(
        "create temp table new_profiles on commit drop as"
        " select distinct p.profile_id from erased_profiles p join erased_customers e"
        " using (customer_id) where e.is_new and p.profile_id is not null"
    )
    # the planner's row counts for the sets (a few ids: an index walk, not a scan)
    warehouse.analyze(conn, "erased_customers", "erased_profiles", "new_profiles")
    return since


def _add_instagram_accounts_seen_with_theirs(conn: psycopg.Connection) -> None:
    """Every Instagram-scoped id (IGSID) seen with an erased person's username, and every
    username seen with those ids, until no new one is found (INSTAGRAM_ACCOUNTS_REACHED, the
    rule the opt-out shares): the items that name them by id alone (a comment's `from.id`) and
    their items under another username (renamed). A username that another account used too
    (seen with two ids) is erased with both: privacy errs on the person's side; the log counts
    them, never names them. A tracked brand's own account is never reached."""
    found = conn.execute(
        "insert into erased_profiles"
        " select distinct p.customer_id, r.reached from erased_profiles p"
        " join meta.instagram_accounts_reached("
        "  array(select distinct profile_id from erased_profiles where profile_id is not null),"
        "  array(select username from brand_usernames),"
        "  array(select profile_id from brand_accounts)) r on r.seed = p.profile_id"
        " where not exists (select 1 from erased_profiles x"
        "  where x.customer_id = p.customer_id and x.profile_id = r.reached)"
    ).rowcount
    shared = scalar(
        conn.execute(
            "select count(*) from (select s.username from meta.instagram_account_sightings s"
            " where s.username in (select profile_id from erased_profiles)"
            " and s.username not in (select username from brand_usernames)"
            " group by s.username having count(distinct s.igsid) > 1) u"
        )
    )
    if found or shared:
        log.warning(
            "erasure: %d Instagram account id(s) or username(s) reached through the ids seen"
            " with the erased people's usernames; %d username(s) seen with several accounts"
            " (renamed or taken over), erased with all of them",
            found,
            shared,
        )


def _batches_since(conn: psycopg.Connection, since: datetime) -> tuple[UUID, ...]:
    """The raw batches committed since `since`."""
    return tuple(
        row[0]
        for row in conn.execute(
            "select batch_id from meta.load_batches where status = 'committed'"
            " and finished_at >= %s",
            (since,),
        )
    )


def _log(conn: psycopg.Connection, read_whole: int, rows_deleted: int) -> None:
    """The pass, and one row per erased customer when it read anyone whole or deleted
    anything (the erasure log): a customer logged by a pass of this coverage is settled."""
    pass_id = scalar(
        conn.execute(
            "insert into meta.erasure_passes"
            " (reads_from, coverage, customers_read_whole, rows_deleted)"
            " values (%s, %s, %s, %s) returning pass_id",
            (warehouse.visibility_horizon(conn), coverage(), read_whole, rows_deleted),
        )
    )
    if not read_whole and not rows_deleted:
        return
    conn.execute(
        "insert into meta.erasure_log (customer_id, profile_ids, rows_deleted, pass_id)"
        " select e.customer_id, coalesce(array_agg(distinct p.profile_id)"
        "   filter (where p.profile_id is not null), '{}'), %s, %s"
        " from erased_customers e left join erased_profiles p using (customer_id)"
        " group by e.customer_id",
        (rows_deleted, pass_id),
    )


def _collect_what_names_them(conn: psycopg.Connection, scopes: list[_Scope]) -> None:
    """Before anything is deleted: the erased people's messages, X handles, and the tokens
    that name them alone (customer ids, emails, profile ids: a handle can be a word of
    someone else's text), for what refers to them without being theirs (the brand's replies,
    quarantined rows, export files). The `new_` sets are those of the people read whole;
    the `erased_` sets, everyone's (messages: those a reading found)."""
    conn.execute("create temp table new_messages (message_id text) on commit drop")
    conn.execute("create temp table erased_messages (message_id text) on commit drop")
    for scope in scopes:
        for table, authors in MESSAGE_AUTHORS.items():
            naming = " or ".join(
                f"{a} in (select profile_id from erased_profiles)"  # noqa: S608
                for a in authors
            )
            where = scope.rows(table, "authors")(naming)
            conn.execute(
                f"insert into {scope.people}_messages select natural_key"  # noqa: S608
                f" from {table} where {where}",
                scope.params,
            )
        for table, (reply_to, replied_to) in REPLIED_TO_THEIR_POSTS.items():
            where = scope.rows(table, "reply to")(
                f"{reply_to} in (select profile_id from erased_profiles)"  # noqa: S608
                f" and {replied_to} is not null"
            )
            conn.execute(
                f"insert into {scope.people}_messages select {replied_to}"  # noqa: S608
                f" from {table} where {where}",
                scope.params,
            )
    conn.execute("insert into erased_messages select message_id from new_messages")
    conn.execute(
        "create temp table erased_handles on commit drop as"
        " select distinct lower(u.payload ->> 'username') as handle,"
        "  u.natural_key in (select profile_id from new_profiles) as is_new from raw.x_users u"
        "  where u.natural_key in (select profile_id from erased_profiles)"
        "  and u.payload ->> 'username' is not null"
        " union select lower(a.payload ->> 'handle'), e.is_new"
        "  from raw.crm_customer_social_accounts a"
        "  join erased_customers e on a.scope_key = e.customer_id"
        "  where a.payload ->> 'handle' is not null and a.payload ->> 'platform' = 'x'"
    )
    # their Instagram usernames: an Instagram profile's id is its username (a Facebook or X
    # id of theirs that fits the rule is blanked after `@` too: no one else's name)
    conn.execute(
        "create temp table erased_usernames on commit drop as"
        " select distinct p.profile_id as username,"
        "  p.profile_id in (select profile_id from new_profiles) as is_new"
        " from erased_profiles p"
        " where p.profile_id ~ %s",
        (_USERNAME_PATTERN,),
    )
    conn.execute(
        "delete from erased_usernames where username in (select username from brand_usernames)"
    )
    conn.execute(
        "create temp table new_usernames on commit drop as"
        " select username from erased_usernames where is_new"
    )
    conn.execute(
        "create temp table erased_tokens on commit drop as"
        # is_account: an account's id (a customer id of the same form is another's)
        " select customer_id as token, is_new, false as is_account from erased_customers"
        "  where customer_id not in (select customer_id from unknown_customers)"
        " union select lower(c.payload ->> 'email'), e.is_new, false from raw.crm_customers c"
        "  join erased_customers e on c.natural_key = e.customer_id"
        "  where c.payload ->> 'email' is not null"
        " union select profile_id, profile_id in (select profile_id from new_profiles), true"
        "  from erased_profiles where profile_id is not null"
    )
    _add_what_their_requests_name(conn)
    # a tracked brand's handle is no one's to erase, whatever named it
    conn.execute("delete from erased_handles where handle in (select handle from brand_handles)")
    conn.execute(
        "create temp table new_handles on commit drop as"
        " select handle from erased_handles where is_new"
    )
    conn.execute(
        "create temp table new_tokens on commit drop as"
        " select token, is_account from erased_tokens where is_new"
    )
    warehouse.analyze(conn, "new_messages", "erased_messages", "erased_handles", "new_handles")
    warehouse.analyze(conn, "erased_usernames", "new_usernames")
    warehouse.analyze(conn, "erased_tokens", "new_tokens")


def _add_customers_named_by_email(conn: psycopg.Connection) -> None:
    """The customers a request reaches through the emails it names (int_excluded_customers,
    built before this runs): the person's other customer records."""
    if relation_oid(conn, "intermediate.int_excluded_customers"):
        conn.execute(
            "insert into erased_customers select distinct x.customer_id, true"
            " from intermediate.int_excluded_customers x where x.reason = 'erasure_request'"
            " and x.customer_id not in (select customer_id from erased_customers)"
        )


def _add_profiles_that_may_be_theirs(conn: psycopg.Connection) -> None:
    """The profiles that may be an erased customer's, linked or not (int_excluded_profiles:
    the model's likely and doubtful pairs, every account the CRM knows or staff accepted for
    them, the accounts their request names): erasure errs on their side, but for an account
    held as maybe someone else's (`is_held`: `_hold_what_may_be_someone_elses`)."""
    if relation_oid(conn, "intermediate.int_excluded_profiles"):
        conn.execute(
            "insert into erased_profiles select x.customer_id, split_part(x.profile_key, ':', 2)"
            " from intermediate.int_excluded_profiles x join erased_customers e using (customer_id)"
            " where not x.is_held"
        )


def _add_what_their_requests_name(conn: psycopg.Connection) -> None:
    """The X handles, emails and account ids the erasure requests name
    (extract/erasure_identifiers.py), into the sets of handles and tokens that name them (an
    account not landed yet is in no profile set), but for what is not theirs
    (`_leave_out_what_is_not_theirs`). A token that is none of these names no one the
    warehouse can tell: it erases nothing."""
    named = (
        "select e.customer_id, e.is_new, jsonb_array_elements_text(r.payload -> '{}') as value"
        " from raw.crm_erasure_requests r join erased_customers e on r.natural_key = e.customer_id"
        " where not r.is_deleted"
    )
    conn.execute(
        "insert into erased_handles select lower(value), is_new"  # noqa: S608
        f" from ({named.format('x_handles')}) n where not ({_NOT_THEIRS_HANDLE})"
    )
    conn.execute(
        "insert into erased_tokens select lower(value), is_new, false"  # noqa: S608
        f" from ({named.format('emails')}) n where not ({_NOT_THEIRS_EMAIL})"
    )
    for kind in ("facebook_ids", "x_ids"):
        conn.execute(
            "insert into erased_tokens select value, is_new, true"  # noqa: S608
            f" from ({named.format(kind)}) n where not ({_NOT_THEIRS_ID})"
        )


# an account or handle `value` named for `customer_id` that is not theirs: a tracked brand's
# own, one held as maybe someone else's, or an account the CRM knows as another customer's
# (not erased) and not as theirs
_NOT_THEIRS_ID = (
    "value in (select profile_id from brand_accounts)"
    " or exists (select 1 from held_profiles h where h.customer_id = n.customer_id"
    "  and h.profile_id = value)"
    " or (exists (select 1 from known_accounts k where k.profile_id = value"
    "  and k.customer_id not in (select customer_id from erased_customers))"
    " and not exists (select 1 from known_accounts k where k.profile_id = value"
    "  and k.customer_id = n.customer_id))"
)
_NOT_THEIRS_HANDLE = (
    "lower(value) in (select handle from brand_handles)"
    " or exists (select 1 from held_profiles h where h.customer_id = n.customer_id"
    "  and h.handle = lower(value))"
    " or (exists (select 1 from known_accounts k where k.platform = 'x'"
    "  and k.handle = lower(value)"
    "  and k.customer_id not in (select customer_id from erased_customers))"
    " and not exists (select 1 from known_accounts k where k.platform = 'x'"
    "  and k.handle = lower(value) and k.customer_id = n.customer_id))"
)

# an email `value` named for `customer_id` that is another person's: a customer record held
# (int_excluded_customers) has it: their record is not erased, nor is the email where it
# appears
_NOT_THEIRS_EMAIL = (
    "exists (select 1 from held_customers h where h.held_by = n.customer_id"
    " and h.email = lower(value))"
)


def _hold_what_may_be_someone_elses(conn: psycopg.Connection) -> None:
    """The customer records and accounts the requests name that may be someone else's
    (`held_customers`, `held_profiles`): a record with an email a request names and another
    name (int_excluded_customers), an account linked to or accepted for another customer
    (int_excluded_profiles.is_held). They stay hidden from detail marts and are never
    erased; meta.erasure_holds keeps them for staff, rewritten for the requests read."""
    conn.execute(
        "create temp table held_profiles (customer_id text, profile_key text, profile_id text,"
        " handle text) on commit drop"
    )
    conn.execute(
        "create temp table held_customers (held_by text, customer_id text, email text)"
        " on commit drop"
    )
    if relation_oid(conn, "intermediate.int_excluded_profiles"):
        conn.execute(
            "insert into held_profiles select x.customer_id, x.profile_key,"
            " split_part(x.profile_key, ':', 2), lower(p.handle)"
            " from intermediate.int_excluded_profiles x"
            " join erased_customers e using (customer_id)"
            " left join intermediate.int_social_profiles p using (profile_key)"
            " where x.is_held"
        )
    if relation_oid(conn, "intermediate.int_excluded_customers"):
        conn.execute(
            # the held records first (a few), their emails by key, then the requests
            "insert into held_customers select distinct r.natural_key, x.customer_id, n.email"
            " from intermediate.int_excluded_customers x"
            " join raw.crm_customers c on c.natural_key = x.customer_id and not c.is_deleted"
            " cross join lateral (select lower(c.payload ->> 'email') as email) n"
            " join raw.crm_erasure_requests r on not r.is_deleted"
            "  and r.payload -> 'emails' ? n.email"
            " where x.reason = 'held_erasure_request'"
            "  and x.customer_id not in (select customer_id from erased_customers)"
            "  and r.natural_key in (select customer_id from erased_customers)"
        )
    conn.execute(
        "create temp table holds on commit drop as"
        " select customer_id, profile_key as held_key,"
        "  'named account linked to or accepted for another customer' as reason"
        " from held_profiles"
        " union select held_by, 'customer:' || customer_id,"
        "  'named email of a customer record with another name' from held_customers"
    )
    conn.execute(
        "delete from meta.erasure_holds h where h.customer_id in"
        " (select customer_id from erased_customers) and not exists (select 1 from holds n"
        "  where n.customer_id = h.customer_id and n.held_key = h.held_key)"
    )
    conn.execute(
        "insert into meta.erasure_holds (customer_id, held_key, reason)"
        " select customer_id, held_key, reason from holds"
        " on conflict (customer_id, held_key) do update"
        " set reason = excluded.reason, last_held_at = now()"
    )


def _leave_out_what_is_not_theirs(conn: psycopg.Connection) -> None:
    """Take out of the erased profiles those we can tell are someone else's, whatever linked
    them (a request naming them, a staff decision, the model): a tracked brand's own accounts
    (brands.csv) and the accounts the CRM knows as a customer's who is not erased (and not as
    theirs too: where the CRM gives an account to both, erasure errs on their side). Logs, by
    request, what it left out and which requests name a customer the CRM never had (counts,
    never an identifier)."""
    tracked = brands.load()
    _hold_what_may_be_someone_elses(conn)
    conn.execute(
        "create temp table brand_accounts on commit drop as"
        " select unnest(%s::text[]) as profile_id",
        (
            [b.facebook_page_id for b in tracked]
            + [b.x_user_id for b in tracked]
            + [b.instagram_user_id for b in tracked if b.instagram_user_id]
            # an Instagram profile's id is its username
            + [b.instagram_username.lower() for b in tracked if b.instagram_username],
        ),
    )
    conn.execute(
        "create temp table brand_usernames on commit drop as select unnest(%s::text[]) as username",
        ([b.instagram_username.lower() for b in tracked if b.instagram_username],),
    )
    conn.execute(
        "create temp table brand_handles on commit drop as select unnest(%s::text[]) as handle",
        ([b.x_handle.lower() for b in tracked],),
    )
    # the accounts the CRM knows now (latest versions), an X account with the id or handle
    # it has landed under (two equality joins: an `or` cannot hash)
    conn.execute(
        "create temp table known_accounts on commit drop as"
        " select payload ->> 'customer_id' as customer_id, payload ->> 'platform' as platform,"
        "  payload ->> 'account_id' as profile_id, lower(payload ->> 'handle') as handle"
        " from (select distinct on (natural_key) * from raw.crm_customer_social_accounts"
        "  order by natural_key, ingest_seq desc) v where not is_deleted"
    )
    conn.execute(
        "update known_accounts k set profile_id = u.natural_key from raw.x_users u"
        " where k.platform = 'x' and k.profile_id is null"
        " and lower(u.payload ->> 'username') = k.handle"
    )
    conn.execute(
        "update known_accounts k set handle = lower(u.payload ->> 'username') from raw.x_users u"
        " where k.platform = 'x' and k.handle is null and u.natural_key = k.profile_id"
    )
    # an Instagram account's profile id is its username
    conn.execute(
        "update known_accounts set profile_id = handle"
        " where platform = 'instagram' and profile_id is null"
    )
    conn.execute(
        "create temp table not_theirs on commit drop as"  # noqa: S608
        " select distinct n.customer_id, n.value,"
        "  n.value in (select profile_id from brand_accounts) as is_brand"
        " from (select customer_id, profile_id as value from erased_profiles"
        f"  where profile_id is not null) n where {_NOT_THEIRS_ID}"
    )
    conn.execute(
        "delete from erased_profiles p using not_theirs n"
        " where p.customer_id = n.customer_id and p.profile_id = n.value"
    )
    conn.execute(
        "create temp table unknown_customers on commit drop as"
        " select customer_id from erased_customers e where not exists"
        " (select 1 from raw.crm_customers c where c.natural_key = e.customer_id)"
    )
    requests = conn.execute(
        "select (select count(*) from not_theirs n where n.customer_id = e.customer_id"
        "  and n.is_brand),"
        " (select count(*) from not_theirs n where n.customer_id = e.customer_id"
        "  and not n.is_brand),"
        " e.customer_id in (select customer_id from unknown_customers),"
        " (select count(*) from holds h where h.customer_id = e.customer_id)"
        " from erased_customers e order by e.customer_id"
    ).fetchall()
    for number, (brand, others, unknown, held) in enumerate(requests, 1):
        if brand or others or unknown or held:
            log.warning(
                "erasure request %d of %d: %s%d account(s) left out as a tracked brand's own,"
                " %d as another customer's known account; %d customer record(s) or account(s)"
                " held as maybe someone else's (hidden, not erased: meta.erasure_holds)",
                number,
                len(requests),
                "a customer id the CRM never had (only the accounts it names are erased); "
                if unknown
                else "",
                brand,
                others,
                held,
            )


def erase_from_files(folder: Path, tokens: set[str]) -> int:
    """Remove from every file under the CRM drop folder (not yet landed, `processed/`,
    `rejected/`) each record naming one of `tokens` (traces.py); returns the records and lines
    removed."""
    return traces.erase_from_folders({traces.DROP_FOLDER: folder}, tokens)


def _delete_profiles(
    conn: psycopg.Connection,
    table: str,
    columns: tuple[str, ...],
    rows: Callable[[str], str] = str,
    params: dict[str, object] | None = None,
) -> int:
    """Delete the rows of `table` (those `rows` keeps of it, on its sets) naming an erased
    profile in one of `columns`."""
    condition = " or ".join(
        f"{column} in (select profile_id from erased_profiles)"  # noqa: S608
        for column in columns
    )
    return conn.execute(
        f"delete from {table} where {rows(condition)}",  # noqa: S608
        params,
    ).rowcount
