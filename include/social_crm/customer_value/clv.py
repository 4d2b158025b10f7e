"""BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma (Fader, Hardie & Lee 2005b) by maximum
likelihood with scipy, plus the per-customer predictions the CLV mart needs.

Inputs per customer (`summarize`, the papers' definitions): orders are grouped into purchase
periods (a day by default: two orders on one day are one purchase); `frequency` x is the number
of repeat purchase periods, `recency` t_x the weeks from the first purchase to the last, `age`
T the weeks from the first purchase to the end of observation; Gamma-Gamma reads x and the
mean value of the repeat purchases (the first purchase is left out, and customers without a
repeat purchase are not fitted). A $0 order is a purchase of value 0.

Why not a library: `lifetimes` is unmaintained (its data sets serve our tests), and
pymc-marketing pulls in PyMC/PyTensor (a C toolchain and minutes of compilation on two cores)
for what is a four- and a three-parameter closed-form likelihood; the fit here agrees with
`lifetimes` on CDNOW (tests/unit/test_scoring.py, tests/analytics/test_clv_cdnow.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, special

from social_crm.settings import CLV_PERIODS as PERIODS

WEEK = pd.Timedelta(days=7)


def summarize(orders: pd.DataFrame, observed_until: datetime, period: str = "day") -> pd.DataFrame:
    """Per customer, from the orders placed before `observed_until` (exclusive): orders (rows),
    frequency, recency_weeks, age_weeks, monetary_value (mean value of the repeat purchase
    periods, 0 without one). orders: customer_id, ordered_at (tz-aware), amount."""
    if period not in PERIODS:
        raise ValueError(f"purchase period {period!r} is not one of {', '.join(PERIODS)}")
    end = pd.Timestamp(observed_until).tz_convert("UTC").tz_localize(None)
    at = pd.to_datetime(orders["ordered_at"], utc=True).dt.tz_localize(None)
    kept = pd.DataFrame(
        {
            "customer_id": orders["customer_id"].to_numpy(),
            "at": at.to_numpy(),
            "amount": pd.to_numeric(orders["amount"]).astype(float).to_numpy(),
        }
    )[at.to_numpy() < end.to_datetime64()]
    columns = ["orders", "frequency", "recency_weeks", "age_weeks", "monetary_value"]
    if kept.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="customer_id"))
    code = PERIODS[period]
    kept["period"] = kept["at"].dt.to_period(code).dt.start_time
    last_period = (end - pd.Timedelta(microseconds=1)).to_period(code).start_time
    periods = kept.groupby(["customer_id", "period"], sort=True)["amount"].agg(["sum", "size"])
    periods = periods.reset_index()
    first = periods.groupby("customer_id")["period"].transform("min")
    repeat = periods[periods["period"] > first]
    by_customer = periods.groupby("customer_id")
    first_period: pd.Series[pd.Timestamp] = by_customer["period"].min()
    latest_period: pd.Series[pd.Timestamp] = by_customer["period"].max()
    summary = pd.DataFrame(
        {
            "orders": by_customer["size"].sum(),
            "frequency": by_customer.size() - 1,
            "recency_weeks": (latest_period - first_period) / WEEK,
            "age_weeks": (last_period - first_period) / WEEK,
        }
    )
    summary["monetary_value"] = repeat.groupby("customer_id")["sum"].mean()
    summary["monetary_value"] = summary["monetary_value"].fillna(0.0)
    return summary[columns]


def purchases_between(
    orders: pd.DataFrame, start: datetime, end: datetime, period: str = "day"
) -> pd.Series:
    """Per customer, the purchase periods with an order in [start, end) (a holdout's actual
    purchases, counted as `summarize` counts them)."""
    at = pd.to_datetime(orders["ordered_at"], utc=True)
    inside = (at >= pd.Timestamp(start)) & (at < pd.Timestamp(end))
    periods = at[inside].dt.tz_localize(None).dt.to_period(PERIODS[period])
    return (
        pd.DataFrame({"customer_id": orders["customer_id"][inside], "p": periods})
        .groupby("customer_id")["p"]
        .nunique()
    )


class FitError(RuntimeError):
    pass


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _bgnbd_loglik(params: np.ndarray, x: np.ndarray, tx: np.ndarray, t: np.ndarray) -> np.ndarray:
    r, alpha, a, b = params
    common = (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.gammaln(a + b)
        + special.gammaln(b + x)
        - special.gammaln(b)
        - special.gammaln(a + b + x)
    )
    alive = -(r + x) * np.log(alpha + t)
    with np.errstate(divide="ignore", invalid="ignore"):
        dropped = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + tx),
            -np.inf,
        )
    return common + np.logaddexp(alive, dropped)


# a negative log-likelihood in log parameters
Objective = Callable[[np.ndarray], float]


def _bgnbd_objective(frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> Objective:
    """The negative log-likelihood of BG/NBD in log parameters (finite, or 1e300)."""
    x, tx, t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))

    def objective(log_params: np.ndarray) -> float:
        value = -_bgnbd_loglik(np.exp(log_params), x, tx, t).sum()
        return float(value) if np.isfinite(value) else 1e300

    return objective


def fit_bgnbd(frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> BgNbd:
    x, tx, t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    _check(x, tx, t)
    rate = max(x.sum(), 1.0) / max(t.sum(), 1e-9)  # repeat purchases per week, pooled
    starts = ([0.5, max(t.mean(), 1.0), 1.0, 1.0], [1.0, 1.0 / rate, 1.0, 3.0])
    best = _minimize(_bgnbd_objective(x, tx, t), starts)
    return BgNbd(*(float(v) for v in np.exp(best)))


def _repeat_buyers(
    frequency: ArrayLike, monetary_value: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    n, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    keep = (n > 0) & (m > 0)
    return n[keep], m[keep]


def _gamma_gamma_objective(n: np.ndarray, m: np.ndarray) -> Objective:
    """The negative log-likelihood of Gamma-Gamma in log parameters (finite, or 1e300)."""

    def objective(log_params: np.ndarray) -> float:
        p, q, g = np.exp(log_params)
        ll = (
            special.gammaln(p * n + q)
            - special.gammaln(p * n)
            - special.gammaln(q)
            + q * np.log(g)
            + (p * n - 1) * np.log(m)
            + p * n * np.log(n)
            - (p * n + q) * np.log(g + m * n)
        )
        value = -ll.sum()
        return float(value) if np.isfinite(value) else 1e300

    return objective


def fit_gamma_gamma(frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGamma:
    """On the customers with a repeat purchase of some value: x repeat purchases of mean value
    m (Fader, Hardie & Lee 2005b)."""
    n, m = _repeat_buyers(frequency, monetary_value)
    if len(n) < 10:
        raise FitError(
            f"Gamma-Gamma needs at least 10 customers with a repeat purchase, got {len(n)}"
        )
    starts = ([1.0, 2.0, max(m.mean(), 1.0)], [3.0, 3.0, max(m.mean(), 1.0)])
    best = _minimize(_gamma_gamma_objective(n, m), starts)
    return GammaGamma(*(float(v) for v in np.exp(best)))


# draws of the parameters for the intervals: enough for the 5% and 95% quantiles to settle
DRAWS = 200


def _laplace_draws(objective: Objective, best: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """Parameter draws from the Laplace approximation of the likelihood in log parameters (a
    normal with the inverse Hessian of the negative log-likelihood as covariance: the
    posterior under flat priors on the logs), within LOG_BOUNDS; natural scale."""
    k = len(best)
    step = 1e-4
    hessian = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * step, np.eye(k)[j] * step
            hessian[i, j] = (
                objective(best + ei + ej)
                - objective(best + ei - ej)
                - objective(best - ei + ej)
                + objective(best - ei - ej)
            ) / (4 * step * step)
    values, vectors = np.linalg.eigh((hessian + hessian.T) / 2)
    # a flat direction (no sign of dropout: a and b free to grow together) gets the width of
    # the bounds, not an infinite one; predictions hardly move along it
    scale = vectors * (1.0 / np.sqrt(np.maximum(values, 1e-6)))
    normal = np.random.default_rng(seed).standard_normal((draws, k))
    return np.exp(np.clip(best + normal @ scale.T, *LOG_BOUNDS))


def bgnbd_draws(
    model: BgNbd, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike, draws: int = DRAWS
) -> list[BgNbd]:
    best = np.log([model.r, model.alpha, model.a, model.b])
    found = _laplace_draws(_bgnbd_objective(frequency, recency, age), best, draws, seed=1)
    return [BgNbd(*(float(v) for v in row)) for row in found]


def gamma_gamma_draws(
    model: GammaGamma, frequency: ArrayLike, monetary_value: ArrayLike, draws: int = DRAWS
) -> list[GammaGamma]:
    """Draws with q > 1 only (a finite population mean: the model's own requirement)."""
    n, m = _repeat_buyers(frequency, monetary_value)
    best = np.log([model.p, model.q, model.gamma])
    found = _laplace_draws(_gamma_gamma_objective(n, m), best, draws, seed=2)
    return [GammaGamma(*(float(v) for v in row)) for row in found if row[1] > 1]


# customers whose draws are held in memory at once (draws x chunk values per array)
INTERVAL_CHUNK = 10_000


def intervals(
    bg: BgNbd,
    gg: GammaGamma,
    horizon: float,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    monetary_value: ArrayLike,
    level: float = 0.9,
) -> dict[str, np.ndarray]:
    """Per customer, the `level` credible interval of the expected purchases in `horizon` weeks
    and of predicted CLV (expected purchases x expected value), from the models' parameter
    uncertainty: expected_purchases_low/high, predicted_clv_low/high. The parameter draws are
    shared; customers are taken INTERVAL_CHUNK at a time."""
    x, tx, t, m = (np.asarray(v, dtype=float) for v in (frequency, recency, age, monetary_value))
    bg_draws, gg_draws = bgnbd_draws(bg, x, tx, t), gamma_gamma_draws(gg, x, m)
    pairs = min(len(bg_draws), len(gg_draws))
    tails = [(1 - level) / 2, (1 + level) / 2]
    names = (
        "expected_purchases_low",
        "expected_purchases_high",
        "predicted_clv_low",
        "predicted_clv_high",
    )
    out = {name: np.empty(len(x)) for name in names}
    for lo in range(0, len(x), INTERVAL_CHUNK):
        part = slice(lo, lo + INTERVAL_CHUNK)
        cx, ctx, ct, cm = x[part], tx[part], t[part], m[part]
        # a draw far out along a flat direction can overflow for some customers: such values
        # are left out of that customer's quantiles; with none left, the interval is the point
        histories = _distinct_histories(cx, ct)
        with np.errstate(all="ignore"):
            purchases = np.array(
                [expected_purchases(d, horizon, cx, ctx, ct, histories) for d in bg_draws]
            )
            values = np.array([expected_order_value(d, cx, cm) for d in gg_draws[:pairs]])
            point = expected_purchases(bg, horizon, cx, ctx, ct, histories)
            point_clv = point * expected_order_value(gg, cx, cm)
            bands = (
                _band(purchases, point, tails),
                _band(purchases[:pairs] * values, point_clv, tails),
            )
        for (low, high), (low_name, high_name) in zip(bands, (names[:2], names[2:]), strict=True):
            out[low_name][part], out[high_name][part] = low, high
    return out


def _band(draws: np.ndarray, point: np.ndarray, tails: list[float]) -> tuple[np.ndarray, ...]:
    """Quantiles over the draws (rows) per customer (column), ignoring non-finite values."""
    finite = np.isfinite(draws)
    if finite.all():
        low, high = np.quantile(draws, tails, axis=0)
        return low, high
    draws = np.where(finite, draws, np.nan)
    kept = finite.any(axis=0)
    low, high = point.copy(), point.copy()
    if kept.any():
        low[kept], high[kept] = np.nanquantile(draws[:, kept], tails, axis=0)
    return low, high


# Parameters are fitted as logarithms within these bounds (about 3e-7 to 3e6): every
# likelihood term stays finite there, so no CPU's rounding can walk the search into an overflow.
# Data with no sign of dropout drives a and b of BG/NBD to the upper bound, which is the
# no-dropout limit of the model, not an error.
LOG_BOUNDS = (-15.0, 15.0)


def _minimize(objective: Objective, starts: Sequence[Sequence[float]]) -> np.ndarray:
    """L-BFGS-B then a short Nelder-Mead polish, within LOG_BOUNDS, from the first start; from
    the next start only when that search did not converge. The best finite optimum found."""
    bounds = [LOG_BOUNDS] * len(starts[0])
    found, converged = [], False
    for start in starts:
        if converged:
            break
        x0 = np.clip(np.log(np.asarray(start, dtype=float)), *LOG_BOUNDS)
        first = optimize.minimize(objective, x0, method="L-BFGS-B", bounds=bounds)
        # a short polish: on a flat ridge (no sign of dropout: a and b free to grow together)
        # Nelder-Mead would walk for thousands of steps for a fraction of a nat
        polished = optimize.minimize(
            objective,
            first.x,
            method="Nelder-Mead",
            bounds=bounds,
            options={"maxfev": 400, "xatol": 1e-7, "fatol": 1e-9},
        )
        finite = [r for r in (first, polished) if np.isfinite(r.fun) and r.fun < 1e300]
        converged = bool(first.success) and bool(finite)
        found += finite
    if not found:
        raise FitError("the likelihood did not converge from any start")
    return min(found, key=lambda r: r.fun).x


def _check(x: np.ndarray, tx: np.ndarray, t: np.ndarray) -> None:
    if len(x) < 10:
        raise FitError(f"BG/NBD needs at least 10 customers, got {len(x)}")
    if (x < 0).any() or (tx < 0).any() or (tx > t + 1e-9).any():
        raise FitError("need frequency >= 0 and 0 <= recency <= age for every customer")


def probability_alive(
    m: BgNbd, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> np.ndarray:
    x, tx, t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(
            x > 0,
            (m.a / np.maximum(m.b + x - 1, 1e-12)) * ((m.alpha + t) / (m.alpha + tx)) ** (m.r + x),
            0.0,
        )
    return 1.0 / (1.0 + ratio)


def expected_purchases(
    m: BgNbd,
    horizon: float,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    histories: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Expected purchases in the next `horizon` weeks, given each customer's history.
    `histories`: `_distinct_histories` of (frequency, age), when the caller has it."""
    x, tx, t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    # the hypergeometric term depends on x and T alone: computed once per distinct pair (tens
    # of thousands of customers share a few thousand), the costly part of the formula
    ux, ut, inverse = histories if histories is not None else _distinct_histories(x, t)
    z = horizon / (m.alpha + ut + horizon)
    hyp = special.hyp2f1(m.r + ux, m.b + ux, m.a + m.b + ux - 1, z)[inverse]
    head = (m.a + m.b + x - 1) / (m.a - 1)
    body = 1 - ((m.alpha + t) / (m.alpha + t + horizon)) ** (m.r + x) * hyp
    return head * body * probability_alive(m, x, tx, t)


def _distinct_histories(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (frequency, age) pairs, and for each customer the index of theirs."""
    pairs, inverse = np.unique(np.stack([x, t]), axis=1, return_inverse=True)
    return pairs[0], pairs[1], inverse.reshape(-1)


def expected_order_value(
    m: GammaGamma, frequency: ArrayLike, monetary_value: ArrayLike
) -> np.ndarray:
    """A customer's expected purchase value: the population mean without a repeat purchase."""
    n, v = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    population_mean = m.p * m.gamma / (m.q - 1) if m.q > 1 else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        conditional = m.p * (m.gamma + n * v) / (m.p * n + m.q - 1)
    return np.where(n > 0, conditional, population_mean)
