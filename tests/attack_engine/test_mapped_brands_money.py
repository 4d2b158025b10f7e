"""Extraction mapped per brand: brands' tasks reading one X project at once never spend more
than the connection's monthly money budget (`monthly_budget_usd`) between them. Each brand's
mapped task is its own process in Airflow: here its own thread, `ApiClient`, `XExtractor`
(`brand_key`) and warehouse sessions, all started together. The simulator's own charge record
(what X billed, `x_billing`) is the truth.

Before, the money budget was checked, not reserved: each task compared the month's spend with
the budget before a page and counted the page after, so two tasks that both saw room for a
page both read one. Now every request's worst case is held in one transaction with the
month's spend and the other tasks' holds (`ReadBudget.hold`, migration 0050)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from social_crm.extract import brands, x_budget
from social_crm.extract.http import ApiClient
from social_crm.extract.x import XExtractor, XSettings
from social_crm.extract.x_policy import XPolicy
from social_crm_dev.demo import simulator
from social_crm_dev.settings import DEFAULT_X_TOKEN
from social_crm_dev.simulator.config import AGENCY_BRANDS_ENV, WorldConfig, agency_brands
from tests.attack_engine.conftest import at_once
from tests.databases import migrated_database
from tests.end_to_end.conftest import FAST_RETRY
from tests.end_to_end.test_x_extraction_promises import truth_tweets

pytestmark = pytest.mark.integration

PAGE = 10  # Posts a page: full-archive search's smallest max_results ($0.15 held a page)
AGENCY = 6  # the agency world's brands: the brief's 2 to 6 brands drawn from them
# an agency world as small as the test world (tests/end_to_end/conftest.WORLD)
AGENCY_WORLD = WorldConfig(seed=11, scale=0.03, days=20)
# a first read of the three-brand test world by search costs about $1.9: this cuts it short
SHORT_BUDGET = 0.8
BUDGET_LOG = "social_crm.extract.x_budget"


def brand_task(
    url: str,
    connect: Callable[[], psycopg.Connection],
    handle: str,
    user_id: str,
    key: str,
    budget: float,
) -> XExtractor:
    """One brand's mapped `tweets` task, every brand read by search (pages of `PAGE`)."""
    client = ApiClient(
        "x_api",
        url,
        DEFAULT_X_TOKEN,
        policy=XPolicy(full_archive_spacing=0.0),  # the test simulator limits no rate
        api_version="2",
        retry=FAST_RETRY,
    )
    return XExtractor(
        client,
        connect,
        XSettings(
            (handle,),
            (user_id,),
            lookback_days=60,
            page_size=PAGE,
            tier="pay_per_use",
            monthly_budget_usd=budget,
            full_archive=True,
            recheck_hours=0,
            brand_key=key,
        ),
    )


def run_at_once(tasks: list[XExtractor]) -> None:
    """Every task's `tweets()` in its own thread, released together; raises what one raised."""
    at_once(XExtractor.tweets, tasks, timeout=600, start_together=True)


# --- N brands of an agency world against a budget of any size --------------------------------


@pytest.fixture(scope="module")
def agency_sim(tmp_path_factory) -> Iterator[str]:
    """The real simulator server in a child process serving an agency world of `AGENCY`
    brands (the in-process one serves the three of brands.csv); its base URL."""
    log_file = tmp_path_factory.mktemp("agency") / "simulator.log"
    with pytest.MonkeyPatch.context() as env:
        env.setenv(AGENCY_BRANDS_ENV, str(AGENCY))
        with simulator(AGENCY_WORLD, log_file, x_window_seconds=0) as url:
            yield url


def x_charged(url: str) -> float:
    """Everything the simulated X project has been charged (its own record)."""
    answer = requests.get(f"{url}/_admin/state", timeout=10)
    answer.raise_for_status()
    return sum(answer.json()["x_spend_usd"].values())


@settings(max_examples=8, deadline=None)
@given(count=st.integers(2, AGENCY), budget=st.floats(0.05, 3.0))
def test_brands_at_once_never_spend_more_than_the_budget(warehouse_url, agency_sim, count, budget):
    # a new UTC day on the world's clock: the project is charged for everything read again
    requests.post(f"{agency_sim}/_admin/advance", json={"days": 1}, timeout=30).raise_for_status()
    with migrated_database(warehouse_url) as db:

        def connect() -> psycopg.Connection:
            return psycopg.connect(db.libpq())

        tasks = [
            brand_task(agency_sim, connect, b.x_handle, b.x_user_id, b.key, budget)
            for b in agency_brands(AGENCY)[:count]
        ]
        before = x_charged(agency_sim)
        run_at_once(tasks)
        charged = x_charged(agency_sim) - before
    assert charged <= budget + 1e-9, f"{count} brands charged ${charged:.4f} on ${budget:.2f}"


