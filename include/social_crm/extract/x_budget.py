"""The X read budget: Posts read per calendar month against the project's cap, and what the
reads cost in money against the connection's monthly budget.

Every Post returned by search or lookup counts against the project's monthly Post cap
(docs.x.com/x-api/fundamentals/post-cap: pay-per-use 3,000,000 since 2026-08-13; the legacy
tiers free 500, basic 10,000, pro 1,000,000). We count our reads per calendar month (the API's
clock) in `meta.api_read_budget`. Pay-per-use charges every resource an answer returns, once a
UTC day (`x_cost.py`): the transport hands each successful answer to `ReadBudget.meter`, which
records the resources charged today (`meta.x_read_ledger`, pruned after the day) and the money
by hour and price (`meta.api_spend`). When our budget (`monthly_read_cap`, default the model's
cap; `monthly_budget_usd`, none by default) or the API's cap or credits are spent, the task
lands what it read, keeps its watermark and ends without failing; the next month's run (or the
first after credits are added) resumes.

Brands' mapped tasks read one X project at once, so both budgets are reserved before a
request, never only checked: a page's Posts are added to the month's count before it is asked
for (`reserve`), and every request's worst case in money (`x_cost.worst_charges`: as many new
resources as it asks for, each expansion one more an item) is held (`hold`, from the
transport's `before_request`) in one transaction with the month's spend and the other tasks'
holds, so two tasks never both spend what is left. The answer's meter swaps the hold for what
was charged; a request the budget cannot hold is not made.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from social_crm.extract import x_cost
from social_crm.extract.x_owner import verified_owner
from social_crm.query_results import one_row, scalar
from social_crm.settings import X_PRICES_USD

if TYPE_CHECKING:
    import psycopg

    from social_crm.extract.extractor import Extractor

log = logging.getLogger(__name__)

TIER_POST_CAPS = {
    "pay_per_use": 3_000_000,
    "free": 500,
    "basic": 10_000,
    "pro": 1_000_000,
    "enterprise": 50_000_000,
}
# how long a request the budget cannot hold waits for the other tasks' requests in flight to
# settle (their holds are worst cases: most answers cost less) before its reading stops
HOLD_WAIT_SECONDS = 30.0
HOLD_POLL_SECONDS = 0.2


class BudgetSpent(Exception):
    """The month's read budget is spent: stop reading, keep the watermark."""


