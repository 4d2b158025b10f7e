"""X pay-per-use against the real simulator server and a real PostgreSQL: what we count a run
costs is what X charged, a monthly budget and spent credits end a run cleanly (whatever status
carries the answer) and lose nothing, and the month's spend and its projection."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from social_crm.extract.x_budget import month_spend
from social_crm_dev.bench import x_money_floor, x_spend
from tests.end_to_end.conftest import Pipeline
from tests.end_to_end.test_real_api_profile import api_env  # noqa: F401 a fixture
from tests.end_to_end.test_x_extraction_promises import fresh_pipeline, truth_tweets

pytestmark = pytest.mark.integration

DAY = 24 * 3600
EXHAUSTED = "select exhausted_at is not null from meta.api_read_budget where connection_id = %s"


def our_spend(pipeline: Pipeline) -> dict[str, float]:
    return {
        price: float(usd)
        for price, usd in pipeline.rows(
            "select price_key, sum(usd) from meta.api_spend group by 1 having sum(usd) > 0"
        )
    }


def nothing_lost(pipeline: Pipeline) -> dict[str, set[str]]:
    """The Posts of each brand's search the world shows that raw does not hold alive."""
    alive = pipeline.alive("x_tweets")
    return {
        handle: lost
        for handle in pipeline.x.settings.brand_handles
        if (lost := truth_tweets(pipeline.sim, handle) - alive)
    }


def run_x(pipeline: Pipeline) -> list:
    return pipeline.x.tweets() + pipeline.x.followers()


def test_x_spend_we_record_equals_what_x_charged_over_runs_and_days(warehouse_url):
    with fresh_pipeline(warehouse_url) as pipeline:
        sim = pipeline.sim
        run_x(pipeline)
        sim.world.advance(seconds=3 * 3600)  # the same UTC day: what is read again is free
        pipeline.x.new_tweets()
        run_x(pipeline)
        sim.world.advance(seconds=DAY)  # a new UTC day: read again, charged again
        run_x(pipeline)
        charged = sim.x_profile.billing.by_price()
        ours = our_spend(pipeline)
        assert set(ours) == set(charged) >= {"post", "user", "follower", "counts_all"}
        assert ours == {price: pytest.approx(usd) for price, usd in charged.items()}


def test_x_resources_read_again_the_same_day_are_not_counted_twice(warehouse_url):
    with fresh_pipeline(warehouse_url, recheck_hours=0) as pipeline:
        pipeline.x.tweets()
        first = our_spend(pipeline)
        pipeline.x.tweets()  # recheck_hours 0: the whole window walked again, the same day
        again = our_spend(pipeline)
        assert first["post"] > 0 and first["user"] > 0
        assert (again["post"], again["user"]) == (first["post"], first["user"])


def test_x_run_that_would_pass_the_budget_ends_cleanly_within_it(warehouse_url):
    # a full first read of the test world costs $1.94 in Posts and authors: a budget below
    # it cuts the Posts' walks (pages of 10 reserve $0.15 each), not only the follower walks
    budget = 1.5
    with fresh_pipeline(warehouse_url, monthly_budget_usd=budget) as pipeline:
        tweets, users = pipeline.x.tweets()
        follows, _ = pipeline.x.followers()
        charged = pipeline.sim.x_profile.billing.spent()
        exhausted = pipeline.scalar(EXHAUSTED, "x_api")
        assert tweets.status == users.status == follows.status == "committed"
        assert 0 < tweets.landed and exhausted
        assert charged <= budget and sum(our_spend(pipeline).values()) == pytest.approx(charged)
        assert nothing_lost(pipeline), "the budget stopped the run before the end"


@settings(max_examples=8, deadline=None)
@given(budget=st.floats(1.5, 6.0), follower_walks=st.sampled_from(["off", "brands", "authors"]))
def test_x_never_charges_more_than_the_budget_whatever_it_is(warehouse_url, budget, follower_walks):
    with fresh_pipeline(
        warehouse_url, monthly_budget_usd=budget, follower_walks=follower_walks
    ) as pipeline:
        run_x(pipeline)
        pipeline.sim.world.advance(seconds=DAY)  # a new day: everything charged again
        run_x(pipeline)
        assert pipeline.sim.x_profile.billing.spent() <= budget


def test_x_walks_cut_by_the_budget_resume_and_lose_nothing_once_it_is_raised(warehouse_url):
    with fresh_pipeline(warehouse_url, monthly_budget_usd=2.5) as pipeline:
        pipeline.x.tweets()
        pipeline.x.settings = dataclasses.replace(pipeline.x.settings, monthly_budget_usd=0.0)
        pipeline.x.tweets()
        assert nothing_lost(pipeline) == {}


