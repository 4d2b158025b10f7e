"""X pay-per-use billing, as the platform charges it (docs.x.com/x-api/getting-started/pricing,
read 2026-12; the simulator's own table: the pipeline keeps its own, they are never shared).

- Reads are charged per resource returned: a Post $0.005, a User $0.010, a follower listed
  (Following/Followers: Read) $0.010; the Post counts per request ($0.005 recent, $0.010
  all). Every resource in the answer is charged, the expansions under `includes` too (the
  docs exempt none: the stricter reading).
- Owned Reads (since 2026-04-20, docs.x.com/changelog): `/2/users/{id}/tweets`, `/mentions`,
  `/followers`, `/following` ... at $0.001 a resource "when `{id}` matches the authenticated
  user and that user is the owner of the developer app". The simulated app belongs to our
  brand (`config.OUR_BRAND`); a request is made as that user only with its user token
  (`DEFAULT_X_USER_TOKEN`): an app-only Bearer token authenticates no user, so nothing it reads
  is owned (the stricter reading: these endpoints accept app-only tokens too, OpenAPI
  `security`). A rival's timeline is never owned; expansions are never owned.
- A resource is charged once per UTC day (the world's clock: the `Date` header); the counts
  are per request, every time. Failed requests cost nothing.
- A spending limit (or a credit balance: either way a sum per billing cycle, here the calendar
  month): once the month's spend reaches it, every request is refused. The docs give no status
  or problem type; the field reports HTTP 402 `credits-depleted` (`spent_status` lets a test
  send the same problem with another status, as a client must not rely on it). The answer
  that takes the spend past the limit is still served (the balance "can go slightly
  negative", the docs say).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from social_crm_dev.simulator.config import OUR_BRAND
from social_crm_dev.simulator.responses import Response

PROBLEMS = "https://api.x.com/2/problems"
PRICES_USD = {
    "post": 0.005,
    "user": 0.010,
    "follower": 0.010,
    "owned": 0.001,
    "counts_recent": 0.005,
    "counts_all": 0.010,
}
OWNED_EDGES = {
    "tweets",
    "mentions",
    "liked_tweets",
    "bookmarks",
    "followers",
    "following",
    "blocking",
    "muting",
    "owned_lists",
    "followed_lists",
    "list_memberships",
    "pinned_lists",
}
POST_EDGES = {"tweets", "mentions", "liked_tweets", "bookmarks"}
FOLLOW_EDGES = {"followers", "following"}
APP_OWNER = OUR_BRAND.x_user_id


def credits_depleted(status: int = 402) -> Response:
    """The refusal; carried by a 200, the problem sits under `errors` (as X's partial errors
    do, docs.x.com/x-api/fundamentals/response-codes-and-errors), with no `data`."""
    problem = {
        "title": "Payment Required",
        "detail": "credits depleted",
        "type": f"{PROBLEMS}/credits-depleted",
    }
    return Response(status, {"errors": [problem]} if status == 200 else problem)


@dataclass
class XBilling:
    """What the simulated pay-per-use project has been charged, and its spending limit."""

    spending_limit_usd: float | None = None  # None: no limit
    spent_status: int = 402
    _charged: dict[str, set[tuple[str, str]]] = field(default_factory=dict, repr=False)
    _spend: dict[str, Counter[str]] = field(default_factory=dict, repr=False)
    _resources: dict[str, Counter[str]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def refusal(self, month: str) -> Response | None:
        if self.spending_limit_usd is not None and self.spent(month) >= self.spending_limit_usd:
            return credits_depleted(self.spent_status)
        return None

    def charge(
        self, parts: list[str], body: object, now: datetime, user: str | None = None
    ) -> float:
        """Charge a successful answer of /2/`parts` at `now` (the world's clock), asked with
        the user token of `user` (None: an app-only token); returns what it cost."""
        day, month = now.strftime("%Y-%m-%d"), now.strftime("%Y-%m")
        resources, per_request = _billable(parts, body, user if user == APP_OWNER else None)
        cost = 0.0
        with self._lock:
            charged = self._charged.setdefault(day, set())
            for old in [d for d in self._charged if d != day]:
                del self._charged[old]
            spend = self._spend.setdefault(month, Counter())
            counts = self._resources.setdefault(month, Counter())
            for price, key in resources:
                if key in charged:
                    continue
                charged.add(key)
                spend[price] += PRICES_USD[price]
                counts[price] += 1
                cost += PRICES_USD[price]
            if per_request is not None:
                spend[per_request] += PRICES_USD[per_request]
                counts[per_request] += 1
                cost += PRICES_USD[per_request]
        return cost

    def charged_ids(self, kind: str) -> set[str]:
        """The ids of the resources of `kind` (post, user) charged on the latest UTC day
        billed: what the project was served, and paid for, that day."""
        with self._lock:
            return {i for day in self._charged.values() for k, i in day if k == kind}

    def spent(self, month: str | None = None) -> float:
        with self._lock:
            months = [month] if month else list(self._spend)
            return sum(sum(self._spend.get(m, Counter()).values()) for m in months)

    def by_price(self, month: str | None = None) -> dict[str, float]:
        with self._lock:
            total: Counter[str] = Counter()
            for m, spend in self._spend.items():
                if month is None or m == month:
                    total.update(spend)
            return dict(total)

    def resources(self, month: str | None = None) -> dict[str, int]:
        with self._lock:
            total: Counter[str] = Counter()
            for m, counts in self._resources.items():
                if month is None or m == month:
                    total.update(counts)
            return dict(total)


def _billable(
    parts: list[str], body: object, owner: str | None
) -> tuple[list[tuple[str, tuple[str, str]]], str | None]:
    if parts == ["tweets", "counts", "recent"]:
        return [], "counts_recent"
    if parts == ["tweets", "counts", "all"]:
        return [], "counts_all"
    if not isinstance(body, dict) or not parts or parts[0] == "usage":
        return [], None
    data = body.get("data")
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    ids = [str(i["id"]) for i in items if isinstance(i, dict) and "id" in i]
    out: list[tuple[str, tuple[str, str]]] = []
    if len(parts) == 3 and parts[0] == "users" and parts[2] in OWNED_EDGES:
        owned = owner is not None and parts[1] == owner
        if parts[2] in FOLLOW_EDGES:
            kind = f"{parts[2]}:{parts[1]}"
            out += [("owned" if owned else "follower", (kind, i)) for i in ids]
        elif parts[2] in POST_EDGES:
            out += [("owned" if owned else "post", ("post", i)) for i in ids]
    elif parts[0] == "users":
        out += [("user", ("user", i)) for i in ids]
    elif parts[0] == "tweets":
        out += [("post", ("post", i)) for i in ids]
    includes = body.get("includes")
    if isinstance(includes, dict):
        for name, kind in (("users", "user"), ("tweets", "post")):
            found = includes.get(name)
            if isinstance(found, list):
                out += [
                    (kind, (kind, str(i["id"]))) for i in found if isinstance(i, dict) and "id" in i
                ]
    return out, None