class ReadBudget:
    """Posts read and money spent this calendar month (the API's clock), kept in
    meta.api_read_budget; while it lives, it meters every answer of the extractor's client."""

    def __init__(self, extractor: Extractor, now: datetime) -> None:
        self.connect = extractor.connect
        self.connection_id = extractor.client.connection_id
        wanted = extractor.settings
        self.cap = wanted.read_cap
        self.budget_usd = float(getattr(wanted, "monthly_budget_usd", 0.0))
        self.prices: Mapping[str, float] = getattr(wanted, "prices", X_PRICES_USD)
        self.owned: frozenset[str] = frozenset()  # until the token is checked (below)
        self.month = date(now.year, now.month, 1)
        self.clock = extractor.client.server_now
        self.brand = getattr(wanted, "brand_key", "") or "every brand"
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self._reserved = 0  # Posts counted by `reserve` for a page not yet answered
        self._held = 0.0  # money held by `hold` for the request in flight
        with self.connect() as conn:
            conn.execute(
                "delete from meta.x_read_ledger where connection_id = %s and day < %s",
                (self.connection_id, now.date()),
            )
            row = conn.execute(
                "select reads_used, spent_usd from meta.api_read_budget"
                " where connection_id = %s and month = %s",
                (self.connection_id, self.month),
            ).fetchone()
        self.used = row[0] if row else 0
        self.spent_usd = float(row[1]) if row else 0.0
        claimed = tuple(getattr(wanted, "owned_user_ids", ()))
        if getattr(wanted, "tier", "pay_per_use") == "pay_per_use":  # the others: a subscription
            extractor.client.on_answer = self.meter  # the check below is charged: metered
            if self.budget_usd:
                extractor.client.before_request = self.hold
            try:
                self.owned = verified_owner(extractor.client, self.connect, claimed, now.date())
            except BudgetSpent:  # the run's first page meets the same refusal and ends there
                self.owned = frozenset()
        else:  # nothing is priced by ownership
            self.owned = frozenset(claimed)

    @property
    def left(self) -> int:
        return max(0, self.cap - self.used)

    def reserve(self, posts: int) -> None:
        """Before a request that reads up to `posts` Posts: add `posts` to the month's count
        in one statement that succeeds only while the count is below the cap, or stop
        (`BudgetSpent`). Tasks reading at once (each brand's mapped task) so never both
        spend what is left: each page is counted before it is asked for, and `spend` (or
        `release`) then corrects the count to what the page returned. A process killed
        between the two leaves its reservation counted (the month's count errs high by at
        most a page a killed task, never low). Its money is held by `hold`, as it is sent."""
        if self.left <= 0:
            self.spent(f"{self.used:,} of {self.cap:,} reads used")
        self.release()  # a page reserved and never answered (the walk ended, or failed)
        with self.connect() as conn:
            row = conn.execute(
                "insert into meta.api_read_budget as b (connection_id, month, reads_used,"
                " monthly_cap, budget_usd) values (%s, %s, %s, %s, %s)"
                " on conflict (connection_id, month) do update set"
                " reads_used = b.reads_used + excluded.reads_used, updated_at = now()"
                " where b.reads_used < %s returning reads_used",
                (
                    self.connection_id,
                    self.month,
                    posts,
                    self.cap,
                    self.budget_usd or None,
                    self.cap,
                ),
            ).fetchone()
            if row is None:  # another task's reads reached the cap since we last looked
                self.used = scalar(
                    conn.execute(
                        "select reads_used from meta.api_read_budget"
                        " where connection_id = %s and month = %s",
                        (self.connection_id, self.month),
                    )
                )
        if row is None:
            self.spent(f"{self.used:,} of {self.cap:,} reads used")
        self.used = row[0]
        self._reserved = posts

    def release(self) -> None:
        """Give back what `reserve` counted and `hold` held for a request never answered."""
        if self._reserved:
            self.spend(0)
        if self._held:
            with self._lock:
                self._drop_hold(self._connection())

    def hold(self, path: str, params: Mapping[str, Any]) -> None:
        """Before each request to X (the transport's `before_request`): hold what its answer
        may cost at most (`x_cost.worst_charges` at our prices) against the monthly budget,
        in one transaction that locks the month's row: what the month has spent plus what
        the other tasks' requests in flight hold plus this one must fit the budget. A
        request that does not fit waits (up to `HOLD_WAIT_SECONDS`) while only the others'
        holds are in the way (their answers usually cost less), then stops this task's
        reading (`BudgetSpent`): what it read lands, its watermarks stay; the other brands
        go on within what is left. `meter` swaps the hold for what the answer cost."""
        worst = sum(
            n * self.prices[price]
            for price, n in x_cost.worst_charges(path, params, self.owned).items()
        )
        if not worst:
            return
        deadline = time.monotonic() + HOLD_WAIT_SECONDS
        while True:
            with self._lock, self._connection().transaction() as tx:
                spent, others = self._held_by_others(tx.connection)
                fits = spent + others + worst <= self.budget_usd
                if fits:
                    tx.connection.execute(
                        "insert into meta.x_budget_holds (connection_id, backend_pid,"
                        " backend_start, month, usd) select %s, pid, backend_start, %s, %s"
                        " from pg_stat_activity where pid = pg_backend_pid()"
                        " on conflict (connection_id, backend_pid) do update set"
                        " backend_start = excluded.backend_start, month = excluded.month,"
                        " usd = excluded.usd, held_at = now()",
                        (self.connection_id, self.month, worst),
                    )
            self.spent_usd, self._held = spent, worst if fits else 0.0
            if fits:
                return
            if spent + worst > self.budget_usd or time.monotonic() >= deadline:
                break
            time.sleep(HOLD_POLL_SECONDS)
        held = f", ${others:,.2f} held by other tasks' requests in flight" if others else ""
        self.spent(
            f"the monthly X budget of ${self.budget_usd:,.2f} (connection {self.connection_id},"
            f" extra monthly_budget_usd) cannot hold the next request: ${spent:,.2f} spent in"
            f" {self.month:%Y-%m}{held}, and {path} may cost up to ${worst:,.2f}. Raise"
            " monthly_budget_usd (and the spending limit in X's Developer Console) to read on"
            " this month"
        )

    def _held_by_others(self, conn: psycopg.Connection) -> tuple[float, float]:
        """In `hold`'s transaction: the month's spend, its row locked (every task's hold of
        the connection waits here for the one before), and what the other tasks' requests in
        flight hold: those of live sessions only (a killed task's hold lapses with it)."""
        conn.execute(
            "insert into meta.api_read_budget (connection_id, month, reads_used, monthly_cap,"
            " budget_usd) values (%s, %s, 0, %s, %s) on conflict do nothing",
            (self.connection_id, self.month, self.cap, self.budget_usd),
        )
        spent, others = one_row(
            conn.execute(
                "select b.spent_usd, (select coalesce(sum(h.usd), 0)"
                " from meta.x_budget_holds h join pg_stat_activity a"
                " on a.pid = h.backend_pid and a.backend_start = h.backend_start"
                " where h.connection_id = b.connection_id and h.month = b.month"
                " and h.backend_pid <> pg_backend_pid())"
                " from meta.api_read_budget b where b.connection_id = %s and b.month = %s"
                " for update of b",
                (self.connection_id, self.month),
            )
        )
        return float(spent), float(others)

    def _drop_hold(self, conn: psycopg.Connection) -> None:
        """The hold of this task's request, given back (answered, or never)."""
        conn.execute(
            "delete from meta.x_budget_holds where connection_id = %s"
            " and backend_pid = pg_backend_pid()",
            (self.connection_id,),
        )
        self._held = 0.0

    def meter(self, path: str, body: Mapping[str, Any]) -> None:
        """Record what a successful answer of `path` cost: each resource not charged yet this
        UTC day (the API's clock) at its price, a counts request at its own; called by the
        transport (`ApiClient.on_answer`), from the walk's read-ahead thread too."""
        charged = {c.key: c.price for c in x_cost.charges(path, body, self.owned)}
        per_request = x_cost.request_price(path)
        if not charged and per_request is None:
            if self._held:
                with self._lock:
                    self._drop_hold(self._connection())
            return
        now = self.clock()
        hour = now.replace(minute=0, second=0, microsecond=0)
        with self._lock, self._connection().transaction() as tx:
            conn = tx.connection
            if self._held:  # what the answer cost replaces what was held, in one transaction
                self._drop_hold(conn)
            if (now.year, now.month) != (self.month.year, self.month.month):
                self._enter_month(conn, date(now.year, now.month, 1))
            new = conn.execute(
                "insert into meta.x_read_ledger (connection_id, day, resource_key)"
                " select %s, %s, unnest(%s::bytea[]) on conflict do nothing"
                " returning resource_key",
                (self.connection_id, now.date(), list(charged)),
            ).fetchall()
            resources = Counter(charged[bytes(key)] for (key,) in new)
            rows = [(price, n, 0, n * self.prices[price]) for price, n in resources.items()]
            if per_request is not None:
                rows.append((per_request, 0, 1, self.prices[per_request]))
            if not rows:
                return  # all read already today: free
            cost = sum(usd for *_, usd in rows)
            prices, counts, requests, usds = (list(column) for column in zip(*rows, strict=True))
            total = scalar(
                conn.execute(
                    "with spend as (insert into meta.api_spend as s (connection_id, spent_hour,"
                    " price_key, resources, requests, usd) select %s, %s, *"
                    " from unnest(%s::text[], %s::bigint[], %s::bigint[], %s::numeric[])"
                    " on conflict (connection_id, spent_hour, price_key) do update set"
                    " resources = s.resources + excluded.resources,"
                    " requests = s.requests + excluded.requests, usd = s.usd + excluded.usd)"
                    " insert into meta.api_read_budget as b (connection_id, month, reads_used,"
                    " monthly_cap, spent_usd, budget_usd) values (%s, %s, 0, %s, %s, %s)"
                    " on conflict (connection_id, month) do update set"
                    " spent_usd = b.spent_usd + excluded.spent_usd, updated_at = now()"
                    " returning spent_usd",
                    (
                        self.connection_id,
                        hour,
                        prices,
                        counts,
                        requests,
                        usds,
                        self.connection_id,
                        self.month,
                        self.cap,
                        cost,
                        self.budget_usd or None,
                    ),
                )
            )
            self.spent_usd = float(total)  # with what other runs of the month spent

    def _enter_month(self, conn: psycopg.Connection, month: date) -> None:
        """A run that crosses into a new month (the API's clock, as X bills it) counts from
        then on in the new month's row, against the new month's budget."""
        row = conn.execute(
            "select reads_used, spent_usd from meta.api_read_budget"
            " where connection_id = %s and month = %s",
            (self.connection_id, month),
        ).fetchone()
        log.info(
            "%s: the API's clock entered %s; reads and spend count in that month from here",
            self.connection_id,
            month.strftime("%Y-%m"),
        )
        self.month = month
        self.used = row[0] if row else 0
        self.spent_usd = float(row[1]) if row else 0.0

    def spend(self, reads: int) -> None:
        """Count `reads` Posts read, added to the month's row in one statement: tasks reading
        at once (each brand's mapped task) each add theirs, none overwrites another's, and
        `used` is the month's total with theirs. The page `reserve` counted ahead is
        settled: only the difference is added (less, when the page held fewer)."""
        reads, self._reserved = reads - self._reserved, 0  # the reserved page, settled
        if reads == 0:
            return
        self._save(reads, exhausted=False)

    def _connection(self) -> psycopg.Connection:
        """The meter's own connection, opened at its first answer (a connection an answer
        costs several milliseconds: a walk's pages would pay it each), closed with the budget."""
        if self._conn is None or self._conn.closed:
            self._conn = self.connect()
            self._conn.autocommit = True  # each answer its own transaction block
            weakref.finalize(self, self._conn.close)
        return self._conn

    def spent(self, why: str) -> NoReturn:
        """Record that reading stops for the month (`why`), and stop: `BudgetSpent`."""
        self.stop(why)
        raise BudgetSpent(why)

    def stop(self, why: str) -> None:
        """Record that reading stops for the month (`why`), and say so in the task log."""
        self._save(-self._reserved, exhausted=True)  # a page reserved, not read: given back
        self._reserved = 0
        if self._held:
            with self._lock:
                self._drop_hold(self._connection())
        following = (self.month + timedelta(days=32)).replace(day=1)
        log.warning(
            "%s: reading X for %s stops for %s: %s; what it read lands, its watermarks are "
            "kept, reading resumes on %s (or once the X credits or budget are raised)",
            self.connection_id,
            self.brand,
            self.month.strftime("%Y-%m"),
            why,
            following.isoformat(),
        )

    def _save(self, reads: int, *, exhausted: bool) -> None:
        """Add `reads` to the month's row (an increment, never the total this run saw) and
        read back the total every run of the month has counted."""
        with self.connect() as conn:
            self.used = scalar(
                conn.execute(
                    "insert into meta.api_read_budget as b (connection_id, month, reads_used,"
                    " monthly_cap, budget_usd, exhausted_at) values (%s, %s, %s, %s, %s,"
                    " case when %s then now() end)"
                    " on conflict (connection_id, month) do update set"
                    " reads_used = b.reads_used + excluded.reads_used,"
                    " monthly_cap = excluded.monthly_cap, budget_usd = excluded.budget_usd,"
                    " exhausted_at = coalesce(excluded.exhausted_at, b.exhausted_at),"
                    " updated_at = now() returning reads_used",
                    (
                        self.connection_id,
                        self.month,
                        reads,
                        self.cap,
                        self.budget_usd or None,
                        exhausted,
                    ),
                )
            )


