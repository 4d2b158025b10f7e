"""When a walk reads again what it has read before: the schedules that keep an hourly run to
what changed plus a bounded share of re-reads (which catch edits and deletions no count shows).

- `checkpoint_due`: an item is read again at ages `first`, 2 x `first`, 4 x `first`, ...
  and once more as it leaves the look-back: an X Post looked up by id, a Facebook post's
  comments and reactions walked again (`needs_walk`, which also walks them whenever their
  count moved). Most edits and deletions come early; the checks thin out as the item ages, so
  a change lands at most as late as the item's age at the time (and by the window's end), and
  an hour costs a few re-reads per item written in an hour, not a share of the whole window.
- `recheck_period` / `is_due`: an X account's followers are walked again when its own period
  is up: between half and 1.5 times the setting, so accounts first walked together come due
  at different hours.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

# a read of what is newer than the last read starts this long before the newest item that read
# saw: an API may list an item a little after it was written, behind newer ones
SETTLE = timedelta(minutes=5)


def recheck_period(key: str, hours: float) -> timedelta:
    """How long `key` may go unread while nothing shows it changed: its own share of
    `hours`, between half and 1.5 times it."""
    return timedelta(hours=hours * (0.5 + zlib.crc32(key.encode()) % 1000 / 1000))


def needs_walk(
    seen: int | None,
    known: int | None,
    walked_at: datetime | None,
    now: datetime,
    created_at: datetime,
    first: timedelta,
    horizon: timedelta,
) -> bool:
    """Whether a post's edge must be walked: its count is unknown or moved since the last
    walk, it was never walked, or one of the post's re-walk points (`checkpoint_due`) passed
    since that walk (`first` 0: every run)."""
    if seen is None or seen != known or walked_at is None or first <= timedelta(0):
        return True
    return checkpoint_due(created_at, walked_at, now, first, horizon)


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
    """Whether one of an item's checkpoints (ages `first`, 2 x `first`, 4 x `first`, ...
    below `horizon`, and `horizon` itself: a last look as the item leaves the window) fell in
    (since, now]: a run that follows the last at any distance reads each item once per
    checkpoint it passed, and a run after a long pause once in all."""
    age = first
    while True:
        age = min(age, horizon)
        at = created_at + age
        if at > now:
            return False
        if at > since:
            return True
        if age >= horizon:
            return False
        age *= 2
