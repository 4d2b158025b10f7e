"""X pay-per-use at its edges: the monthly budget in money and the answer
that says the credits are spent. Real simulator server, real embedded PostgreSQL."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import migrated_database
from tests.end_to_end.conftest import WORLD, Pipeline, test_x_profile
from tests.end_to_end.test_x_extraction_promises import latest

pytestmark = pytest.mark.integration

HOUR = 3600


@contextmanager
def pipeline_on(warehouse_url, world: WorldConfig = WORLD, **x_settings):
    with (
        SimulatorServer(World(world), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        yield Pipeline(sim, db, x_settings=x_settings)


def test_x_budget_holds_with_full_archive_pages_of_500(warehouse_url):
    """docs/x-costs.md: "a run that would exceed the budget lands what it read ... ends
    cleanly"; the check before each page assumes 100 Posts a page (`WORST_PAGE`), but
    full-archive search serves up to 500 a page (real-apis.md, and `page_size` has no upper
    bound): one page costs up to $7.50, five times what the check reserved."""
    budget = 1.6
    world = WorldConfig(seed=23, scale=0.8, days=20)  # a brand with > 500 mentions in 60 days
    with pipeline_on(
        warehouse_url,
        world,
        page_size=500,  # full_archive is on in the test Pipeline (pay-per-use serves it)
        monthly_budget_usd=budget,
        own_accounts=(),  # every brand by search: the first request is a 500-Post page
    ) as pipeline:
        pipeline.x.tweets()
        charged = pipeline.sim.x_profile.billing.spent()
        assert charged <= budget, f"X charged ${charged:.2f} on a ${budget:.2f} monthly budget"


@pytest.mark.parametrize("status", [402, 200])
def test_x_credits_spent_answer_stops_the_run_and_keeps_the_recheck_due(warehouse_url, status):
    """docs/x-costs.md: an answer that the credits are spent ends the run cleanly, "whatever
    HTTP status carries it". Carried by a 200 (the simulator's `spent_status`), the run goes
    on as if every answer were empty: the budget is not marked exhausted, and the re-check
    cursor moves past the Posts whose last re-check the refused lookups skipped, so a Post
    deleted at the source is never confirmed deleted: it stays alive in raw for good."""
    with pipeline_on(warehouse_url, page_size=10, lookback_days=2) as pipeline:
        sim, billing = pipeline.sim, pipeline.sim.x_profile.billing
        pipeline.x.tweets()
        # a mention 30 to 40 hours old: its 24 h re-check is past, its last (48 h) is ahead
        key = pipeline.scalar(
            "select natural_key from raw.x_tweets where payload->>'author_id' is not null"
            " and event_at between (select max(event_at) from raw.x_tweets) - interval '40 hours'"
            " and (select max(event_at) from raw.x_tweets) - interval '30 hours'"
            " order by event_at limit 1"
        )
        sim.hide([key])  # deleted at the source
        sim.world.advance(seconds=20 * HOUR)  # its last re-check point passes
        billing.spending_limit_usd, billing.spent_status = billing.spent(), status
        pipeline.x.tweets()  # every request refused: the credits are spent
        exhausted = pipeline.scalar(
            "select exhausted_at is not null from meta.api_read_budget"
            " where connection_id = 'x_api'"
        )
        billing.spending_limit_usd = None  # credits added
        for _ in range(3):
            sim.world.advance(seconds=HOUR)
            pipeline.x.tweets()
        assert latest(pipeline, key)[0], f"Post {key} is deleted at the source, alive in raw"
        assert exhausted, "the spent credits were not recorded"


def test_x_spend_we_record_equals_what_x_charged_when_answers_are_cut_short(warehouse_url):
    """docs/x-costs.md: the tests hold our count equal to what X charged. A counts request
    is charged "every time" (per request, no de-duplication), and X charges the answer it
    served even when the body reached us cut short; the transport asks again and the meter
    sees only the answer it could parse: each counts request asked again after a truncated
    answer costs $0.01 that `meta.api_spend` (and the budget check) never see."""
    from social_crm_dev.simulator.faults import FaultConfig

    with pipeline_on(warehouse_url, page_size=10) as pipeline:
        sim = pipeline.sim
        sim.configure_faults(FaultConfig(truncate_rate=0.3, seed=1))
        for _ in range(3):
            pipeline.x.tweets()
            pipeline.x.new_tweets()
            sim.world.advance(seconds=5 * HOUR)
        charged = sim.x_profile.billing.by_price()
        ours = dict(
            pipeline.rows("select price_key, sum(usd)::float from meta.api_spend group by 1")
        )
    assert ours == {price: pytest.approx(usd) for price, usd in charged.items()}


def test_x_our_brand_read_from_its_timelines_costs_no_more_than_by_search(warehouse_url):
    """The promise: our own brand's mentions are read from its mentions timeline, "cheaper"
    than search. A brand that signs up today has an app-only Bearer token and no
    `owner_user_id` (the default): nothing is an Owned Read, and the mentions timeline
    returns the reposts of mentions (which search no longer returns), each charged a Post
    and its author a User, then thrown away. The same window read by search costs less."""
    spend = {}
    for how, extra in (("timelines", {}), ("search", {"own_accounts": ()})):
        with pipeline_on(warehouse_url, page_size=100, **extra) as pipeline:
            pipeline.x.tweets()
            spend[how] = pipeline.sim.x_profile.billing.spent()
            landed = len(pipeline.alive("x_tweets"))
            spend[f"{how} Posts landed"] = landed
    assert spend["timelines Posts landed"] == spend["search Posts landed"]
    assert spend["timelines"] <= spend["search"], spend


def test_x_budget_of_a_month_holds_when_a_run_crosses_into_it(warehouse_url):
    """docs/x-costs.md: money is counted "per connection and calendar month" and
    `monthly_budget_usd` is "what a calendar month may cost". A run that starts a minute
    before midnight UTC on the month's last day (an hourly schedule does) books everything
    it spends into the month it started in (`ReadBudget.month`, fixed at the start), while X
    bills what it reads after midnight to the new month: the new month's first run starts
    from $0 spent and X charges the new month more than its budget."""
    from datetime import UTC, datetime, timedelta

    budget = 4.0  # a full read of the test world's window costs about $1.94
    with pipeline_on(
        warehouse_url, page_size=10, monthly_budget_usd=budget, recheck_hours=0
    ) as pipeline:
        sim = pipeline.sim
        now = pipeline.x_client.server_now(fresh=True)  # the world's clock
        month_end = (datetime(now.year, now.month, 1, tzinfo=UTC) + timedelta(days=32)).replace(
            day=1
        )
        sim.world.advance(seconds=int((month_end - now).total_seconds()) - 60)
        new_month = month_end.strftime("%Y-%m")

        client, calls = pipeline.x_client, [0]
        request = client._request_json

        def a_minute_later(*args, **kwargs):  # the run's third request is after midnight
            calls[0] += 1
            if calls[0] == 3:
                sim.world.advance(seconds=120)
            return request(*args, **kwargs)

        client._request_json = a_minute_later
        pipeline.x.tweets()  # the first run: starts on the last day, ends in the new month
        client._request_json = request
        for _ in range(2):
            sim.world.advance(seconds=24 * HOUR)  # the next day: the window read again
            pipeline.x.tweets()
        charged = sim.x_profile.billing.spent(new_month)
        assert charged <= budget, f"X charged ${charged:.2f} in {new_month}, budget ${budget}"


def test_x_owner_user_id_with_an_app_only_token_is_not_counted_at_the_owned_price(
    warehouse_url,
):
    """docs/x-costs.md: set `owner_user_id` only "when the connection's token is that
    account's OAuth 2.0 user token". Nothing checks it (`check-connections` does not ask X who
    the token is, `GET /2/users/me`): with the app-only Bearer token a new connection has,
    X charges our brand's timelines $0.005 a Post while we count $0.001, and the monthly
    budget is checked against a fifth of what the timelines really cost."""
    from social_crm_dev.simulator.config import OUR_BRAND

    with pipeline_on(
        warehouse_url, page_size=10, owned_user_ids=(OUR_BRAND.x_user_id,)
    ) as pipeline:  # the test Pipeline's token is the app-only Bearer token
        pipeline.x.tweets()
        charged = pipeline.sim.x_profile.billing.spent()
        ours = pipeline.scalar("select sum(usd)::float from meta.api_spend")
    assert ours == pytest.approx(charged), f"we counted ${ours:.3f}, X charged ${charged:.3f}"


@pytest.mark.parametrize("status", [402, 200])
def test_x_follower_walks_refused_by_spent_credits_are_walked_again_next_run(warehouse_url, status):
    """docs/x-costs.md: an answer that the credits are spent ends the run cleanly "whatever
    HTTP status carries it"; real-apis.md: a follower walk that returned fewer followers than
    the account counts "is not counted as a walk: the account is walked again next run".
    Carried by a 200, every follower list reads as empty and the count lookup carries no
    count (None): each brand is recorded as walked (`meta.x_follower_walks`) with no follower
    read, and once credits are added the next runs skip them for `follower_walk_days`."""
    with pipeline_on(warehouse_url, page_size=10, follower_walks="brands") as pipeline:
        sim, billing = pipeline.sim, pipeline.sim.x_profile.billing
        pipeline.x.tweets()
        billing.spending_limit_usd, billing.spent_status = billing.spent(), status
        pipeline.x.followers()  # every request refused: the credits are spent
        billing.spending_limit_usd = None  # credits added
        sim.world.advance(seconds=HOUR)
        pipeline.x.followers()
        landed = len(pipeline.alive("x_followers"))
    assert landed > 0, "no follower of any brand landed after the credits were added"


def test_x_budget_smaller_than_a_full_page_still_reads_what_it_can_afford(warehouse_url):
    """docs/x-costs.md: before each page, a run checks that "the page's worst case (100 new
    Posts, each by a new author: $1.50 ...)" fits in what is left. The worst case ignores the
    connection's `page_size`: with pages of 10 Posts (at most $0.15), a monthly budget of $1
    never reads a single Post, month after month; the run only says the budget is spent."""
    with pipeline_on(warehouse_url, page_size=10, monthly_budget_usd=1.0) as pipeline:
        tweets, _ = pipeline.x.tweets()
        charged = pipeline.sim.x_profile.billing.spent()
    assert tweets.landed > 0, f"nothing read on a $1 budget (X charged ${charged:.2f})"