@dataclass(frozen=True)
class MonthSpend:
    """What a connection spent on X this calendar month (meta.api_spend), the hourly rate of
    its runs of the last 24 hours, and the month's spend at that rate."""

    month: date
    spent_usd: float
    usd_per_hour: float
    projected_usd: float


def month_spend(conn: psycopg.Connection, connection_id: str, now: datetime) -> MonthSpend:
    """The month of `now` (the API's clock): spent so far; the rate is the spend of the last
    24 hours over those hours (fewer when the month's first run is more recent); projected:
    spent plus that rate until the month ends."""
    month = date(now.year, now.month, 1)
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    following = (start + timedelta(days=32)).replace(day=1)
    spent, recent, first = one_row(
        conn.execute(
            "select coalesce(sum(usd), 0), coalesce(sum(usd) filter (where spent_hour >= %s), 0),"
            " min(spent_hour) from meta.api_spend"
            " where connection_id = %s and spent_hour >= %s and spent_hour < %s",
            (now - timedelta(hours=24), connection_id, start, following),
        )
    )
    if first is None:
        return MonthSpend(month, 0.0, 0.0, 0.0)
    hours = min(24.0, max(1.0, (now - first) / timedelta(hours=1)))
    rate = float(recent) / hours
    left = max(0.0, (following - now) / timedelta(hours=1))
    return MonthSpend(month, float(spent), rate, float(spent) + rate * left)
