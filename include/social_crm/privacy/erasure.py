"""Erasure requests: delete a customer's CRM rows and the social data of every profile linked
to them, from raw and from the incremental dbt tables merged from raw, in one transaction.

The erasure request itself is kept (it is how the marts keep excluding the person, and the
proof the request was honoured). Extraction may land the person's public social data again
from the APIs; the nightly run erases it again before any mart is built, and the marts exclude
erased customers in any case.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import psycopg

from social_crm import catalog, settings
from social_crm.warehouse import relation_oid

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
}
# bookkeeping keyed by a person's account id
ACCOUNT_KEYED_TABLES = {"meta.x_follower_walks": ("account_id",)}
# the brand's replies addressed to an erased person (they name or quote them): replies to
# their messages, and X replies to their account or naming their handle
_X_REPLY = (
    "{reply_to_user} in (select profile_id from erased_profiles)"
    " or {replied_to} in (select message_id from erased_messages)"
    # the handles a text names, read once a row and looked up (not a pattern per handle)
    " or exists (select 1 from regexp_matches({text}, '@([A-Za-z0-9_]{{1,15}})', 'g') as m"
    "  where lower(m[1]) in (select handle from erased_handles))"
)
REPLIES_TO_THEM = {
    "raw.x_tweets": _X_REPLY.format(
        reply_to_user="payload ->> 'in_reply_to_user_id'",
        replied_to="jsonb_path_query_first(payload,"
        " '$.referenced_tweets[*] ? (@.type == \"replied_to\").id') #>> '{}'",
        text="payload ->> 'text'",
    ),
    "staging.stg_x__tweets": _X_REPLY.format(
        reply_to_user="in_reply_to_profile_id",
        replied_to="replied_to_tweet_id",
        text="message_text",
    ),
    "raw.facebook_comments": "payload -> 'parent' ->> 'id' in"
    " (select message_id from erased_messages)",
    "staging.stg_facebook__comments": "parent_comment_id in"
    " (select message_id from erased_messages)",
}
MERGED_TABLES = {
    m.relation: m.profile_columns for m in catalog.INCREMENTAL_MODELS if m.profile_columns
}


def erase_requested(conn: psycopg.Connection, drop_dir: Path | None = None) -> dict[str, int]:
    """Delete raw and merged data of every customer with an erasure request; returns rows
    deleted per table.

    Profiles are found through `intermediate.int_identity_links` (built before this runs)."""
    deleted: dict[str, int] = {}
    with conn.transaction():
        conn.execute(
            "create temp table erased_customers on commit drop as"
            " select distinct natural_key as customer_id from raw.crm_erasure_requests"
            " where not is_deleted"
        )
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
        )
        _collect_what_names_them(conn)
        deleted["crm_customers"] = conn.execute(
            "delete from raw.crm_customers where natural_key in"
            " (select customer_id from erased_customers)"
        ).rowcount
        for table in CUSTOMER_SCOPED_CRM_TABLES:
            deleted[table] = conn.execute(
                f"delete from raw.{table} where scope_key in"  # noqa: S608
                " (select customer_id from erased_customers)"
            ).rowcount
        # the brand's replies addressed to them, before their own messages
        for table, condition in REPLIES_TO_THEM.items():
            if relation_oid(conn, table):
                deleted[f"{table} (replies to them)"] = conn.execute(
                    f"delete from {table} where {condition}"  # noqa: S608
                ).rowcount
        for table, columns in {**SOCIAL_TABLES, **ACCOUNT_KEYED_TABLES}.items():
            deleted[table] = _delete_profiles(conn, table, columns)
        deleted["raw_quarantine.records"] = conn.execute(
            "delete from raw_quarantine.records where raw_text ~ any(array("
            "  select '(^|[^0-9A-Za-z_.@-])' || regexp_replace(token, '([.+*?^$()\\[\\]{}|\\\\])',"
            "    '\\\\\\1', 'g') || '($|[^0-9A-Za-z_.@-])' from erased_tokens))"
        ).rowcount
        # sentiment scores and staff corrections are keyed by message only: found through
        # the messages, deleted before them
        messages = "intermediate.int_messages_answered"
        if relation_oid(conn, messages):
            for table, key in MESSAGE_KEYED_TABLES.items():
                deleted[table] = conn.execute(
                    f"delete from {table} where {key} in (select message_id from"  # noqa: S608
                    f" {messages} where profile_id in (select profile_id from erased_profiles))"
                ).rowcount
        for table, columns in MERGED_TABLES.items():
            if relation_oid(conn, table):
                deleted[table] = _delete_profiles(conn, table, columns)
        # the links last: erased_profiles was read from them
        for table, profile in IDENTITY_TABLES.items():
            if relation_oid(conn, table):
                deleted[table] = _delete_profiles(conn, table, (profile,))
        _log(conn, sum(deleted.values()))
        file_tokens = {
            row[0]
            for row in conn.execute(
                "select token from erased_tokens union select message_id from erased_messages"
            )
        }
    # the export files last, once the warehouse side is committed (a file cannot roll back;
    # a run that fails here purges them at the next, by the customer ids still requested)
    folder = drop_dir if drop_dir is not None else settings.load().crm_drop_dir
    deleted["drop folder rows"] = erase_from_files(folder, file_tokens)
    total = sum(deleted.values())
    log.info(
        "erasure: %d raw and merged rows deleted (%s)",
        total,
        ", ".join(f"{t}={n}" for t, n in deleted.items() if n),
    )
    return deleted


def _log(conn: psycopg.Connection, rows_deleted: int) -> None:
    """One row per erased customer whose data this run found (the erasure log)."""
    if not rows_deleted:
        return
    conn.execute(
        "insert into meta.erasure_log (customer_id, profile_ids, rows_deleted)"
        " select e.customer_id, coalesce(array_agg(distinct p.profile_id)"
        "   filter (where p.profile_id is not null), '{}'), %s"
        " from erased_customers e left join erased_profiles p using (customer_id)"
        " group by e.customer_id",
        (rows_deleted,),
    )


def _collect_what_names_them(conn: psycopg.Connection) -> None:
    """Before anything is deleted: the erased people's messages, X handles, and the tokens
    that name them alone (customer ids, emails, profile ids: a handle can be a word of
    someone else's text), for what refers to them without being theirs (the brand's replies,
    quarantined rows, export files)."""
    conn.execute(
        "create temp table erased_messages on commit drop as"
        " select natural_key as message_id from raw.facebook_comments"
        "  where payload -> 'from' ->> 'id' in (select profile_id from erased_profiles)"
        " union select natural_key from raw.x_tweets"
        "  where payload ->> 'author_id' in (select profile_id from erased_profiles)"
    )
    conn.execute(
        "create temp table erased_handles on commit drop as"
        " select distinct lower(payload ->> 'username') as handle from raw.x_users"
        "  where natural_key in (select profile_id from erased_profiles)"
        "  and payload ->> 'username' is not null"
        " union select lower(a.payload ->> 'handle') from raw.crm_customer_social_accounts a"
        "  join erased_customers e on a.scope_key = e.customer_id"
        "  where a.payload ->> 'handle' is not null"
    )
    conn.execute(
        "create temp table erased_tokens on commit drop as"
        " select customer_id as token from erased_customers"
        " union select lower(payload ->> 'email') from raw.crm_customers"
        "  where natural_key in (select customer_id from erased_customers)"
        "  and payload ->> 'email' is not null"
        " union select profile_id from erased_profiles where profile_id is not null"
    )


def erase_from_files(folder: Path, tokens: set[str]) -> int:
    """Remove from every file under the CRM drop folder (not yet landed, `processed/`,
    `rejected/`) each row naming one of `tokens` as a whole field; the header stays. A file
    is rewritten in its own encoding, through a temporary file, only when a row goes.
    Returns the rows removed."""
    if not tokens or not folder.is_dir():
        return 0
    alternatives = "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))
    naming = re.compile(rf"(^|[,;\t|\"']){'(?:' + alternatives + ')'}($|[,;\t|\"'\r\n])", re.I)
    removed = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        encoding = "utf-8"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "cp1252" if _decodes(data, "cp1252") else "latin-1"
            text = data.decode(encoding)
        lines = text.splitlines(keepends=True)
        kept = lines[:1] + [line for line in lines[1:] if not naming.search(line)]
        if len(kept) == len(lines):
            continue
        removed += len(lines) - len(kept)
        temporary = path.with_name(f".{path.name}.erasing")
        temporary.write_bytes("".join(kept).encode(encoding))
        temporary.replace(path)
        log.info("erasure: %d row(s) removed from %s", len(lines) - len(kept), path.name)
    return removed


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _delete_profiles(conn: psycopg.Connection, table: str, columns: tuple[str, ...]) -> int:
    condition = " or ".join(
        f"{column} in (select profile_id from erased_profiles)"  # noqa: S608
        for column in columns
    )
    return conn.execute(f"delete from {table} where {condition}").rowcount  # noqa: S608
