"""When a walk reads again what it has read before: the schedules that keep an hourly run to
what changed plus a bounded share of re-reads (which catch edits and deletions no count shows).

- `recheck_period` / `needs_walk`: an item (a Facebook post's comments, an X account's
  followers) is read again when what the listing reports of it moved, or when its own period
  is up: between half and 1.5 times the setting, so items first read together come due at
  different hours.
- `checkpoint_due`: an X Post is looked up again at ages `first`, 2 x `first`, 4 x `first`, ...
  within the look-back (a Post read costs against the monthly cap, so the checks thin out as
  the Post ages: a deletion lands at most as late as the Post's age at the time).
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta


def recheck_period(key: str, hours: float) -> timedelta:
    """How long `key` may go unread while nothing shows it changed: its own share of
    `hours`, between half and 1.5 times it."""
    return timedelta(hours=hours * (0.5 + zlib.crc32(key.encode()) % 1000 / 1000))


def needs_walk(
    seen: int | None,
    known: int | None,
    walked_at: datetime | None,
    now: datetime,
    period: timedelta,
) -> bool:
    """Whether an item must be walked: its count is unknown or moved since the last walk, it
    was never walked, or its periodic re-walk is due (a period of 0: every run)."""
    return seen is None or seen != known or is_due(walked_at, now, period)


def is_due(walked_at: datetime | None, now: datetime, period: timedelta) -> bool:
    """Whether an item walked at `walked_at` (None: never) is due again (a period of 0:
    every run)."""
    return walked_at is None or period <= timedelta(0) or now - walked_at >= period


def checkpoint_due(
    created_at: datetime,
    since: datetime,
    now: datetime,
    first: timedelta,
    horizon: timedelta,
) -> bool:
    """Whether one of an item's checkpoints (ages `first`, 2 x `first`, 4 x `first`, ... up to
    `horizon`) fell in (since, now]: a run that follows the last at any distance checks each
    item once per checkpoint it passed, and a run after a long pause once in all."""
    age = first
    while age <= horizon:
        at = created_at + age
        if at > now:
            return False
        if at > since:
            return True
        age *= 2
    return False
