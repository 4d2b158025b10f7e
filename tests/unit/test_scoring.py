"""CLV models and influence: published reference values and recovery of known parameters."""

import csv
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from social_crm.customer_value import clv
from social_crm.customer_value.influence import influence_scores, pagerank
from social_crm_dev.simulator.config import DAY, WorldConfig
from social_crm_dev.simulator.orders import ClvParameters
from social_crm_dev.simulator.world import World

CDNOW = Path(__file__).parents[1] / "data" / "cdnow_customers_summary.csv"


def test_bgnbd_fit_reproduces_the_published_cdnow_result():
    with open(CDNOW, newline="") as handle:
        rows = list(csv.DictReader(handle))
    model = clv.fit_bgnbd(
        [float(r["frequency"]) for r in rows],
        [float(r["recency"]) for r in rows],
        [float(r["T"]) for r in rows],
    )
    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426
    assert model.r == pytest.approx(0.243, abs=0.001)
    assert model.alpha == pytest.approx(4.414, abs=0.01)
    assert model.a == pytest.approx(0.793, abs=0.002)
    assert model.b == pytest.approx(2.426, abs=0.01)


def _simulated_summary(scale):
    world = World(WorldConfig(seed=5, scale=scale))
    week = 7 * DAY
    rows = []
    for customer in range(world.population.n_customers):
        orders = list(world.orders(customer))
        first = orders[0].ordered_at
        rows.append(
            (
                len(orders) - 1,
                (orders[-1].ordered_at - first) / week,
                (world.clock - first) / week,
                float(np.mean([o.amount for o in orders[1:]])) if len(orders) > 1 else 0.0,
            )
        )
    return np.array(rows)


def test_models_recover_the_simulators_generating_parameters():
    data = _simulated_summary(3)
    bg = clv.fit_bgnbd(data[:, 0], data[:, 1], data[:, 2])
    gg = clv.fit_gamma_gamma(data[:, 0], data[:, 3])  # repeat purchases and their mean value
    true = ClvParameters()
    # the identifiable quantities, tightly; each parameter within a looser band
    assert bg.r / bg.alpha == pytest.approx(true.r / true.alpha, rel=0.15)  # mean buying rate
    assert bg.a / (bg.a + bg.b) == pytest.approx(true.a / (true.a + true.b), rel=0.2)  # dropout
    assert gg.p * gg.gamma / (gg.q - 1) == pytest.approx(
        true.p * true.gamma / (true.q - 1), rel=0.1
    )  # mean order value
    for fitted, generating in (
        (bg.r, true.r),
        (bg.alpha, true.alpha),
        (bg.a, true.a),
        (bg.b, true.b),
        (gg.p, true.p),
        (gg.q, true.q),
        (gg.gamma, true.gamma),
    ):
        assert fitted == pytest.approx(generating, rel=0.5)


