"""Which changes of `raw.webhook_events` the pipeline has acted on (`meta.webhook_changes_read`,
migration 0039): the one rule both readers of announced comments follow (Facebook
`facebook_webhooks.py`, Instagram `instagram_webhooks.py`). A change is marked in the
transaction that lands what it announced: read once, and read again when that failed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

from social_crm.load.landing import LandingBatch
from social_crm.query_results import scalar

READ_AT_MOST = 5_000  # changes a cycle reads (the rest: the next cycle)


_UNREAD = (
    " from raw.webhook_events as e"
    " where e.payload ->> 'object' = %s and e.payload ->> 'field' = %s"
    "   and not e.is_deleted and not exists ("
    "     select 1 from meta.webhook_changes_read as r"
    "     where r.natural_key = e.natural_key)"
)


def pending(conn: psycopg.Connection, obj: str, field: str) -> bool:
    """Whether any `obj` `field` change, of any entry, is unread (before asking the API
    which entries this run can read)."""
    return bool(scalar(conn.execute(f"select exists (select 1{_UNREAD})", (obj, field))))


def unread(
    conn: psycopg.Connection, obj: str, field: str, entries: Iterable[str]
) -> list[tuple[str, str, dict]]:
    """(natural key, entry id, value) of the `obj` `field` changes of `entries` (the Pages or
    accounts this run can read) not acted on yet, oldest first. Changes of other entries are
    not even looked at: left unread, however many pile up, they never fill a cycle's window
    and stop the readable ones being read."""
    scopes = sorted({f"{obj}:{entry}" for entry in entries})
    if not scopes:
        return []
    return [
        (key, entry, value if isinstance(value, dict) else {})
        for key, entry, value in conn.execute(
            "select e.natural_key, e.payload ->> 'entry_id', e.payload -> 'value'"
            f"{_UNREAD} and e.scope_key = any(%s)"
            " order by e.event_at, e.natural_key limit %s",
            (obj, field, scopes, READ_AT_MOST),
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
