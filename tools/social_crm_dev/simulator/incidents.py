"""When people write, and the incidents the live queue and its alerts are tested against.

- The weekly rhythm: people write to brands by day more than by night, and less at weekends
  (hour-of-day weights in the brand's local time, weekday factors; both average 1, so the
  config's rates stay daily means).
- Quiet holidays: on the brand's public holidays people write less and the brand's care team
  is closed: its answers wait for the next working day.
- Crises: for a few hours a brand's X mentions run at `multiplier` times its average hourly
  rate, mostly negative complaints (a product fault, a viral post).
- Reply outages: for a few hours the brand answers nobody (a tool down, a team away); the
  answers due then come once it is over.

Crises and outages are planned from the world's seed after a warm-up of `WARM_UP_DAYS` (the
weeks a baseline needs) and at least `SPACING_DAYS` apart, never on a quiet holiday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from social_crm_dev.simulator.config import BRANDS, DAY, WORLD_START, WorldConfig
from social_crm_dev.simulator.rng import rng_for

# local hour 0..23: night, morning, working day, evening (mean 1)
_HOUR_SHAPE = np.array(
    [0.25, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.3, 1.5, 1.5, 1.5,
     1.6, 1.5, 1.4, 1.4, 1.4, 1.4, 1.5, 1.6, 1.5, 1.2, 0.8, 0.45]
)  # fmt: skip
HOUR_WEIGHTS = _HOUR_SHAPE / _HOUR_SHAPE.mean()
# ISO weekday 1..7 (Monday..Sunday)
WEEKDAY_FACTORS = {1: 1.05, 2: 1.05, 3: 1.05, 4: 1.05, 5: 1.0, 6: 0.9, 7: 0.85}

# each brand's local time zone (as its service hours say) and the holidays its team is closed
TIME_ZONES = ("Europe/Oslo", "Europe/Oslo", "Europe/London")


def time_zone(brand: int) -> ZoneInfo:
    """Where the brand's customers live; an agency world's added rivals (config.agency_brands)
    take the zones in turn."""
    return ZoneInfo(TIME_ZONES[brand % len(TIME_ZONES)])


QUIET_HOLIDAYS: dict[int, tuple[date, ...]] = {
    0: (date(2026, 1, 1), date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 6)),
}
QUIET_FACTOR = 0.4  # people write this much of a normal day on a quiet holiday

WARM_UP_DAYS = 21
SPACING_DAYS = 4
CRISIS_MULTIPLIER = 10.0
CRISIS_NEGATIVE_SHARE = 0.85
CRISIS_HOURS = (2, 6)  # shortest, longest
OUTAGE_HOURS = (3, 8)
BACKLOG_PACE = 0.1  # after an outage, the backlog is answered in a tenth of the time it built


@dataclass(frozen=True)
class Crisis:
    number: int
    brand: int
    start: int  # world seconds
    end: int
    multiplier: float = CRISIS_MULTIPLIER
    negative_share: float = CRISIS_NEGATIVE_SHARE
    channel: str = "x"


@dataclass(frozen=True)
class ReplyOutage:
    number: int
    brand: int
    start: int
    end: int


def local_day_bounds(brand: int, day: date) -> tuple[int, int]:
    """World seconds of the start and end of a local calendar day of the brand."""
    zone = time_zone(brand)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return _world_seconds(start), _world_seconds(end)


def _world_seconds(moment: datetime) -> int:
    return int((moment - WORLD_START).total_seconds())


@lru_cache(maxsize=4096)
def _utc_hour_weights(brand: int, day: int) -> np.ndarray:
    """Weights of the 24 UTC hours of world day `day` for the brand (its local hours)."""
    zone = time_zone(brand)
    midnight = WORLD_START + timedelta(days=day)
    local_hours = [(midnight + timedelta(hours=h)).astimezone(zone).hour for h in range(24)]
    weights = HOUR_WEIGHTS[local_hours]
    return np.cumsum(weights) / weights.sum()


class Incidents:
    """The rhythm, quiet holidays, crises and outages of one world."""

    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        self.quiet_days = {brand: set(days) for brand, days in QUIET_HOLIDAYS.items()}
        self.crises, self.outages = self._plan()

    # --- rhythm ---------------------------------------------------------------------------

    def day_factor(self, brand: int, day: int) -> float:
        """How much of the brand's mean daily volume people write on world day `day`."""
        when = WORLD_START.date() + timedelta(days=day)
        factor = WEEKDAY_FACTORS[when.isoweekday()]
        if when in self.quiet_days.get(brand, ()):
            factor *= QUIET_FACTOR
        return factor

    def seconds_in_day(self, rng: np.random.Generator, brand: int, day: int, k: int) -> np.ndarray:
        """`k` times within world day `day` (seconds since its UTC midnight), by the rhythm."""
        cdf = _utc_hour_weights(brand, day)
        hours = np.searchsorted(cdf, rng.random(k), side="right").clip(0, 23)
        return hours * 3600 + rng.integers(0, 3600, k)

    # --- closures: the brand answers nobody -----------------------------------------------

    def closures(self, brand: int) -> list[tuple[int, int]]:
        spans = [local_day_bounds(brand, d) for d in sorted(self.quiet_days.get(brand, ()))]
        spans += [(o.start, o.end) for o in self.outages if o.brand == brand]
        return sorted(spans)

    def answer_at(self, brand: int, planned: int) -> int:
        """When an answer planned for `planned` is given: after the closure it falls in, as
        the backlog is worked through."""
        for start, end in self.closures(brand):
            if start <= planned < end:
                return end + int((planned - start) * BACKLOG_PACE) + 60
        return planned

    # --- crises ---------------------------------------------------------------------------

    def add_crisis(self, brand: int, start: int, seconds: int, multiplier: float) -> Crisis:
        if not 0 <= brand < len(BRANDS) or seconds < 600 or multiplier <= 1:
            raise ValueError("a crisis needs a known brand, >= 10 minutes and a multiplier > 1")
        crisis = Crisis(len(self.crises) + 1, brand, start, start + seconds, multiplier)
        self.crises.append(crisis)
        return crisis

    def add_outage(self, brand: int, start: int, seconds: int) -> ReplyOutage:
        if not 0 <= brand < len(BRANDS) or seconds < 600:
            raise ValueError("an outage needs a known brand and >= 10 minutes")
        outage = ReplyOutage(len(self.outages) + 1, brand, start, start + seconds)
        self.outages.append(outage)
        return outage

    def crises_on(self, brand: int, day: int) -> list[Crisis]:
        lo, hi = day * DAY, (day + 1) * DAY
        return [c for c in self.crises if c.brand == brand and c.start < hi and c.end > lo]

    def _plan(self) -> tuple[list[Crisis], list[ReplyOutage]]:
        cfg = self.config
        rng = rng_for(cfg.seed, "incidents")
        wanted = cfg.crises + cfg.reply_outages
        if wanted == 0:
            return [], []
        quiet = {(d - WORLD_START.date()).days for days in self.quiet_days.values() for d in days}
        free = [d for d in range(WARM_UP_DAYS, cfg.days - 1) if not quiet & {d - 1, d, d + 1}]
        days: list[int] = []
        for candidate in rng.permutation(free).tolist():
            if all(abs(candidate - d) >= SPACING_DAYS for d in days):
                days.append(candidate)
            if len(days) == wanted:
                break
        if len(days) < wanted:
            raise ValueError(
                f"a {cfg.days}-day world has room for {len(days)} incidents "
                f"{SPACING_DAYS} days apart after a {WARM_UP_DAYS}-day warm-up, not {wanted}"
            )
        days.sort()
        kinds = ["crisis"] * cfg.crises + ["outage"] * cfg.reply_outages
        kinds = [kinds[i] for i in rng.permutation(len(kinds))]
        crises, outages = [], []
        for day, kind in zip(days, kinds, strict=True):
            brand = int(rng.integers(len(BRANDS)))
            start = day * DAY + int(rng.integers(0, DAY))
            lo, hi = CRISIS_HOURS if kind == "crisis" else OUTAGE_HOURS
            end = start + int(rng.integers(lo * 3600, hi * 3600 + 1))
            if kind == "crisis":
                crises.append(Crisis(len(crises) + 1, brand, start, end))
            else:
                outages.append(ReplyOutage(len(outages) + 1, brand, start, end))
        return crises, outages
