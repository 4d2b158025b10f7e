"""Spikes in what people write to a brand: pure logic, the same in the live DAG and in replays.

Method (README, "Alerts"):
- Customer messages are counted per brand and channel in 10-minute slots (dbt view
  `int_brand_message_slots`: messages, and of them the negative ones).
- At each run, the last `window` (30 minutes) is compared with the same 30 minutes of the week,
  give or take `neighbours` windows, in each of the previous `baseline_weeks` weeks: the weekly
  rhythm (quiet nights, busy lunch hours, calmer weekends) is in the baseline itself. With 3
  weeks or more, the busiest week is left out: a past crisis at this hour does not hide the next.
- Volume: the expected count is the baseline's mean (at least its median and `min_expected`).
  A spike is a count at least `min_messages`, at least `min_ratio` times the expected one, and
  unlikely under a negative binomial law of the baseline's mean and variance (Poisson when not
  over-dispersed: social messages come in bursts), upper tail below `max_p_value`.
- Negatives: the same test on the negative messages alone, against their own baseline (tail
  below `max_negative_p_value`, at least `min_negatives`), with a share of the window at least
  `min_share_rise` above the brand's usual share over the baseline weeks
  (`default_negative_share` without history).
- No baseline (fewer than `min_weeks` weeks of history): no alert; a new brand learns first.
- Cool-down: a brand and channel that triggered in the last `cool_down` is in the same
  episode: one crisis, one alert. A calm `cool_down` ends the episode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy import stats

SLOT = timedelta(minutes=10)
WEEK = timedelta(weeks=1)


@dataclass(frozen=True)
class SpikeRule:
    window: timedelta = timedelta(minutes=30)
    baseline_weeks: int = 6
    min_weeks: int = 2
    # the baseline also reads the windows this many steps of `window` either side of the same
    # time in each earlier week (the same hour of the week, give or take an hour)
    neighbours: int = 2
    min_expected: float = 0.5
    min_messages: int = 6
    min_ratio: float = 3.0
    max_p_value: float = 1e-6
    max_negative_p_value: float = 1e-5
    min_negatives: int = 5
    min_share_rise: float = 0.3
    default_negative_share: float = 0.25
    cool_down: timedelta = timedelta(hours=6)


@dataclass(frozen=True)
class WindowCounts:
    """A window's messages and negatives; the same window (and its neighbours) in each earlier
    week; the messages and negatives of all the baseline weeks."""

    messages: int
    negatives: int
    baseline_messages: tuple[int, ...]
    baseline_negatives: tuple[int, ...]
    weeks: int
    usual_messages: int
    usual_negatives: int


@dataclass(frozen=True)
class Spike:
    kind: str  # volume_spike | negative_spike
    observed: float  # messages, or negative messages, in the window
    expected: float  # their usual count at this hour of the week
    p_value: float
    counts: WindowCounts


class SlotSeries:
    """One brand and channel's 10-minute slots (start -> messages, negatives) as running sums,
    and since when messages are known (the baseline counts only weeks after that)."""

    def __init__(
        self,
        slots: Mapping[datetime, tuple[int, int]] | None = None,
        known_since: datetime | None = None,
    ) -> None:
        self.slots = dict(slots or {})
        self.known_since = known_since
        self._sums: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def add(self, start: datetime, messages: int, negatives: int) -> None:
        m, n = self.slots.get(start, (0, 0))
        self.slots[start] = (m + messages, n + negatives)
        self._sums = None

    def _running(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._sums is None:
            starts = sorted(self.slots)
            seconds = np.array([s.timestamp() for s in starts], dtype=np.float64)
            counts = np.array([self.slots[s] for s in starts], dtype=np.int64).reshape(-1, 2)
            zero = np.zeros((1, 2), dtype=np.int64)
            sums = np.vstack([zero, np.cumsum(counts, axis=0)])
            self._sums = (seconds, sums[:, 0], sums[:, 1])
        return self._sums

    def between(self, lo: datetime, hi: datetime) -> tuple[int, int]:
        """Messages and negatives in the slots starting in [lo, hi)."""
        seconds, messages, negatives = self._running()
        a, b = np.searchsorted(seconds, [lo.timestamp(), hi.timestamp()], side="left")
        return int(messages[b] - messages[a]), int(negatives[b] - negatives[a])

    def counts(self, now: datetime, rule: SpikeRule) -> WindowCounts:
        end = slot_start(now)
        span = (rule.neighbours + 1) * rule.window
        weeks = 0
        if self.known_since is not None:
            while (
                weeks < rule.baseline_weeks and end - (weeks + 1) * WEEK - span >= self.known_since
            ):
                weeks += 1
        # every window's end, in one lookup: now, then each baseline week's neighbours
        steps = range(-rule.neighbours, rule.neighbours + 1)
        ends = [end] + [
            end - w * WEEK + k * rule.window for w in range(1, weeks + 1) for k in steps
        ]
        his = np.array([e.timestamp() for e in ends])
        seconds, messages, negatives = self._running()
        hi = np.searchsorted(seconds, his, side="left")
        lo = np.searchsorted(seconds, his - rule.window.total_seconds(), side="left")
        window_m, window_n = messages[hi] - messages[lo], negatives[hi] - negatives[lo]
        per_week = window_m[1:].reshape(weeks, len(steps))
        keep = np.ones(weeks, dtype=bool)
        if weeks >= 3:
            # the busiest week is left out: a past crisis at this hour must not hide the next
            keep[int(np.argmax(per_week.sum(axis=1)))] = False
        chosen = np.repeat(keep, len(steps))
        usual = self.between(end - weeks * WEEK, end - rule.window) if weeks else (0, 0)
        return WindowCounts(
            int(window_m[0]),
            int(window_n[0]),
            tuple(int(v) for v in window_m[1:][chosen]),
            tuple(int(v) for v in window_n[1:][chosen]),
            weeks,
            *usual,
        )


def slot_start(moment: datetime) -> datetime:
    """The start of the 10-minute slot `moment` is in (slots end where a run looks)."""
    return moment - timedelta(
        minutes=moment.minute % 10, seconds=moment.second, microseconds=moment.microsecond
    )


def _upper_tail(observed: int, values: tuple[int, ...], floor: float) -> tuple[float, float]:
    """(expected, P(X >= observed)) with X negative binomial of the values' mean and variance
    (Poisson when they are not over-dispersed); the expected count is at least their median
    and `floor`."""
    mean = max(float(np.mean(values)), float(np.median(values)), floor)
    variance = float(np.var(values, ddof=1)) if len(values) > 1 else mean
    if variance <= mean * 1.05:
        return mean, float(stats.poisson.sf(observed - 1, mean))
    size = mean * mean / (variance - mean)
    return mean, float(stats.nbinom.sf(observed - 1, size, size / (size + mean)))


def assess(counts: WindowCounts, rule: SpikeRule) -> list[Spike]:
    """The spikes in one window against its baseline (none with fewer than `min_weeks`)."""
    if counts.weeks < rule.min_weeks:
        return []
    spikes = []
    if counts.messages >= rule.min_messages:
        expected, p_value = _upper_tail(
            counts.messages, counts.baseline_messages, rule.min_expected
        )
        if counts.messages >= rule.min_ratio * expected and p_value < rule.max_p_value:
            spikes.append(Spike("volume_spike", counts.messages, expected, p_value, counts))
    usual = rule.default_negative_share
    if counts.usual_messages:
        usual = counts.usual_negatives / counts.usual_messages
    if counts.negatives >= rule.min_negatives:
        share = counts.negatives / counts.messages
        # a brand with no negative message yet still expects a few: never an expectation of 0
        floor = rule.min_expected * max(usual, rule.default_negative_share)
        expected, p_value = _upper_tail(counts.negatives, counts.baseline_negatives, floor)
        if (
            share >= usual + rule.min_share_rise
            and counts.negatives >= rule.min_ratio * expected
            and p_value < rule.max_negative_p_value
        ):
            spikes.append(Spike("negative_spike", counts.negatives, expected, p_value, counts))
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


def replay(
    series: Mapping[tuple[str, str], SlotSeries],
    start: datetime,
    end: datetime,
    rule: SpikeRule,
    every: timedelta = SLOT,
) -> list[tuple[tuple[str, str], datetime, list[Spike]]]:
    """The alerts the live DAG would have raised running every `every` from `start` to `end`
    over these slots (each run sees only the slots before it): (key, when, spikes)."""
    episodes = Episodes()
    raised = []
    now = start
    while now <= end:
        for key, slots in series.items():
            found = assess(slots.counts(now, rule), rule)
            if found and episodes.observe(key, now, rule):
                raised.append((key, now, found))
        now += every
    return raised
