"""The nightly sentiment step: score the customer messages that are new, whose text changed,
or that an older scorer version scored, into `scoring.message_sentiment`; remove the scores of
messages that no longer exist (deleted upstream or erased).

Reads `intermediate.int_message_texts` (every message with its text hash and the platform's
language tag). Each batch is committed as it is scored, so a failed run keeps what it scored
and a rerun scores only the rest.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import psycopg

from social_crm import sentiment, warehouse

log = logging.getLogger(__name__)

BATCH = 10_000


def run(conn: psycopg.Connection) -> dict[str, int]:
    began = time.monotonic()
    version = sentiment.version()
    with conn.transaction():
        removed = conn.execute(
            "delete from scoring.message_sentiment s where not exists"
            " (select 1 from intermediate.int_message_texts m where m.message_id = s.message_id)"
        ).rowcount
    todo = conn.execute(
        "select m.message_id, m.platform, m.message_text, m.platform_lang, m.text_hash"
        " from intermediate.int_message_texts m"
        " left join scoring.message_sentiment s using (message_id)"
        " where s.message_id is null or s.text_hash <> m.text_hash or s.scorer_version <> %s",
        (version,),
    ).fetchall()
    scored = 0
    for start in range(0, len(todo), BATCH):
        rows = todo[start : start + BATCH]
        results = sentiment.score_messages(
            [{"id": r[0], "text": r[2] or "", "lang": r[3]} for r in rows]
        )
        _write(conn, rows, results, version)
        scored += len(rows)
        log.info("sentiment: %d of %d messages scored", scored, len(todo))
    if scored or removed:
        warehouse.analyze(conn, "scoring.message_sentiment")
    total = conn.execute("select count(*) from scoring.message_sentiment").fetchone()[0]
    log.info(
        "sentiment: %d scored, %d removed, %d kept as they were (scorer %s) in %.1fs",
        scored,
        removed,
        total - scored,
        version,
        time.monotonic() - began,
    )
    return {"scored": scored, "removed": removed, "unchanged": total - scored}


def _write(conn: psycopg.Connection, rows: list[tuple], results: list[dict], version: str) -> None:
    now = datetime.now(UTC)
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "insert into scoring.message_sentiment (message_id, platform, lang, sentiment, score,"
            " intent, text_hash, scorer_version, scored_at)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " on conflict (message_id) do update set platform = excluded.platform,"
            " lang = excluded.lang, sentiment = excluded.sentiment, score = excluded.score,"
            " intent = excluded.intent, text_hash = excluded.text_hash,"
            " scorer_version = excluded.scorer_version, scored_at = excluded.scored_at",
            [
                (
                    row[0],
                    row[1],
                    result["lang"],
                    result["sentiment"],
                    result["score"],
                    result["intent"],
                    row[4],
                    version,
                    now,
                )
                for row, result in zip(rows, results, strict=True)
            ],
        )