@pytest.mark.parametrize("status", [402, 403, 429])
def test_x_spent_credits_end_the_run_cleanly_whatever_the_status(warehouse_url, status):
    with fresh_pipeline(warehouse_url) as pipeline:
        billing = pipeline.sim.x_profile.billing
        billing.spending_limit_usd, billing.spent_status = 0.5, status
        tweets, users = pipeline.x.tweets()
        follows, _ = pipeline.x.followers()
        exhausted = pipeline.scalar(EXHAUSTED, "x_api")
        assert tweets.status == users.status == follows.status == "committed"
        assert tweets.landed > 0 and exhausted and billing.spent() >= 0.5
        assert nothing_lost(pipeline), "the credits ran out before the end"
        billing.spending_limit_usd = None  # credits added
        pipeline.x.tweets()
        assert nothing_lost(pipeline) == {}


def test_x_month_spend_projects_the_last_day_rate_to_the_month_end(warehouse_url):
    with fresh_pipeline(warehouse_url) as pipeline:
        now = datetime(2026, 12, 11, tzinfo=UTC)
        hours = [now - timedelta(hours=h) for h in range(1, 49)]  # $1 an hour for two days
        hours.append(datetime(2026, 11, 30, 23, tzinfo=UTC))  # last month: not this one's
        with pipeline.connect() as conn:
            for hour in hours:
                conn.execute(
                    "insert into meta.api_spend (connection_id, spent_hour, price_key, usd)"
                    " values ('x_api', %s, 'post', 1)",
                    (hour,),
                )
            spend = month_spend(conn, "x_api", now)
        assert spend.spent_usd == 48 and spend.usd_per_hour == 1
        assert spend.projected_usd == 48 + 21 * 24  # to 2027-01-01 at $1 an hour


def test_bench_x_floor_prices_every_new_resource_once(warehouse_url):
    with fresh_pipeline(warehouse_url) as pipeline:
        with pipeline.connect() as conn:
            began = conn.execute("select now()").fetchone()[0]
        before = pipeline.sim.state()
        run_x(pipeline)
        after = pipeline.sim.state()
        with pipeline.connect() as conn:
            floor = x_money_floor(conn, began)
        resources = pipeline.sim.x_profile.billing.resources()
        posts = pipeline.scalar("select count(distinct natural_key) from raw.x_tweets")
        spend = x_spend(before, after, floor["x_floor_usd"])
        assert floor["x_floor_usd_by_price"]["post"] == pytest.approx(posts * 0.005)
        assert resources["post"] >= posts  # what a first run reads is all new: at the floor
        assert spend["x_usd_hour"] == pytest.approx(pipeline.sim.x_profile.billing.spent())
        assert spend["x_usd_vs_floor"] >= 1


def test_check_connections_prints_the_access_model_spend_and_projection(
    sim,
    db,
    api_env,  # noqa: F811 the fixture
    capsys,
):
    from social_crm import cli

    Pipeline(sim, db).x.tweets()
    code = cli.main(["check-connections"])
    lines = capsys.readouterr().out.splitlines()
    spend = [line for line in lines if "x_api: monthly spend" in line]
    charged = sim.x_profile.billing.spent()  # the run's and the probes' own
    assert code == 0, lines
    assert len(spend) == 1 and spend[0].startswith("[ok]")
    said = re.search(
        r"access pay_per_use: \$([0-9.]+) spent in 2026-01 \(no monthly budget", spend[0]
    )
    assert said and float(said[1]) == pytest.approx(charged, abs=0.0051)  # printed to the cent
    assert "an hour lately" in spend[0] and "projected for the month" in spend[0]
    assert any(line.startswith("[ok]") and "usage/tweets" in line for line in lines)


def test_x_credits_spent_at_a_counts_request_end_the_run_cleanly(warehouse_url):
    """The credits may run out at any request: here at the first count that proves a walk."""
    with fresh_pipeline(warehouse_url) as pipeline:
        profile = pipeline.sim.x_profile
        admit = profile.admit

        def spent_at_the_first_count(endpoint: str, month: str, clock: float):
            if endpoint.startswith("counts") and profile.billing.spending_limit_usd is None:
                profile.billing.spending_limit_usd = profile.billing.spent()
            return admit(endpoint, month, clock)

        profile.admit = spent_at_the_first_count
        tweets, users = pipeline.x.tweets()
        assert profile.billing.spending_limit_usd is not None, "no count was asked"
        assert tweets.status == users.status == "committed" and tweets.landed > 0
        assert pipeline.scalar(EXHAUSTED, "x_api")


def test_x_follower_walks_go_on_when_only_the_post_cap_is_spent(warehouse_url):
    """Follower lists are no Post reads: a spent Post cap stops the searches, not them."""
    with fresh_pipeline(warehouse_url, monthly_read_cap=10) as pipeline:
        pipeline.x.tweets()
        follows, _ = pipeline.x.followers()
        assert pipeline.scalar(EXHAUSTED, "x_api")  # the Post cap stopped the searches
        assert follows.status == "committed" and follows.landed > 0
