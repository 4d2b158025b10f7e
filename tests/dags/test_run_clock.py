"""Two clocks, each where it belongs: a run of the simulated world's date (as `make demo` runs
them) starts and ends on the wall clock, and what it lands of the present (a Page's counts,
an account's) is dated by the API's answer, whatever interval the run describes."""

import json
import os
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import psycopg
import pytest
import requests

from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import WORLD_START
from tests.dags.conftest import WORLD

pytestmark = pytest.mark.integration

WORLD_CLOCK = WORLD_START + timedelta(days=WORLD.days)  # the simulator's clock, months ago
PAST = WORLD_START + timedelta(days=3)  # a backfill's interval inside the world


def _run(run_id: str):
    from airflow import settings
    from airflow.models.dagrun import DagRun

    session = settings.Session()
    try:
        return session.query(DagRun).filter(DagRun.run_id == run_id).one()
    finally:
        session.close()


def _api_date() -> datetime:
    """The `Date` the simulator behind the Graph connection answers with."""
    url = json.loads(os.environ["AIRFLOW_CONN_FACEBOOK_GRAPH"])["host"]
    return parsedate_to_datetime(requests.head(url, timeout=10).headers["Date"])


def test_a_run_of_the_worlds_date_starts_and_ends_on_the_wall_clock(extraction_env):
    began = datetime.now(UTC)
    outcome = dag_runs.run_in_process(
        "extract_facebook", tasks_from="page_snapshot", logical_date=WORLD_CLOCK
    )
    assert outcome.state == "success", outcome
    run = _run(outcome.run_id)
    assert run.logical_date == WORLD_CLOCK  # what the run describes stays the world's
    wall = (began - timedelta(minutes=5), datetime.now(UTC) + timedelta(minutes=5))
    assert wall[0] <= run.start_date <= wall[1]
    assert wall[0] <= run.end_date <= wall[1]
    assert timedelta(0) <= run.end_date - run.start_date < timedelta(hours=1)


@pytest.mark.parametrize(
    ("dag_id", "task", "table", "logical_date"),
    [
        ("extract_facebook", "page_snapshot", "facebook_page_snapshots", None),
        ("extract_facebook", "page_snapshot", "facebook_page_snapshots", PAST),
        ("extract_instagram", "account_and_insights", "instagram_accounts", PAST),
    ],
    ids=["facebook-now", "facebook-backfill", "instagram-backfill"],
)
def test_a_snapshot_is_dated_by_the_apis_answer(extraction_env, dag_id, task, table, logical_date):
    outcome = dag_runs.run_in_process(dag_id, tasks_from=task, logical_date=logical_date)
    assert outcome.state == "success", outcome
    with psycopg.connect(extraction_env.libpq()) as conn:
        stamps = conn.execute(
            f"select distinct event_at from raw.{table}"  # noqa: S608
        ).fetchall()
    assert stamps == [(_api_date(),)]
