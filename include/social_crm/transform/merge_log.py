"""Pruning meta.merge_deletions, the log of records the incremental staging tables deleted
(tombstones). Each incremental model downstream reads the entries newer than its own last
merge, so an entry older than every incremental table's last merge has been read by all of
them and can go. Every table with a merged_at column counts, whether or not it reads the log:
a table that has not merged for a while holds the log back, never the other way round. So
does the sentiment step, which drops the scores of the messages the log names."""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from social_crm.query_results import scalar

log = logging.getLogger(__name__)

SCHEMAS = ("staging", "intermediate", "marts_build")


def prune(conn: psycopg.Connection) -> int:
    """Delete the log entries every incremental table has merged past; returns how many."""
    tables = conn.execute(
        "select table_schema, table_name from information_schema.columns"
        " where column_name = 'merged_at' and table_schema = any(%s)"
        " order by 1, 2",
        (list(SCHEMAS),),
    ).fetchall()
    if not tables:
        return 0
    last_merges = sql.SQL(" union all ").join(
        [
            sql.SQL("select max(merged_at) as merged_at from {}").format(sql.Identifier(*table))
            for table in tables
        ]
        # the sentiment step reads the log from its last pass's horizon on, too
        + [sql.SQL("select max(reads_from) from meta.sentiment_passes")]
    )
    # min() skips an empty table's null: an empty table has nothing to delete
    oldest = conn.execute(sql.SQL("select min(merged_at) from ({}) as m").format(last_merges))
    horizon = scalar(oldest)
    if horizon is None:
        return 0
    pruned = conn.execute(
        "delete from meta.merge_deletions where deleted_at < %s", (horizon,)
    ).rowcount
    log.info("merge log: %d entries every incremental table has merged past pruned", pruned)
    return pruned
