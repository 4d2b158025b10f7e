"""`dag.test()` of the nightly DAG for a past date: its Cosmos-built marts describe that date
(the as-of time each dbt task takes from its run: transform/as_of.py), not the wall clock."""

from datetime import timedelta

import psycopg
import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import WORLD_START
from tests.dags.conftest import WORLD

pytestmark = pytest.mark.integration

CLOCK = WORLD_START + timedelta(days=WORLD.days)


def test_the_nightly_dags_marts_describe_the_runs_logical_date(extraction_env, tmp_path):
    land_drop_folder(lambda: psycopg.connect(extraction_env.libpq()), tmp_path / "drop")
    # the live walks land messages (its queue waits for a nightly build)
    assert dag_runs.run_in_process("social_crm_live", logical_date=CLOCK).state == "success"

    outcome = dag_runs.run_in_process("social_crm_nightly", logical_date=CLOCK)

    assert outcome.state == "success", outcome
    with psycopg.connect(extraction_env.libpq()) as conn:
        queued, as_of = conn.execute(
            "select count(*), max(as_of) from marts.open_conversations"
        ).fetchone()
    assert queued > 0
    assert as_of == CLOCK
