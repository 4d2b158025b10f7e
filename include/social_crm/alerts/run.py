"""The live DAG's alert step: high-priority messages past their SLA and spikes in what people
write, recorded once in `meta.alerts` and posted to `SOCIAL_CRM_ALERT_WEBHOOK` (and the task
log).

- SLA: a high-priority message of one of our brands (brands.csv `is_ours`) in the published
  queue (`marts.open_conversations`) past its SLA target is alerted once, with a link to it.
  Only a breach of the last `SLA_RECENT` business time is new: a queue that waited through a
  weekend alerts on Monday morning, but a first run does not alert a week of history. Beyond
  `MAX_SLA_ALERTS` in one run, the rest go out as one summary line.
- Spikes (every tracked brand, rivals too): `alerts/spikes.py`, one alert per episode.
- Delivery: an alert the webhook did not take is tried again on the next runs, up to
  `MAX_DELIVERY_ATTEMPTS` times; nothing is lost to a webhook that is down for a while.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import psycopg

from social_crm import settings
from social_crm.alerts import notify
from social_crm.alerts.spikes import Episodes, SlotSeries, Spike, SpikeRule, assess
from social_crm.extract import brands

log = logging.getLogger(__name__)

SLA_RECENT = timedelta(hours=2)  # of business time: a breach older than that is not new
MAX_SLA_ALERTS = 25
MAX_DELIVERY_ATTEMPTS = 5


def rule_from_settings() -> SpikeRule:
    return SpikeRule(cool_down=timedelta(hours=settings.load().spike_cool_down_hours))


def run(conn: psycopg.Connection, now: datetime, rule: SpikeRule | None = None) -> dict[str, int]:
    """Raise the alerts due at `now` and deliver every alert not delivered yet."""
    rule = rule or rule_from_settings()
    tracked = brands.load()
    names = {b.key: b.name for b in tracked}
    ours = {b.key for b in tracked if b.is_ours}
    raised = _sla_breaches(conn, now, ours, names)
    spikes = _spikes(conn, now, rule, names)
    delivered, failed = deliver(conn)
    summary = {
        "sla_breaches": raised,
        "spikes": spikes,
        "delivered": delivered,
        "undelivered": failed,
    }
    log.info("alerts at %s: %s", now.isoformat(), summary)
    return summary


# --- SLA breaches -------------------------------------------------------------------------


def _sla_breaches(
    conn: psycopg.Connection, now: datetime, ours: set[str], names: dict[str, str]
) -> int:
    rows = conn.execute(
        "select o.message_id, o.brand_key, o.channel, o.message_url, o.waited_business_seconds,"
        " o.sla_target_seconds, o.customer_id, o.social_clv, o.intent, o.sentiment"
        " from marts.open_conversations o"
        " where o.priority = 'high' and o.is_sla_breached and o.brand_key = any(%s)"
        " and o.waited_business_seconds - o.sla_target_seconds <= %s"
        " and not exists (select 1 from meta.alerts a"
        "   where a.kind = 'sla_breach' and a.message_id = o.message_id)"
        " order by o.priority_score desc, o.occurred_at",
        (sorted(ours), int(SLA_RECENT.total_seconds())),
    ).fetchall()
    with conn.transaction():
        for number, row in enumerate(rows):
            message_id, brand, channel, url, waited, target, customer, clv, intent, tone = row
            who = f"customer {customer}" if customer else "a person"
            if customer and clv is not None:
                who += f" (social CLV {clv:,.0f})"
            text = (
                f"social_crm: {names.get(brand, brand)} on {channel}: a {tone or 'high-priority'}"
                f" {intent or 'message'} from {who} has waited {waited // 60} business minutes"
                f" (SLA {target // 60}): {url}"
            )
            details = {
                "message_url": url,
                "waited_business_seconds": waited,
                "sla_target_seconds": target,
                "customer_id": customer,
            }
            # past the per-run cap: recorded (never alerted again), summarised in one line
            delivered = now if number >= MAX_SLA_ALERTS else None
            _record(conn, "sla_breach", brand, channel, message_id, now, text, details, delivered)
    if len(rows) > MAX_SLA_ALERTS:
        notify.post(
            f"social_crm: and {len(rows) - MAX_SLA_ALERTS} more high-priority messages past"
            " their SLA: see marts.open_conversations",
            {"kind": "sla_breach_summary", "count": len(rows) - MAX_SLA_ALERTS},
        )
    return len(rows)


# --- spikes -------------------------------------------------------------------------------


def load_series(
    conn: psycopg.Connection, since: datetime | None = None
) -> dict[tuple[str, str], SlotSeries]:
    """Each brand and channel's 10-minute slots (from `since`: what a run needs), and since
    when it has messages."""
    series: dict[tuple[str, str], SlotSeries] = {}
    # one read of the view: each series' first slot over all of it, its slots from `since`
    for brand, channel, start, messages, negatives, first in conn.execute(
        "select * from (select brand_key, channel, slot_start, messages, negatives,"
        " min(slot_start) over (partition by brand_key, channel) as first_slot"
        " from intermediate.int_brand_message_slots) as s"
        " where %(since)s::timestamptz is null or slot_start >= %(since)s",
        {"since": since},
    ):
        found = series.setdefault((brand, channel), SlotSeries(known_since=first))
        found.add(start, messages, negatives)
    return series


def _spikes(conn: psycopg.Connection, now: datetime, rule: SpikeRule, names: dict[str, str]) -> int:
    since = now - rule.baseline_weeks * timedelta(weeks=1) - rule.window - timedelta(hours=1)
    series = load_series(conn, since)
    last = {
        (brand, channel): at
        for brand, channel, at in conn.execute(
            "select brand_key, channel, max(last_triggered_at) from meta.spike_episodes"
            " group by 1, 2"
        )
    }
    episodes = Episodes(last)
    raised = 0
    with conn.transaction():
        for key, slots in sorted(series.items()):
            found = assess(slots.counts(now, rule), rule)
            if not found:
                continue
            if episodes.observe(key, now, rule):
                text, details = spike_text(key, found, now, rule, names)
                alert_id = _record(conn, found[0].kind, *key, None, now, text, details, None)
                conn.execute(
                    "insert into meta.spike_episodes (brand_key, channel, started_at,"
                    " last_triggered_at, alert_id) values (%s, %s, %s, %s, %s)",
                    (*key, now, now, alert_id),
                )
                raised += 1
            else:
                conn.execute(
                    "update meta.spike_episodes set last_triggered_at = %(now)s"
                    " where brand_key = %(brand)s and channel = %(channel)s"
                    " and started_at = (select max(started_at) from meta.spike_episodes"
                    " where brand_key = %(brand)s and channel = %(channel)s)",
                    {"now": now, "brand": key[0], "channel": key[1]},
                )
    return raised


def spike_text(
    key: tuple[str, str],
    spikes: Iterable[Spike],
    now: datetime,
    rule: SpikeRule,
    names: dict[str, str],
) -> tuple[str, dict]:
    brand, channel = key
    minutes = int(rule.window.total_seconds() // 60)
    parts: list[str] = []
    details: dict[str, object] = {"window_minutes": minutes}
    for spike in spikes:
        counts = spike.counts
        if spike.kind == "volume_spike":
            parts.append(
                f"{counts.messages} messages in the last {minutes} minutes, "
                f"{counts.messages / spike.expected:.1f}x the usual {spike.expected:.2g} for"
                f" this hour of the week"
            )
        else:
            share = counts.negatives / counts.messages
            usual = counts.usual_negatives / counts.usual_messages if counts.usual_messages else 0
            parts.append(
                f"{counts.negatives} negative ({share:.0%} of them; usually {usual:.0%}),"
                f" {counts.negatives / spike.expected:.1f}x the usual {spike.expected:.2g}"
            )
        details[spike.kind] = {
            "observed": spike.observed,
            "expected": spike.expected,
            "p_value": spike.p_value,
            "messages": counts.messages,
            "negatives": counts.negatives,
            "baseline_messages": list(counts.baseline_messages),
        }
    text = (
        f"social_crm: spike for {names.get(brand, brand)} on {channel} at"
        f" {now:%Y-%m-%d %H:%M} UTC: {'; '.join(parts)}"
    )
    return text, details


# --- record and deliver -------------------------------------------------------------------


def _record(
    conn: psycopg.Connection,
    kind: str,
    brand: str,
    channel: str,
    message_id: str | None,
    now: datetime,
    text: str,
    details: dict,
    delivered_at: datetime | None,
) -> int | None:
    row = conn.execute(
        "insert into meta.alerts (kind, brand_key, channel, message_id, as_of, text, details,"
        " delivered_at) values (%s, %s, %s, %s, %s, %s, %s, %s)"
        " on conflict do nothing returning alert_id",
        (kind, brand, channel, message_id, now, text, json.dumps(details), delivered_at),
    ).fetchone()
    return row[0] if row else None


def deliver(conn: psycopg.Connection) -> tuple[int, int]:
    """Post every alert not delivered yet (oldest first); returns (delivered, still failing).
    Each is read again and locked while it is posted: an alert an erasure deleted meanwhile
    (privacy/erasure.py) is not posted, and the erasure waits for a post under way."""
    pending = conn.execute(
        "select alert_id from meta.alerts"
        " where delivered_at is null and delivery_attempts < %s order by alert_id",
        (MAX_DELIVERY_ATTEMPTS,),
    ).fetchall()
    delivered = failed = 0
    for (alert_id,) in pending:
        with conn.transaction():
            row = conn.execute(
                "select kind, text, details from meta.alerts"
                " where alert_id = %s and delivered_at is null for update",
                (alert_id,),
            ).fetchone()
            if row is None:
                continue
            kind, text, details = row
            ok = notify.post(text, {"kind": kind, "alert_id": alert_id, **details})
            conn.execute(
                "update meta.alerts set delivery_attempts = delivery_attempts + 1,"
                " delivered_at = case when %s then now() end where alert_id = %s",
                (ok, alert_id),
            )
        delivered, failed = delivered + ok, failed + (not ok)
    return delivered, failed