def _cdnow_summary():
    with open(CDNOW, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return (np.array([float(r[k]) for r in rows]) for k in ("frequency", "recency", "T"))


def test_bgnbd_reaches_the_same_optimum_from_far_apart_starts():
    x, tx, t = _cdnow_summary()

    def objective(log_params):
        return float(-clv._bgnbd_loglik(np.exp(log_params), x, tx, t).sum())

    optima = [
        np.exp(clv._minimize(objective, [start]))
        for start in ([0.01, 100, 0.1, 10], [5, 0.5, 5, 0.5], [20, 0.01, 50, 0.05])
    ]
    for r, alpha, a, b in optima:
        assert (r, alpha, a, b) == pytest.approx((0.243, 4.414, 0.793, 2.426), rel=0.01)


def _short_history_summaries():
    """A 20-day world has no sign of dropout yet; each summary leaves one repeat buyer out,
    as when a customer's orders are removed between two nightly runs."""
    world = World(WorldConfig(seed=11, scale=0.03, days=20))
    week = 7 * DAY
    customers = [list(world.orders(c)) for c in range(world.population.n_customers)]
    customers = [orders for orders in customers if orders]
    end = max(o.ordered_at for orders in customers for o in orders)
    for left_out in [None] + [i for i, orders in enumerate(customers) if len(orders) > 2]:
        kept = [orders for i, orders in enumerate(customers) if i != left_out]
        yield np.array(
            [
                (
                    len(orders) - 1,
                    (orders[-1].ordered_at - orders[0].ordered_at) / week,
                    (end - orders[0].ordered_at) / week,
                )
                for orders in kept
            ]
        ).T


@pytest.mark.slow  # a fit per customer left out
def test_bgnbd_fit_without_dropout_is_stable_when_one_customer_leaves():
    fits = [clv.fit_bgnbd(*summary) for summary in _short_history_summaries()]
    full = fits[0]
    for fit in fits[1:]:  # the mean buying rate moves a little, never to a degenerate corner
        assert fit.r / fit.alpha == pytest.approx(full.r / full.alpha, rel=0.5)
        assert 0.01 < fit.r < 100 and 0.01 < fit.alpha < 1_000


def test_predictions_behave():
    model = clv.BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426)
    # no repeat purchase yet: certainly alive; a long silence after purchases: probably gone
    assert clv.probability_alive(model, 0, 0, 30) == pytest.approx(1.0)
    assert clv.probability_alive(model, 5, 5, 40) < clv.probability_alive(model, 5, 39, 40)
    horizon = clv.expected_purchases(model, 52, [0, 2, 10], [0, 30, 38], [39, 39, 39])
    assert (horizon >= 0).all() and horizon[2] > horizon[1] > horizon[0]
    spend = clv.expected_order_value(clv.GammaGamma(6, 3.5, 15), [0, 1, 20], [0, 80, 80])
    assert spend[0] == pytest.approx(36.0)  # population mean p*gamma/(q-1)
    assert spend[0] < spend[1] < spend[2] < 80  # shrinks toward the mean, less with more data


def test_fits_refuse_too_little_data():
    with pytest.raises(clv.FitError, match="at least 10"):
        clv.fit_bgnbd([1, 2], [1, 2], [3, 4])


def test_pagerank_matches_networkx():
    graph = nx.gnm_random_graph(300, 1500, directed=True, seed=1)
    src, dst = zip(*graph.edges(), strict=True)
    ours = pagerank(np.array(src), np.array(dst), 300)
    reference = nx.pagerank(graph, alpha=0.85, tol=1e-12)
    assert max(abs(ours[i] - reference[i]) for i in range(300)) < 1e-8


def test_influence_scores_average_one_and_favour_the_followed():
    followers = ["a", "b", "c", "d", "a"]
    followed = ["hub", "hub", "hub", "hub", "b"]
    scores = influence_scores(followers, followed)
    assert np.mean(list(scores.values())) == pytest.approx(1.0)
    assert scores["hub"] == max(scores.values()) and scores["b"] > scores["c"]


def test_recency_weight_halves_every_half_life_and_ignores_the_future():
    from social_crm.customer_value.influence import HALF_LIFE_DAYS, recency_weights

    weights = recency_weights(np.array([0.0, HALF_LIFE_DAYS, -1.0]))
    assert weights.tolist() == [1.0, 0.5, 0.0]


def test_interaction_influence_averages_one_and_favours_the_much_answered():
    from social_crm.customer_value.influence import interaction_influence

    messages = [("x:a", "post", 1.0), ("x:b", "post", 1.0)]
    drawn = [("x:a", "reply", 1.0, 1), ("x:a", "reply", 2.0, 1), ("x:a", "reply", 3.0, 1)]
    scores = interaction_influence(messages, [*drawn, ("x:b", "reply", 1.0, 1)], {})
    assert scores["x:a"].influence > scores["x:b"].influence
    assert np.isclose(np.mean([e.influence for e in scores.values()]), 1.0)
