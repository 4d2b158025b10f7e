"""Which changes of `raw.webhook_events` the pipeline has acted on (`meta.webhook_changes_read`,
migration 0039): the one rule both readers of announced comments follow (Facebook
`facebook_webhooks.py`, Instagram `instagram_webhooks.py`). A change is marked in the
transaction that lands what it announced: read once, and read again when that failed."""

from __future__ import annotations

from typing import Any

import psycopg

from social_crm.load.landing import LandingBatch

READ_AT_MOST = 5_000  # changes a cycle reads (the rest: the next cycle)


def unread(conn: psycopg.Connection, obj: str, field: str) -> list[tuple[str, str, dict]]:
    """(natural key, entry id, value) of the `obj` `field` changes not acted on yet, oldest
    first."""
    return [
        (key, entry, value if isinstance(value, dict) else {})
        for key, entry, value in conn.execute(
            "select e.natural_key, e.payload ->> 'entry_id', e.payload -> 'value'"
            " from raw.webhook_events as e"
            " where e.payload ->> 'object' = %s and e.payload ->> 'field' = %s"
            "   and not e.is_deleted and not exists ("
            "     select 1 from meta.webhook_changes_read as r"
            "     where r.natural_key = e.natural_key)"
            " order by e.event_at, e.natural_key limit %s",
            (obj, field, READ_AT_MOST),
        ).fetchall()
    ]


def mark_read(batch: LandingBatch, outcomes: dict[str, Any]) -> None:
    """Mark the changes `outcomes` names (natural key -> what was done) read when `batch`
    commits."""
    if not outcomes:
        return
    keys = sorted(outcomes)
    batch.with_commit(
        "insert into meta.webhook_changes_read (natural_key, outcome, batch_id)"
        " select unnest(%s::text[]), unnest(%s::text[]), %s::uuid"
        " on conflict (natural_key) do nothing",
        (keys, [str(outcomes[k]) for k in keys], batch.result.batch_id),
    )