# --- a brand the budget stops: what it read lands, a later run resumes ------------------------


@pytest.fixture
def cut_short(pipeline, caplog):
    """The three brands' tasks at once on `SHORT_BUDGET`: the budget stops some of them."""
    caplog.set_level(logging.DEBUG)  # every logger: what would leak a token
    run_at_once(
        [
            brand_task(
                pipeline.sim.url, pipeline.connect, b.x_handle, b.x_user_id, b.key, SHORT_BUDGET
            )
            for b in brands.load()
        ]
    )
    refusals = [
        r.getMessage()
        for r in caplog.records
        if r.name == BUDGET_LOG and "monthly_budget_usd" in r.getMessage()
    ]
    assert refusals, "the budget stopped no brand: the attack did not happen"
    return refusals


def test_a_brand_the_budget_stops_lands_every_post_it_was_charged_for(pipeline, cut_short):
    served = pipeline.sim.x_profile.billing.charged_ids("post")
    landed = {key for (key,) in pipeline.rows("select distinct natural_key from raw.x_tweets")}
    assert served and served <= landed, f"{len(served - landed)} Posts paid for, not landed"


def test_a_run_with_budget_after_one_the_budget_stopped_leaves_no_gap(pipeline, cut_short):
    tracked = brands.load()
    for b in tracked:  # the next hour's tasks, the budget raised (0: none)
        brand_task(pipeline.sim.url, pipeline.connect, b.x_handle, b.x_user_id, b.key, 0.0).tweets()
    alive = pipeline.alive("x_tweets")
    missing = {b.x_handle: truth_tweets(pipeline.sim, b.x_handle) - alive for b in tracked}
    assert not any(missing.values()), missing


def test_a_run_with_budget_after_one_the_budget_stopped_lands_no_post_twice(pipeline, cut_short):
    for b in brands.load():
        brand_task(pipeline.sim.url, pipeline.connect, b.x_handle, b.x_user_id, b.key, 0.0).tweets()
    versions = pipeline.rows(
        "select natural_key, count(*) from raw.x_tweets group by 1 having count(*) > 1"
    )
    assert versions == [], f"{len(versions)} Posts landed more than once, e.g. {versions[:3]}"


# --- what the stopped brand's task log says -------------------------------------------------


def test_the_budgets_refusal_names_the_limit_and_the_spend(cut_short):
    for message in cut_short:
        spent = re.search(r"\$([0-9,.]+) spent in \d{4}-\d{2}", message)
        assert f"${SHORT_BUDGET:,.2f}" in message and "monthly_budget_usd" in message, message
        assert spent and float(spent.group(1).replace(",", "")) <= SHORT_BUDGET, message


def test_the_budgets_refusal_never_names_the_token(pipeline, cut_short, caplog):
    said: list[Any] = [caplog.text, *cut_short]
    assert not [text for text in said if DEFAULT_X_TOKEN in text or pipeline.sim.x_token in text]


# --- a hold lives with its task's session ---------------------------------------------------


def hold_from_a_session(pipeline, conn: psycopg.Connection, usd: float) -> None:
    """A hold of `usd` for this month (the API's clock) by `conn`'s session, as a task's."""
    now = pipeline.x_client.server_now(fresh=True)
    conn.execute(
        "insert into meta.x_budget_holds (connection_id, backend_pid, backend_start, month, usd)"
        " select 'x_api', pid, backend_start, %s, %s from pg_stat_activity"
        " where pid = pg_backend_pid()",
        (date(now.year, now.month, 1), usd),
    )
    conn.commit()


def rival_landed_on(pipeline, budget: float) -> int:
    rival = brands.load()[1]
    task = brand_task(
        pipeline.sim.url, pipeline.connect, rival.x_handle, rival.x_user_id, rival.key, budget
    )
    tweets, _ = task.tweets()
    return tweets.landed


def test_a_hold_of_a_task_still_running_is_counted(pipeline, monkeypatch):
    monkeypatch.setattr(x_budget, "HOLD_WAIT_SECONDS", 1.0)
    with pipeline.connect() as running:  # a task in the middle of a request
        hold_from_a_session(pipeline, running, 100.0)
        assert rival_landed_on(pipeline, 5.0) == 0


def test_a_hold_of_a_killed_task_lapses_with_its_session(pipeline):
    with pipeline.connect() as killed:  # a task killed in the middle of a request
        hold_from_a_session(pipeline, killed, 100.0)
        pid = killed.info.backend_pid
    deadline = time.monotonic() + 10
    while pipeline.scalar("select count(*) from pg_stat_activity where pid = %s", pid):
        assert time.monotonic() < deadline, "the killed task's session did not end"
        time.sleep(0.05)
    assert rival_landed_on(pipeline, 5.0) > 0
