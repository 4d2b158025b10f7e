"""Raw X Posts' search columns (`mentioned_handles`, `referenced_post_ids`, migration 0049)
filled for the Posts landed before the columns existed, in batches of their own
transactions. Landing fills new Posts' columns from the payload in Python
(`social_crm.load.x_posts`); these are the same values in SQL, through the migration's
functions (`meta.text_mentions`, `meta.x_post_references`). In the warehouse layer: bootstrap
runs it after the migrations."""

from __future__ import annotations

import logging

import psycopg

from social_crm.query_results import one_row, scalar

log = logging.getLogger(__name__)

COLUMNS = ("mentioned_handles", "referenced_post_ids")
# the raw tables with columns landing fills from each payload besides the landing contract's
# (load/landing.py DERIVED fills them; the raw gate expects them)
DERIVED_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {("x", "tweets"): COLUMNS}
# the Posts not read yet (landed before migration 0049; its partial index finds them)
NOT_DERIVED = " or ".join(f"{column} is null" for column in COLUMNS)
# the columns' values in SQL, from a row's payload: the SQL twins of `derived` (a tombstone's
# payload has neither field: empty arrays)
DERIVED_SQL = {
    "mentioned_handles": "coalesce(meta.text_mentions(payload ->> 'text'), '{}')",
    "referenced_post_ids": "coalesce(meta.x_post_references(payload), '{}')",
}
BACKFILL_BATCH = 20_000


def backfill(conn: psycopg.Connection, batch: int = BACKFILL_BATCH) -> int:
    """Fill the columns of the Posts not read yet (NOT_DERIVED), `batch` rows a transaction
    (each commits, as does what `conn` did before: landing, which fills its own rows, and
    erasure go on between them), logging progress; returns the rows filled. Nothing to do
    costs one look-up of a partial index."""
    pending = scalar(
        conn.execute(f"select count(*) from raw.x_tweets where {NOT_DERIVED}")  # noqa: S608
    )
    if not pending:
        return 0
    log.info("raw.x_tweets: reading the mentions and referenced Posts of %d Posts", pending)
    filled, after = 0, 0
    setting = ", ".join(f"{column} = {value}" for column, value in DERIVED_SQL.items())
    while True:
        if not conn.autocommit:
            conn.commit()  # what came before; each batch then commits on its own
        count, last = one_row(
            conn.execute(
                "with picked as (select ingest_seq from raw.x_tweets"  # noqa: S608
                f"  where ({NOT_DERIVED}) and ingest_seq > %s order by ingest_seq limit %s),"
                f" done as (update raw.x_tweets t set {setting} from picked p"
                "  where t.ingest_seq = p.ingest_seq returning t.ingest_seq)"
                " select count(*), max(ingest_seq) from done",
                (after, batch),
            )
        )
        if not conn.autocommit:
            conn.commit()
        if not count:
            break
        filled, after = filled + count, last
        log.info("raw.x_tweets: %d of %d Posts read", filled, pending)
    return filled
