"""CLV on real purchases: the CDNOW sample of Fader, Hardie & Lee (2005), read from the
`lifetimes` wheel, prepared by our `summarize` and fitted by our maximum likelihood, against the
papers' parameters and against `lifetimes` itself (standard preparation, the same window)."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from social_crm.customer_value import clv
from social_crm_dev import cdnow

pytestmark = pytest.mark.eval

# the orders read: up to the end of the papers' calibration period (that day included)
OBSERVED_UNTIL = datetime.fromisoformat(cdnow.CALIBRATION_END).replace(tzinfo=UTC) + timedelta(1)
HORIZON_WEEKS = 39


@pytest.fixture(scope="module")
def orders():
    return cdnow.transactions()


@pytest.fixture(scope="module")
def summary(orders):
    return clv.summarize(orders, OBSERVED_UNTIL)


@pytest.fixture(scope="module")
def reference(orders):
    """lifetimes' own preparation and fits on the same window."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    frame = orders.assign(ordered_at=orders["ordered_at"].dt.tz_localize(None))
    data = summary_data_from_transaction_data(
        frame, "customer_id", "ordered_at", "amount", observation_period_end=cdnow.CALIBRATION_END
    )
    data[["recency", "T"]] /= 7  # days -> weeks
    bg = BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
    repeat = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
    gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    return data, bg, gg


def test_our_preparation_equals_the_standard_one(summary, reference):
    data = reference[0]
    ours = summary.loc[data.index]
    assert (ours["frequency"].to_numpy() == data["frequency"].to_numpy()).all()
    np.testing.assert_allclose(ours["recency_weeks"], data["recency"], atol=1e-9)
    np.testing.assert_allclose(ours["age_weeks"], data["T"], atol=1e-9)
    np.testing.assert_allclose(ours["monetary_value"], data["monetary_value"], atol=1e-9)


def test_bgnbd_gives_the_papers_parameters_within_one_percent(summary):
    bg = clv.fit_bgnbd(summary["frequency"], summary["recency_weeks"], summary["age_weeks"])
    for fitted, published in ((bg.r, 0.243), (bg.alpha, 4.414), (bg.a, 0.793), (bg.b, 2.426)):
        assert fitted == pytest.approx(published, rel=0.01)


def test_gamma_gamma_gives_the_papers_parameters_within_two_percent(summary):
    gg = clv.fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    for fitted, published in ((gg.p, 6.25), (gg.q, 3.74), (gg.gamma, 15.44)):
        assert fitted == pytest.approx(published, rel=0.02)


def test_per_customer_purchases_and_clv_agree_with_lifetimes_within_one_percent(summary, reference):
    data, bg_ref, gg_ref = reference
    ours = summary.loc[data.index]
    x, tx, t = ours["frequency"], ours["recency_weeks"], ours["age_weeks"]
    bg = clv.fit_bgnbd(x, tx, t)
    gg = clv.fit_gamma_gamma(x, ours["monetary_value"])
    purchases = clv.expected_purchases(bg, HORIZON_WEEKS, x, tx, t)
    value = clv.expected_order_value(gg, x, ours["monetary_value"])
    ref_purchases = bg_ref.conditional_expected_number_of_purchases_up_to_time(
        HORIZON_WEEKS, data["frequency"], data["recency"], data["T"]
    ).to_numpy()
    ref_value = np.where(
        data["frequency"] > 0,
        gg_ref.conditional_expected_average_profit(data["frequency"], data["monetary_value"]),
        gg_ref.conditional_expected_average_profit(0, 0),
    )
    assert np.mean(np.abs(purchases / ref_purchases - 1)) < 0.01
    assert np.mean(np.abs(purchases * value / (ref_purchases * ref_value) - 1)) < 0.01


@pytest.mark.parametrize(
    "sample", [5, pytest.param(25, marks=pytest.mark.eval_only)], ids=lambda n: f"{n}_customers"
)
@pytest.mark.parametrize("edit", ["remove", "double_an_order", "zero_an_order", "move_a_day"])
def test_no_single_customer_edit_fails_the_fit(orders, edit, sample):
    """Every kind of edit, on `sample` customers of every purchase frequency: both fits
    converge (the nightly run must never fail because one customer's orders changed); 25 take
    a minute (`make eval`), 5 are in `make test`."""
    rng = np.random.default_rng(3)
    customers = rng.choice(orders["customer_id"].unique(), size=sample, replace=False)
    for customer in customers:
        edited = orders.copy()
        mine = edited.index[edited["customer_id"] == customer]
        row = mine[rng.integers(len(mine))]
        if edit == "remove":
            edited = edited.drop(mine)
        elif edit == "double_an_order":
            edited.loc[row, "amount"] *= 2
        elif edit == "zero_an_order":
            edited.loc[row, "amount"] = 0.0
        else:
            edited.loc[row, "ordered_at"] += np.timedelta64(1, "D")
        s = clv.summarize(edited, OBSERVED_UNTIL)
        bg = clv.fit_bgnbd(s["frequency"], s["recency_weeks"], s["age_weeks"])
        gg = clv.fit_gamma_gamma(s["frequency"], s["monetary_value"])
        assert bg.r == pytest.approx(0.243, rel=0.05), customer
        assert gg.p == pytest.approx(6.25, rel=0.1), customer


def test_parameter_draws_spread_as_lifetimes_standard_errors(summary, reference):
    """The intervals come from the likelihood's curvature at the optimum; lifetimes reports
    the same curvature as the parameters' standard errors."""
    x, tx, t = summary["frequency"], summary["recency_weeks"], summary["age_weeks"]
    draws = clv.bgnbd_draws(clv.fit_bgnbd(x, tx, t), x, tx, t, draws=2000)
    errors = reference[1].summary["se(coef)"]
    for name in ("r", "alpha"):  # a and b: skewed, a log-normal spread is not their se
        spread = np.std([getattr(d, name) for d in draws])
        assert spread == pytest.approx(errors[name], rel=0.1), name


def test_the_ninety_percent_interval_holds_the_prediction(summary):
    x, tx, t = (summary[c] for c in ("frequency", "recency_weeks", "age_weeks"))
    m = summary["monetary_value"]
    bg, gg = clv.fit_bgnbd(x, tx, t), clv.fit_gamma_gamma(x, m)
    bands = clv.intervals(bg, gg, HORIZON_WEEKS, x, tx, t, m)
    predicted = clv.expected_purchases(bg, HORIZON_WEEKS, x, tx, t)
    inside = (bands["expected_purchases_low"] <= predicted) & (
        predicted <= bands["expected_purchases_high"]
    )
    assert inside.mean() > 0.99
    assert (bands["predicted_clv_high"] > bands["predicted_clv_low"]).all()
