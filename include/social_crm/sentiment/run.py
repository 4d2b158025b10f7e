"""The nightly sentiment step: score the customer messages that are new, whose text changed,
or that an older scorer version scored, into `scoring.message_sentiment`; remove the scores of
messages that no longer exist (deleted upstream or erased).

Reads `intermediate.int_message_texts` (every message with its text hash, the platform's
language tag and when it was last merged). Each batch is committed as it is scored, so a failed
run keeps what it scored and a rerun scores only the rest.

A pass reads every message the first time, when the scorer changed, when the messages table
was rebuilt (a full refresh) or once a week (WHOLE_PASS_EVERY: the scores of messages removed
other than by a tombstone go then). Otherwise it reads only the messages merged since the
previous pass could see (`warehouse.visibility_horizon`), and drops the scores of the messages
the merge log (meta.merge_deletions) says were deleted since: a night costs what it merged,
not the number of messages ever scored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from social_crm import sentiment, settings, warehouse
from social_crm.query_results import scalar
from social_crm.sentiment import workers as workers_

log = logging.getLogger(__name__)

BATCH = 10_000
TODO_CURSOR = "sentiment_todo"


WHOLE_PASS_EVERY = timedelta(days=7)
MESSAGES = "intermediate.int_messages_answered"


def run(conn: psycopg.Connection) -> dict[str, int]:
    began = time.monotonic()
    version = sentiment.version()
    # (each read in a transaction block of its own: none stays open, and each batch scored
    # below commits on its own)
    with conn.transaction():
        messages_table = warehouse.relation_oid(conn, MESSAGES)
        since = _reads_from(conn, version, messages_table)
        # recorded now: a pass that does not finish (its scorer may not be the next one's)
        # makes the next read every message
        pass_id = scalar(
            conn.execute(
                "insert into meta.sentiment_passes (reads_from, scorer_version, messages_table,"
                " read_whole) values (%s, %s, %s, %s) returning pass_id",
                (warehouse.visibility_horizon(conn), version, messages_table or 0, since is None),
            )
        )
        # a pass after one of this scorer reads only what the merge log says was deleted
        # since, and what merged since
        deleted, merged = "", ""
        if since is not None:
            deleted = (
                "s.message_id in (select d.record_id from meta.merge_deletions d"
                " where d.deleted_at >= %(since)s) and "
            )
            merged = "m.merged_at >= %(since)s and "
        params = {"version": version, "since": since}
        removed = conn.execute(
            f"delete from scoring.message_sentiment s where {deleted}not exists"  # noqa: S608 - this module's own conditions
            f" (select 1 from {MESSAGES} m where m.message_id = s.message_id)",
            params,
        ).rowcount
    query = (
        "select m.message_id, m.platform, m.message_text, m.platform_lang, m.text_hash"  # noqa: S608 - this module's own conditions
        " from intermediate.int_message_texts m"
        " left join scoring.message_sentiment s using (message_id)"
        f" where {merged}(s.message_id is null or s.text_hash <> m.text_hash"
        " or s.scorer_version <> %(version)s)"
    )
    scored = 0
    # the messages to score are read BATCH at a time from a cursor the server holds (its rows
    # are fixed when it is opened, whatever this pass writes), never all at once
    with conn.cursor(name=TODO_CURSOR, withhold=True, scrollable=True) as todo:
        with conn.transaction():
            todo.execute(query, params)
        total = _count(conn, todo)
        workers = min(settings.load().sentiment_workers, max(1, -(-total // BATCH)))
        log.info("sentiment: %d messages to score in %d process(es)", total, workers)
        for results in workers_.scored_batches(_batches(conn, todo), workers):
            _write(conn, results, version)
            scored += len(results)
            log.info("sentiment: %d of %d messages scored", scored, total)
        with conn.transaction():
            todo.close()
    with conn.transaction():
        conn.execute(
            "update meta.sentiment_passes set finished_at = now(), scored = %s, removed = %s"
            " where pass_id = %s",
            (scored, removed, pass_id),
        )
        if scored or removed:
            warehouse.analyze(conn, "scoring.message_sentiment")
    log.info(
        "sentiment: %d scored, %d removed, messages %s (scorer %s) in %.1fs",
        scored,
        removed,
        "all read" if since is None else f"merged since {since:%Y-%m-%d %H:%M %Z} read",
        version,
        time.monotonic() - began,
    )
    return {"scored": scored, "removed": removed}


def _count(conn: psycopg.Connection, todo: psycopg.ServerCursor) -> int:
    """The rows the cursor holds, it left where it was opened."""
    with conn.transaction():
        total = conn.execute(sql.SQL("move forward all in {}").format(sql.Identifier(todo.name)))
        conn.execute(sql.SQL("move absolute 0 in {}").format(sql.Identifier(todo.name)))
    return total.rowcount


def _batches(conn: psycopg.Connection, todo: psycopg.ServerCursor) -> Iterator[list[dict]]:
    """The cursor's rows BATCH at a time, as the scorer's messages (which it gives back with
    what it found: the platform and text hash ride along for the writer). Each read is a
    transaction block of its own, as each write is."""
    while True:
        with conn.transaction():
            rows = todo.fetchmany(BATCH)
        if not rows:
            return
        yield [
            {"id": r[0], "platform": r[1], "text": r[2] or "", "lang": r[3], "text_hash": r[4]}
            for r in rows
        ]


def _reads_from(
    conn: psycopg.Connection, version: str, messages_table: int | None
) -> datetime | None:
    """Where this pass reads the messages from: the previous pass's horizon, or None (every
    message) on a first pass, a new scorer, a rebuilt messages table, after a pass that did
    not finish, or when the last pass that read every message is WHOLE_PASS_EVERY old."""
    previous = conn.execute(
        "select reads_from, scorer_version, messages_table, finished_at is not null,"
        " (select max(started_at) from meta.sentiment_passes"
        "  where read_whole and finished_at is not null)"
        " from meta.sentiment_passes order by pass_id desc limit 1"
    ).fetchone()
    if previous is None or messages_table is None:
        return None
    reads_from, scorer, table, finished, last_whole = previous
    if scorer != version or table != messages_table or not finished or last_whole is None:
        return None
    now = scalar(conn.execute("select now()"))
    return None if now - last_whole >= WHOLE_PASS_EVERY else reads_from


def _write(conn: psycopg.Connection, results: list[dict], version: str) -> None:
    now = datetime.now(UTC)
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "insert into scoring.message_sentiment (message_id, platform, lang, sentiment, score,"
            " p_negative, p_neutral, p_positive, intent, text_hash, scorer_version, scored_at)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " on conflict (message_id) do update set platform = excluded.platform,"
            " lang = excluded.lang, sentiment = excluded.sentiment, score = excluded.score,"
            " p_negative = excluded.p_negative, p_neutral = excluded.p_neutral,"
            " p_positive = excluded.p_positive, intent = excluded.intent,"
            " text_hash = excluded.text_hash, scorer_version = excluded.scorer_version,"
            " scored_at = excluded.scored_at",
            [
                (
                    result["id"],
                    result["platform"],
                    result["lang"],
                    result["sentiment"],
                    result["score"],
                    result["p_negative"],
                    result["p_neutral"],
                    result["p_positive"],
                    result["intent"],
                    result["text_hash"],
                    version,
                    now,
                )
                for result in results
            ],
        )
