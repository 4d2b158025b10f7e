"""What the server says about its relations and transactions, and fresh planner statistics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from social_crm.query_results import one_row, scalar

if TYPE_CHECKING:
    import psycopg


def relation_oid(conn: psycopg.Connection, name: str) -> int | None:
    """The oid of table or view `name` ("schema.table"), None when it does not exist."""
    return scalar(conn.execute("select to_regclass(%s)::oid", (name,)))


def analyze(conn: psycopg.Connection, *tables: str) -> None:
    """Fresh planner statistics for tables a step has just rewritten. Autovacuum analyzes them
    later: a dbt model planned before that joins their new rows on the old estimates (at 10M
    events the engagements mart, planned on an empty sentiment table's, hashed 7.8M
    engagements by message id, most of them null, and spilled 30 GB of batches)."""
    for table in tables:
        conn.execute(f"analyze {table}")  # the callers' own table names


# how far back a reader starts when it cannot see when the other sessions' open transactions
# began (a role without pg_read_all_stats): no landing or merge lasts this long
HIDDEN_TRANSACTIONS_OVERLAP = timedelta(days=1)


def visibility_horizon(conn: psycopg.Connection) -> datetime:
    """Where a reader of rows stamped with their writing time (`merged_at`, a batch's
    `finished_at`) starts next, to miss nothing it cannot see now: the start of the oldest
    transaction open on this database (this session's own at the latest). A row this session
    cannot see was written by one of those or a later one, whose stamps (`now()`,
    `statement_timestamp()`) are that start or later. When another session's transaction is
    hidden from this role, HIDDEN_TRANSACTIONS_OVERLAP before now."""
    oldest, hidden, started = one_row(
        conn.execute(
            "select min(xact_start), bool_or(state is null), now() from pg_stat_activity"
            " where datname = current_database() and backend_type = 'client backend'"
        )
    )
    if hidden or oldest is None:
        return started - HIDDEN_TRANSACTIONS_OVERLAP
    return min(oldest, started)
