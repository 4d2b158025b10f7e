"""Spike alerts against the simulator's crises: which crises were alerted in time, which
alerts were about a crisis, and whether any fired on a quiet holiday.

A crisis counts as found when an alert for its brand and channel comes within `in_time` of its
start; an alert counts as right when it comes during a crisis of its brand and channel (from
its start to its end)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from social_crm.alerts.spikes import SlotSeries, slot_start
from social_crm_dev.simulator.activity import Message
from social_crm_dev.simulator.config import BRANDS, WORLD_START
from social_crm_dev.simulator.incidents import local_day_bounds
from social_crm_dev.simulator.responses import to_datetime
from social_crm_dev.simulator.world import World

IN_TIME = timedelta(minutes=30)


@dataclass(frozen=True)
class AlertQuality:
    crises: int
    found_in_time: int
    alerts: int
    alerts_right: int
    alerts_on_quiet_holidays: int
    delays_minutes: tuple[float, ...]

    @property
    def recall(self) -> float:
        return self.found_in_time / self.crises if self.crises else 1.0

    @property
    def precision(self) -> float:
        return self.alerts_right / self.alerts if self.alerts else 1.0

    def lines(self) -> list[str]:
        delays = sorted(self.delays_minutes)
        return [
            f"crises alerted within {IN_TIME.total_seconds() / 60:.0f} minutes:"
            f" {self.found_in_time} of {self.crises} (recall {self.recall:.2f});"
            f" delays {', '.join(f'{d:.0f}' for d in delays)} min",
            f"alerts during a crisis: {self.alerts_right} of {self.alerts}"
            f" (precision {self.precision:.2f});"
            f" on quiet holidays: {self.alerts_on_quiet_holidays}",
        ]


def measure(world: World, alerts: Iterable[tuple[tuple[str, str], datetime]]) -> AlertQuality:
    alerts = list(alerts)
    crises = [
        (BRANDS[c.brand].key, c.channel, to_datetime(c.start), to_datetime(c.end))
        for c in world.incidents.crises
        if c.start <= world.clock
    ]
    quiet = [
        (BRANDS[brand].key, *(to_datetime(s) for s in local_day_bounds(brand, day)))
        for brand, days in world.incidents.quiet_days.items()
        for day in days
    ]
    found, delays = 0, []
    for brand, channel, start, _ in crises:
        hits = [at for (b, c), at in alerts if (b, c) == (brand, channel) and start <= at]
        first = min(hits, default=None)
        if first is not None and first - start <= IN_TIME:
            found += 1
            delays.append((first - start).total_seconds() / 60)
    right = sum(
        any(b == brand and c == channel and start <= at <= end for b, c, start, end in crises)
        for (brand, channel), at in alerts
    )
    on_holidays = sum(
        any(b == brand and start <= at < end for b, start, end in quiet)
        for (brand, _), at in alerts
    )
    return AlertQuality(len(crises), found, len(alerts), right, on_holidays, tuple(delays))


def _slots(messages: Iterable[Message]) -> SlotSeries:
    """The 10-minute slots of customer messages, negatives by their true labels."""
    slots = SlotSeries(known_since=WORLD_START)
    for m in messages:
        if m.person is not None:
            slots.add(slot_start(to_datetime(m.created)), 1, int(m.sentiment == "negative"))
    return slots


def truth_series(world: World) -> dict[tuple[str, str], SlotSeries]:
    """10-minute slots of the world's X mentions per brand, negatives by their true labels
    (the detector alone, without extraction or the sentiment model)."""
    return {
        (spec.key, "x"): _slots(
            m
            for day in range(world.last_day + 1)
            for m in world.tweets_created_on(brand, day)
            if m.created <= world.clock
        )
        for brand, spec in enumerate(BRANDS)
    }


def truth_facebook_series(world: World) -> dict[tuple[str, str], SlotSeries]:
    """10-minute slots of the world's Facebook comments, replies and visitor posts per brand,
    negatives by their true labels."""
    return {
        (spec.key, "facebook"): _slots(
            m
            for kind in ("post", "visitor_post")
            for post in world.posts(brand, kind)
            for m in [*world.post(post.id).comments, *([post.author] if post.author else [])]
            if m.visible(world.clock)
        )
        for brand, spec in enumerate(BRANDS)
    }
