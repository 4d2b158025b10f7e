"""Faults on demand: rate limits, 5xx, slow and truncated answers, duplicated items, drift.

Set at start (`serve-api` flags) or at run time (`POST /_admin/faults`). Decisions are seeded:
drawn for each request from the seed, the request (path and query, token left out) and how
many times it was asked before, so the same requests get the same faults in whatever order
concurrent walks send them (a replayed schedule meets the same faults). Only
`rate_limit_every` counts calls in arrival order. Without a request, draws come from one seeded
sequence in call order.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field, fields


@dataclass
class FaultConfig:
    rate_limit_every: int = 0  # every Nth API call is rate limited (0: never)
    rate_limit_reset_seconds: float = 1.0  # X: x-rate-limit-reset = now + this
    error_rate: float = 0.0  # share of calls answered 500/502/503
    slow_rate: float = 0.0  # share of calls delayed by slow_seconds
    slow_seconds: float = 2.0
    truncate_rate: float = 0.0  # share of 200 answers whose JSON body is cut short
    duplicate_items: bool = False  # each next page repeats the previous page's last item
    schema_drift: bool = False  # extra field on every item; optional fields left out
    ranked_comments: bool = False  # comments keep their own order whatever `order` asks
    malformed_rate: float = 0.0  # share of list items with their id dropped or a bad timestamp
    graph_usage_percent: float = 0.0  # what Graph's usage headers report on every answer
    empty_rate: float = 0.0  # share of list answers that come back empty (a transient blip)
    cut_walk_rate: float = 0.0  # share of list answers without their next link (walk ends)
    seed: int = 0

    @classmethod
    def from_dict(cls, values: dict) -> FaultConfig:
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        return cls(**values)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    rate_limited: bool = False
    server_error: int | None = None
    delay: float = 0.0
    truncate: bool = False
    # the request's own draws for damaging its answer's items (None: the call-order sequence)
    draws: random.Random | None = field(default=None, compare=False, repr=False)


class FaultInjector:
    GRAPH_RATE_CODES = (4, 17, 32, 613)
    MAX_REQUESTS_COUNTED = 100_000  # memory stays flat on a long-running server

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.injected: dict[str, int] = {}
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)
            self._list_rng = random.Random(config.seed + 1)  # the list faults' own sequence
            self._asked: Counter[str] = Counter()  # request -> times asked

    def decide(self, request: str | None = None) -> Decision:
        """The faults of one API call; `request` (path and query): draws of its own."""
        with self._lock:
            self.calls += 1
            cfg, rng = self.config, self._rng
            own = None
            if request is not None:
                if len(self._asked) >= self.MAX_REQUESTS_COUNTED:
                    self._asked.clear()
                self._asked[request] += 1
                own = random.Random(f"{cfg.seed}|{request}|{self._asked[request]}")
                rng = own
            draws = [rng.random() for _ in range(4)]
            if cfg.rate_limit_every and self.calls % cfg.rate_limit_every == 0:
                return self._count(Decision(rate_limited=True, draws=own), "rate_limit")
            if draws[0] < cfg.error_rate:
                status = (500, 502, 503)[int(draws[3] * 3) % 3]
                return self._count(Decision(server_error=status, draws=own), "server_error")
            delay = cfg.slow_seconds if draws[1] < cfg.slow_rate else 0.0
            truncate = draws[2] < cfg.truncate_rate
            decision = Decision(delay=delay, truncate=truncate, draws=own)
            if delay:
                self._count(decision, "slow")
            if truncate:
                self._count(decision, "truncated")
            return decision

    def corrupt_items(
        self, items: object, fields: tuple[str, str], decision: Decision | None = None
    ) -> None:
        """Damage a share of list items in place: drop the id, or break the timestamp."""
        if not isinstance(items, list) or not self.config.malformed_rate:
            return
        id_field, time_field = fields
        with self._lock:
            rng = decision.draws if decision and decision.draws else self._rng
            for item in items:
                if isinstance(item, dict) and rng.random() < self.config.malformed_rate:
                    if rng.random() < 0.5 or time_field not in item:
                        item.pop(id_field, None)
                    else:
                        item[time_field] = "not-a-timestamp"
                    self.injected["malformed"] = self.injected.get("malformed", 0) + 1

    def damage_listing(self, body: object, decision: Decision | None = None) -> None:
        """Empty a share of list answers, or drop their next link (Graph `paging.next`, X
        `meta.next_token`): what a flaky API does to a walk now and then."""
        cfg = self.config
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            return
        if not (cfg.empty_rate or cfg.cut_walk_rate):
            return
        with self._lock:
            rng = decision.draws if decision and decision.draws else self._list_rng
            empty = rng.random() < cfg.empty_rate
            cut = rng.random() < cfg.cut_walk_rate
        if empty:
            body["data"] = []
            body.pop("paging", None)
            body.pop("includes", None)
            if isinstance(body.get("meta"), dict):
                body["meta"] = {"result_count": 0}
            self._count(Decision(), "empty_answer")
        elif cut:
            paging = body.get("paging")
            if isinstance(paging, dict) and paging.pop("next", None):
                self._count(Decision(), "cut_walk")
            meta = body.get("meta")
            if isinstance(meta, dict) and meta.pop("next_token", None):
                self._count(Decision(), "cut_walk")

    def graph_rate_code(self) -> int:
        """Graph's rate-limit codes in turn, one per injected rate limit."""
        count = self.injected.get("rate_limit", 1)
        return self.GRAPH_RATE_CODES[(count - 1) % len(self.GRAPH_RATE_CODES)]

    def _count(self, decision: Decision, name: str) -> Decision:
        self.injected[name] = self.injected.get(name, 0) + 1
        return decision
