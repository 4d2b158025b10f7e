"""Erasure requests: delete a customer's CRM rows and the social data of every profile linked
to them, from raw and from the incremental dbt tables merged from raw, in one transaction.

The erasure request itself is kept (it is how the marts keep excluding the person, and the
proof the request was honoured). Extraction may land the person's public social data again
from the APIs; the nightly run erases it again before any mart is built, and the marts exclude
erased customers in any case.
"""

from __future__ import annotations

import logging

import psycopg

from social_crm import catalog
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
MERGED_TABLES = {
    m.relation: m.profile_columns for m in catalog.INCREMENTAL_MODELS if m.profile_columns
}


def erase_requested(conn: psycopg.Connection) -> dict[str, int]:
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
            " select split_part(l.profile_key, ':', 2) as profile_id"
            " from intermediate.int_identity_links l"
            " join erased_customers e using (customer_id)"
            # and the accounts the CRM knows by id, linked or not
            " union select a.payload ->> 'account_id' from raw.crm_customer_social_accounts a"
            " join erased_customers e on a.scope_key = e.customer_id"
            " where a.payload ->> 'account_id' is not null"
        )
        deleted["crm_customers"] = conn.execute(
            "delete from raw.crm_customers where natural_key in"
            " (select customer_id from erased_customers)"
        ).rowcount
        for table in CUSTOMER_SCOPED_CRM_TABLES:
            deleted[table] = conn.execute(
                f"delete from raw.{table} where scope_key in"  # noqa: S608
                " (select customer_id from erased_customers)"
            ).rowcount
        for table, columns in {**SOCIAL_TABLES, **ACCOUNT_KEYED_TABLES}.items():
            deleted[table] = _delete_profiles(conn, table, columns)
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
    total = sum(deleted.values())
    log.info(
        "erasure: %d raw and merged rows deleted (%s)",
        total,
        ", ".join(f"{t}={n}" for t, n in deleted.items() if n),
    )
    return deleted


def _delete_profiles(conn: psycopg.Connection, table: str, columns: tuple[str, ...]) -> int:
    condition = " or ".join(
        f"{column} in (select profile_id from erased_profiles)"  # noqa: S608
        for column in columns
    )
    return conn.execute(f"delete from {table} where {condition}").rowcount  # noqa: S608
