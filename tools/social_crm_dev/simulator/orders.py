"""CRM orders from a buy-till-you-die process, so BG/NBD + Gamma-Gamma can recover it.

Each customer buys at rate lambda ~ Gamma(r, alpha) per week while alive, and after every
repeat purchase drops out with probability p ~ Beta(a, b). Spend per order is
Gamma(p_spend, nu) with nu ~ Gamma(q, gamma) per customer (Gamma-Gamma). The generating
parameters are ground truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

from social_crm_dev.simulator.config import DAY, WorldConfig
from social_crm_dev.simulator.rng import rng_for

WEEK = 7 * DAY
CATALOG = (
    ("P001", "espresso beans", 14.0),
    ("P002", "filter roast", 12.0),
    ("P003", "cold brew", 6.0),
    ("P004", "oat latte", 5.0),
    ("P005", "decaf", 13.0),
    ("P006", "moka pot", 35.0),
    ("P007", "travel mug", 22.0),
    ("P008", "grinder", 89.0),
    ("P009", "subscription box", 29.0),
    ("P010", "gift card", 25.0),
)
IDEA_PRODUCT_SHARE = 0.2  # share of orders after an idea product's launch that buy one


@dataclass(frozen=True)
class ClvParameters:
    r: float = 0.25
    alpha: float = 4.0  # weeks
    a: float = 0.8
    b: float = 2.5
    p: float = 6.0  # Gamma-Gamma shape of spend per order
    q: float = 3.5
    gamma: float = 15.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Order:
    order_id: str
    customer_index: int
    ordered_at: int  # seconds since WORLD_START (negative: before the social history)
    amount: float
    product_id: str


HISTORY_BEFORE = 365 * DAY  # customers may have bought before the social data starts


def customer_orders(
    config: WorldConfig,
    customer: int,
    until: int,
    idea_launches: list[tuple[int, str]],
    params: ClvParameters = ClvParameters(),
) -> Iterator[Order]:
    """The customer's orders up to `until` (seconds since world start), oldest first."""
    rng = rng_for(config.seed, "orders", customer)
    rate = rng.gamma(params.r, 1.0 / params.alpha)  # purchases per week
    dropout = rng.beta(params.a, params.b)
    nu = rng.gamma(params.q, 1.0 / params.gamma)
    t = int(-HISTORY_BEFORE + rng.random() * (HISTORY_BEFORE + config.days * DAY * 0.5))
    k = 0
    while t <= until:
        amount = round(float(rng.gamma(params.p, 1.0 / nu)), 2)
        launched = [pid for at, pid in idea_launches if at <= t]
        pick, idea_pick = rng.integers(len(CATALOG)), rng.random()
        if launched and idea_pick < IDEA_PRODUCT_SHARE:
            product = launched[int(pick) % len(launched)]
        else:
            product = CATALOG[int(pick)][0]
        k += 1
        yield Order(f"O{customer + 1:06d}-{k:04d}", customer, t, max(amount, 0.5), product)
        # BG/NBD: a customer may drop out right after each repeat purchase, not the first one
        if (k > 1 and rng.random() < dropout) or rate <= 0:
            return
        t += int(rng.exponential(1.0 / rate) * WEEK) + 1
