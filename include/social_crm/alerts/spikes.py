"""Spikes in what people write to a brand: pure logic, the same in the live DAG and in replays.

Method (README, "Alerts"):
- Customer messages are counted per brand and channel in 10-minute slots (dbt view
  `int_brand_message_slots`: messages, and of them the negative ones).
- At each run, the last `window` (30 minutes) is compared with the same 30 minutes of the
  week in each of the previous `baseline_weeks` weeks (same weekday, same hour): the weekly
  rhythm (quiet nights, busy lunch hours, calmer weekends) is in the baseline itself.
- Volume: the expected count is the median of those weeks (a past crisis in one of them does
  not move it), at least `min_expected`. A spike is a count at least `min_messages`, at least
  `min_ratio` times the expected one, and unlikely under a Poisson law of the expected mean
  (upper tail below `max_p_value`).
- Negative share: the usual share is pooled over the baseline weeks (`default_negative_share`
  without history). A spike is at least `min_negatives` negative messages, a share at least
  `min_share_rise` above the usual one, and unlikely under a binomial law of the usual share.
- No baseline (fewer than `min_weeks` weeks of history): no alert; a new brand learns first.
- Cool-down: a brand and channel that triggered in the last `cool_down` is in the same
  episode: one crisis, one alert. A calm `cool_down` ends the episode.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scipy import stats

SLOT = timedelta(minutes=10)
WEEK = timedelta(weeks=1)


@dataclass(frozen=True)
class SpikeRule:
    window: timedelta = timedelta(minutes=30)
    baseline_weeks: int = 6
    min_weeks: int = 2
    min_expected: float = 0.5
    min_messages: int = 6
    min_ratio: float = 3.0
    max_p_value: float = 1e-4
    min_negatives: int = 5
    min_share_rise: float = 0.3
    default_negative_share: float = 0.25
    cool_down: timedelta = timedelta(hours=6)


@dataclass(frozen=True)
class WindowCounts:
    """A window's messages and negatives, and the same window in each earlier week."""

    messages: int
    negatives: int
    baseline_messages: tuple[int, ...]
    baseline_negatives: tuple[int, ...]


@dataclass(frozen=True)
class Spike:
    kind: str  # volume_spike | negative_spike
    observed: float  # messages, or the negative share
    expected: float  # the usual count, or the usual share
    p_value: float
    counts: WindowCounts


@dataclass
class SlotSeries:
    """One brand and channel's slots: slot start -> (messages, negatives), and since when
    messages are known (the baseline only counts weeks after that)."""

    slots: dict[datetime, tuple[int, int]] = field(default_factory=dict)
    known_since: datetime | None = None

    def window(self, end: datetime, rule: SpikeRule) -> tuple[int, int]:
        messages = negatives = 0
        start = slot_start(end) - rule.window
        at = start
        while at < slot_start(end):
            m, n = self.slots.get(at, (0, 0))
            messages, negatives = messages + m, negatives + n
            at += SLOT
        return messages, negatives

    def counts(self, now: datetime, rule: SpikeRule) -> WindowCounts:
        messages, negatives = self.window(now, rule)
        base_m, base_n = [], []
        for week in range(1, rule.baseline_weeks + 1):
            then = now - week * WEEK
            if self.known_since is None or slot_start(then) - rule.window < self.known_since:
                break
            m, n = self.window(then, rule)
            base_m.append(m)
            base_n.append(n)
        return WindowCounts(messages, negatives, tuple(base_m), tuple(base_n))


def slot_start(moment: datetime) -> datetime:
    """The start of the 10-minute slot `moment` is in (slots end where a run looks)."""
    return moment - timedelta(
        minutes=moment.minute % 10, seconds=moment.second, microseconds=moment.microsecond
    )


def assess(counts: WindowCounts, rule: SpikeRule) -> list[Spike]:
    """The spikes in one window against its baseline weeks (none without `min_weeks`)."""
    if len(counts.baseline_messages) < rule.min_weeks:
        return []
    spikes = []
    expected = max(float(statistics.median(counts.baseline_messages)), rule.min_expected)
    if counts.messages >= rule.min_messages and counts.messages >= rule.min_ratio * expected:
        p_value = float(stats.poisson.sf(counts.messages - 1, expected))
        if p_value < rule.max_p_value:
            spikes.append(Spike("volume_spike", counts.messages, expected, p_value, counts))
    usual = rule.default_negative_share
    if sum(counts.baseline_messages):
        usual = sum(counts.baseline_negatives) / sum(counts.baseline_messages)
    if counts.negatives >= rule.min_negatives and counts.messages:
        share = counts.negatives / counts.messages
        if share >= usual + rule.min_share_rise:
            p_value = float(stats.binom.sf(counts.negatives - 1, counts.messages, usual))
            if p_value < rule.max_p_value:
                spikes.append(Spike("negative_spike", share, usual, p_value, counts))
    return spikes


class Episodes:
    """The cool-down: the last time each brand and channel triggered. `observe` says whether
    a trigger starts a new episode (alert) or continues one (no alert)."""

    def __init__(self, last_triggered: Mapping[tuple[str, str], datetime] | None = None) -> None:
        self.last_triggered = dict(last_triggered or {})

    def observe(self, key: tuple[str, str], now: datetime, rule: SpikeRule) -> bool:
        last = self.last_triggered.get(key)
        self.last_triggered[key] = now
        return last is None or now - last > rule.cool_down
