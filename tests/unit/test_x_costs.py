"""X pay-per-use, the client's side: what an answer that the money is spent means (whatever
its status), the price settings of a connection, and what a successful answer costs by our own
price list against the simulator's (the platform's) for any sequence of answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.extract import x_cost
from social_crm.extract.http import UsageCapExceeded
from social_crm.extract.x_policy import XPolicy
from social_crm.settings import X_PRICES_USD, ApiOptions, SettingError
from social_crm_dev.simulator.x_billing import PRICES_USD, XBilling
from tests.unit.test_transport_retry_decisions import api  # noqa: F401 (a fixture)

CREDITS_DEPLETED = {
    "title": "Payment Required",
    "detail": "credits depleted",
    "type": "https://api.x.com/2/problems/credits-depleted",
}


@given(status=st.integers(400, 599))
def test_x_spent_credits_fail_at_once_whatever_the_status(api, status):  # noqa: F811
    outcome, _ = api.ask(XPolicy(), (status, CREDITS_DEPLETED, {}))
    assert isinstance(outcome, UsageCapExceeded) and api.requests == 1
    assert "credits are spent" in str(outcome)


@given(body=st.sampled_from([{}, {"title": "Payment Required"}, {"detail": "?"}]))
def test_an_x_402_is_spent_credits_whatever_its_body(api, body):  # noqa: F811
    outcome, _ = api.ask(XPolicy(), (402, body, {}))
    assert isinstance(outcome, UsageCapExceeded) and api.requests == 1


def test_an_x_429_naming_the_credits_is_not_waited_out(api):  # noqa: F811
    outcome, client = api.ask(XPolicy(), (429, CREDITS_DEPLETED, {"x-rate-limit-reset": "1"}))
    assert isinstance(outcome, UsageCapExceeded) and client.waits == []


# --- the connection's settings --------------------------------------------------------------


def test_a_new_x_connection_is_pay_per_use_with_the_documented_prices():
    options = ApiOptions.parse("x_api", {}, "2")
    assert options.tier == "pay_per_use" and options.prices == X_PRICES_USD
    assert options.monthly_budget_usd == 0.0


@given(post=st.floats(0, 1), user=st.floats(0, 1))
def test_x_prices_in_the_extra_override_the_defaults(post, user):
    for extra in ({"post": post, "user": user}, f"post={post!r},user={user!r}"):
        prices = ApiOptions.parse("x_api", {"prices": extra}, "2").prices
        assert prices == {**X_PRICES_USD, "post": post, "user": user}


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"prices": {"tweet": 0.1}}, "unknown price 'tweet'"),
        ({"prices": {"post": -1}}, "post must be a finite number >= 0"),
        ({"prices": {"post": "nan"}}, "post must be a finite number >= 0"),
        ({"prices": "post"}, "name=dollars pairs"),
        ({"monthly_budget_usd": "inf"}, "monthly_budget_usd must be a finite number"),
        ({"monthly_budget_usd": -5}, "monthly_budget_usd must be a finite number"),
        ({"owner_user_id": "@fjordbrew"}, "owner_user_id must be an X user id"),
    ],
)
def test_a_bad_x_price_or_budget_is_refused_naming_it(extra, named):
    with pytest.raises(SettingError, match=named):
        ApiOptions.parse("x_api", extra, "2")


# --- our price list against the platform's --------------------------------------------------

OURS = "1400000000000000001"  # the simulator's app owner (config.OUR_BRAND)
ids = st.integers(1, 40).map(str)
answers = st.sampled_from(
    [
        ("tweets/search/recent", "tweets"),
        ("tweets", "tweets"),
        (f"users/{OURS}/mentions", "tweets"),
        ("users/1400000000000000002/mentions", "tweets"),
        (f"users/{OURS}/followers", "users"),
        ("users/1400000000000000003/followers", "users"),
        ("users/7", "user"),
        ("tweets/counts/recent", "counts"),
        ("tweets/counts/all", "counts"),
    ]
)


def _body(kind: str, data: list[str], authors: list[str]) -> dict:
    if kind == "counts":
        return {"data": [{"start": "x", "end": "y", "tweet_count": 3}]}
    if kind == "user":
        return {"data": {"id": data[0] if data else "1"}}
    if kind == "users":
        return {"data": [{"id": i} for i in data]}
    return {"data": [{"id": i} for i in data], "includes": {"users": [{"id": a} for a in authors]}}


@given(
    steps=st.lists(
        st.tuples(
            answers, st.lists(ids, max_size=6), st.lists(ids, max_size=4), st.integers(0, 30)
        ),
        max_size=25,
    ),
    as_owner=st.booleans(),
)
def test_our_price_list_charges_what_the_platform_charges(steps, as_owner):
    """Any sequence of answers over days: the cost by our price list, each resource once per
    UTC day, equals what the simulator (the platform, its own code) charged."""
    assert PRICES_USD == X_PRICES_USD  # the two tables, written apart, agree today
    billing = XBilling()
    charged: dict[str, set[bytes]] = {}
    ours = 0.0
    now = datetime(2026, 12, 1, 23, tzinfo=UTC)
    for (path, kind), data, authors, minutes in steps:
        now += timedelta(minutes=minutes * 7)
        body = _body(kind, data, authors)
        billing.charge(path.split("/"), body, now, OURS if as_owner else None)
        today = charged.setdefault(now.date().isoformat(), set())
        for charge in x_cost.charges(f"/2/{path}", body, (OURS,) if as_owner else ()):
            if charge.key not in today:
                today.add(charge.key)
                ours += X_PRICES_USD[charge.price]
        if (price := x_cost.request_price(f"/2/{path}")) is not None:
            ours += X_PRICES_USD[price]
    assert ours == pytest.approx(billing.spent())


@given(
    request=answers,
    asked=st.integers(1, 100),
    data=st.lists(ids, max_size=100, unique=True),
    authors=st.lists(ids, max_size=100, unique=True),
    as_owner=st.booleans(),
)
def test_what_a_request_holds_covers_what_its_answer_is_charged(
    request, asked, data, authors, as_owner
):
    """Any answer the platform may give a request (no more items than it asks for, an author
    each at most) is charged no more than the request's worst case (`worst_charges`), what
    the monthly budget holds before it is sent."""
    path, kind = request
    params: dict[str, str | int] = {"expansions": "author_id"} if kind == "tweets" else {}
    if path == "tweets":
        params["ids"] = ",".join(data[:asked] or ["1"])
    elif kind in ("tweets", "users"):
        params["max_results"] = asked
    served = data[:asked] if kind != "user" else data[:1]
    body = _body(kind, served, authors[: len(served)])
    charged = XBilling().charge(
        path.split("/"), body, datetime(2026, 12, 1, tzinfo=UTC), OURS if as_owner else None
    )
    worst = x_cost.worst_charges(f"/2/{path}", params, (OURS,) if as_owner else ())
    held = sum(n * X_PRICES_USD[price] for price, n in worst.items())
    assert charged <= held + 1e-9, (path, params, worst, charged)


# --- the bench's report -----------------------------------------------------------------------


def _bench_results(**hourly) -> dict:
    measured = {
        "calls": 100,
        "calls_vs_floor": 1.0,
        "floor_calls": 100,
        "records_new": 10,
        "x_usd_hour": 3.0,
        "x_usd_by_price": {"post": 2.0, "user": 1.0},
        "x_floor_usd_month": 720.0,
        **hourly,
    }
    return {
        "events_target": 1_000_000,
        "landing": {"landing_vs_raw_copy": 0.9},
        "extraction": {"peak_rss_mb": 150.0},
        "full_build_s": 300.0,
        "full_build_steps_s": {},
        "incremental_build_s": 10.0,
        "incremental_build_steps_s": {},
        "incremental_vs_full": 0.01,
        "full_build_dbt_nodes_s": {},
        "incremental_build_dbt_nodes_s": {},
        "incremental_models": [],
        "hourly_api": measured,
    }


@pytest.mark.parametrize(("vs_floor", "explained"), [(3.0, True), (1.2, False), (None, False)])
def test_bench_explains_an_x_spend_above_the_floor_only(vs_floor, explained):
    from social_crm_dev import bench

    text = "\n".join(bench.missed_targets(_bench_results(x_usd_vs_floor=vs_floor)))
    assert ("An hourly X extraction costs $3.00, 3.0x the floor of $1.00" in text) is explained


def test_bench_scales_the_month_spend_with_the_activity():
    from social_crm_dev import bench

    measured = {"x_usd_month": 500.0}
    assert bench.x_usd_month_at(measured, 1_000_000, 10_000_000) == 5000.0
