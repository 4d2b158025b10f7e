"""`dag.test()` of the live DAG: before any nightly build its queue step skips (nothing fails);
after one, a cycle lands, builds, validates and publishes the queue and runs the alerts."""

from datetime import timedelta

import psycopg
import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.orchestration import nightly
from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import WORLD_START
from tests.dags.conftest import WORLD

pytestmark = pytest.mark.integration

CLOCK = WORLD_START + timedelta(days=WORLD.days)


def test_the_queue_waits_for_the_first_nightly_build(extraction_env):
    outcome = dag_runs.run_in_process("social_crm_live", logical_date=CLOCK)
    assert outcome.state == "success", outcome
    assert outcome.tasks["new_x_mentions"] == "success"
    assert outcome.tasks["dbt_messages"] == "skipped"
    assert outcome.tasks["publish_queue"] == "skipped"


def test_a_live_cycle_publishes_the_queue(extraction_env, tmp_path):
    land_drop_folder(lambda: psycopg.connect(extraction_env.libpq()), tmp_path / "drop")
    nightly.run_all(as_of=CLOCK)
    outcome = dag_runs.run_in_process("social_crm_live", logical_date=CLOCK)
    assert outcome.state == "success", outcome
    assert set(outcome.tasks.values()) == {"success"}
    with psycopg.connect(extraction_env.libpq()) as conn:
        queued, as_of = conn.execute(
            "select count(*), max(as_of) from marts.open_conversations"
        ).fetchone()
    assert queued > 0
    assert as_of == CLOCK
