"""Business time computed a second, independent way (Python, zoneinfo, day by day) from the
same seeds the warehouse reads (brand_service_hours, brand_holidays, brand_response_slas):
the truth the SQL of int_message_response_times is checked against on simulated messages."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from social_crm.paths import dbt_project_dir


@dataclass
class ServiceHours:
    zones: dict[tuple[str, str], ZoneInfo] = field(default_factory=dict)
    # (brand, channel, isodow) -> (opens, closes)
    hours: dict[tuple[str, str, int], tuple[time, time]] = field(default_factory=dict)
    holidays: set[tuple[str, date]] = field(default_factory=set)
    # (brand, channel, priority) -> target in seconds
    targets: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def business_seconds(self, brand: str, channel: str, start: datetime, end: datetime) -> int:
        """Seconds of [start, end) within the brand's opening hours on the channel."""
        zone = self.zones[(brand, channel)]
        day = start.astimezone(zone).date()
        total = 0.0
        while day <= end.astimezone(zone).date():
            opening = self.hours.get((brand, channel, day.isoweekday()))
            if opening and (brand, day) not in self.holidays:
                opens = datetime.combine(day, opening[0], tzinfo=zone)
                closes = datetime.combine(day, opening[1], tzinfo=zone)
                total += max(0.0, (min(closes, end) - max(opens, start)).total_seconds())
            day += timedelta(days=1)
        return round(total)

    def breached(
        self, brand: str, channel: str, priority: str, written: datetime, until: datetime
    ) -> bool:
        target = self.targets[(brand, channel, priority)]
        return self.business_seconds(brand, channel, written, until) > target


def priority(intent: str | None, sentiment: str | None) -> str:
    """The priority rule of the README ("Response times in business hours")."""
    if intent == "complaint" or sentiment == "negative":
        return "high"
    if intent == "praise" or (sentiment == "positive" and intent == "other"):
        return "low"
    return "normal"


def _rows(name: str, seeds: Path) -> list[dict[str, str]]:
    with open(seeds / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load(seeds: Path | None = None) -> ServiceHours:
    seeds = seeds or dbt_project_dir() / "seeds"
    found = ServiceHours()
    for row in _rows("brand_service_hours", seeds):
        key = (row["brand_key"], row["channel"])
        found.zones[key] = ZoneInfo(row["time_zone"])
        found.hours[(*key, int(row["isodow"]))] = (
            time.fromisoformat(row["opens_at"]),
            time.fromisoformat(row["closes_at"]),
        )
    for row in _rows("brand_holidays", seeds):
        found.holidays.add((row["brand_key"], date.fromisoformat(row["holiday_date"])))
    for row in _rows("brand_response_slas", seeds):
        key = (row["brand_key"], row["channel"], row["priority"])
        found.targets[key] = int(row["target_business_minutes"]) * 60
    return found
