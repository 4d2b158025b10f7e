"""The X read budget: Posts read per calendar month, against the project's cap.

Every Post returned by search or lookup counts against the project's monthly Post cap
(docs.x.com/x-api/fundamentals/post-cap: free 500, basic 10,000, pro 1,000,000). We count our
reads per calendar month (the API's clock) in `meta.api_read_budget`; when our budget
(`monthly_read_cap`, default the tier's) or the API's cap is spent, the task lands what it
read, keeps its watermark and ends without failing; the next month's run resumes.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from social_crm.extract.extractor import Extractor

log = logging.getLogger(__name__)

TIER_POST_CAPS = {"free": 500, "basic": 10_000, "pro": 1_000_000, "enterprise": 50_000_000}


class BudgetSpent(Exception):
    """The month's read budget is spent: stop reading, keep the watermark."""


class ReadBudget:
    """Posts read this calendar month (the API's clock), kept in meta.api_read_budget."""

    def __init__(self, extractor: Extractor, now: datetime) -> None:
        self.connect = extractor.connect
        self.connection_id = extractor.client.connection_id
        self.cap = extractor.settings.read_cap
        self.month = date(now.year, now.month, 1)
        with self.connect() as conn:
            row = conn.execute(
                "select reads_used from meta.api_read_budget"
                " where connection_id = %s and month = %s",
                (self.connection_id, self.month),
            ).fetchone()
        self.used = row[0] if row else 0

    @property
    def left(self) -> int:
        return max(0, self.cap - self.used)

    def check(self) -> None:
        if self.left <= 0:
            self.spent(f"{self.used:,} of {self.cap:,} reads used")

    def spend(self, reads: int) -> None:
        if reads <= 0:
            return
        self.used += reads
        self._save(exhausted=False)

    def spent(self, why: str) -> None:
        self._save(exhausted=True)
        following = (self.month + timedelta(days=32)).replace(day=1)
        log.warning(
            "%s: the monthly read budget for %s is spent (%s); stopping here, the watermark is "
            "kept, reading resumes on %s",
            self.connection_id,
            self.month.strftime("%Y-%m"),
            why,
            following.isoformat(),
        )
        raise BudgetSpent(why)

    def _save(self, *, exhausted: bool) -> None:
        with self.connect() as conn:
            conn.execute(
                "insert into meta.api_read_budget as b (connection_id, month, reads_used,"
                " monthly_cap, exhausted_at) values (%s, %s, %s, %s,"
                " case when %s then now() end)"
                " on conflict (connection_id, month) do update set"
                " reads_used = excluded.reads_used, monthly_cap = excluded.monthly_cap,"
                " exhausted_at = coalesce(excluded.exhausted_at, b.exhausted_at),"
                " updated_at = now()",
                (self.connection_id, self.month, self.used, self.cap, exhausted),
            )
