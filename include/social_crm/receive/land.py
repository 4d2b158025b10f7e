"""Landing a verified delivery's changes into `raw.webhook_events`, through the landing code
every source uses (`LandingBatch`): one batch per delivery, committed before the receiver
answers 200, so a crash before the commit lands nothing and Meta's retry brings it again.

A change is immutable: its natural key is its content (`changes.change_key`), so a change
already in raw is not landed again, whatever `entry.time` a retry carries; nor is an invalid
change quarantined twice. Both are decided under the receiver's lock (`RECEIVER_LOCK`), which
every delivery takes alone, in turn, from its check to its commit (from any number of receiver
processes): two deliveries of the same change at once land it once. (The landing code's own
locks let batches of one entity land side by side and only serialise their commits; a
delivery's check of what raw already holds must come after the other's commit.)
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from dataclasses import dataclass

import psycopg

from social_crm.load.landing import BatchBusy, LandingBatch, RawRecord
from social_crm.query_results import scalar
from social_crm.receive.changes import Refused

log = logging.getLogger(__name__)

SOURCE, ENTITY = "webhook", "events"
LOCK_WAIT_S = 20.0  # a delivery waits this long for the deliveries landing before it
RECEIVER_LOCK = "webhook-receiver:events"  # the advisory lock a delivery holds alone to land


class ReceiverBusy(RuntimeError):
    """The landing lock stayed taken for LOCK_WAIT_S: answered 503, Meta retries."""


@dataclass(frozen=True)
class Landed:
    batch_id: str
    landed: int
    already: int
    quarantined: int


def land(
    conn: psycopg.Connection, found: list[RawRecord | Refused], secrets: tuple[str, ...] = ()
) -> Landed:
    """Land a delivery's records and quarantine its refused changes, in one batch; changes
    landed (quarantined) before are left out. Waits its turn for the landing lock."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            return _land_once(conn, found, secrets)
        except BatchBusy:
            if time.monotonic() >= deadline:
                raise ReceiverBusy(
                    f"raw.webhook_events stayed locked by other deliveries for {LOCK_WAIT_S:.0f}s"
                ) from None
            time.sleep(random.uniform(0.005, 0.05))


def _land_once(
    conn: psycopg.Connection, found: list[RawRecord | Refused], secrets: tuple[str, ...]
) -> Landed:
    if not scalar(conn.execute("select pg_try_advisory_lock(hashtext(%s))", (RECEIVER_LOCK,))):
        raise BatchBusy("another delivery is landing")
    try:
        return _land_alone(conn, found, secrets)
    finally:
        conn.execute("select pg_advisory_unlock(hashtext(%s))", (RECEIVER_LOCK,))


def _land_alone(
    conn: psycopg.Connection, found: list[RawRecord | Refused], secrets: tuple[str, ...]
) -> Landed:
    records = list({r.natural_key: r for r in reversed(_of(found, RawRecord))}.values())
    refused = list({r.raw_text: r for r in _of(found, Refused)}.values())
    with LandingBatch(conn, SOURCE, ENTITY, secrets=secrets) as batch:
        # under the lock: what is in raw (quarantine) now stays so until this batch commits
        known = {
            row[0]
            for row in conn.execute(
                "select distinct natural_key from raw.webhook_events where natural_key = any(%s)",
                ([r.natural_key for r in records],),
            ).fetchall()
        }
        quarantined = {
            row[0]
            for row in conn.execute(
                "select distinct raw_text from raw_quarantine.records where source = %s"
                " and entity = %s and md5(raw_text) = any(%s) and raw_text = any(%s)",
                (
                    SOURCE,
                    ENTITY,
                    [_md5(r.raw_text) for r in refused],
                    [r.raw_text for r in refused],
                ),
            ).fetchall()
        }
        for record in records:
            if record.natural_key not in known:
                batch.add(record)
        for change in refused:
            if change.raw_text not in quarantined:
                batch.quarantine(change.raw_text, change.reason)
    r = batch.result
    return Landed(r.batch_id, r.landed, len(known), r.quarantined)


def _md5(text: str) -> str:
    """PostgreSQL's md5() of a text (the quarantine's index on webhook records)."""
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _of(found: list, kind: type) -> list:
    return [item for item in found if isinstance(item, kind)]
