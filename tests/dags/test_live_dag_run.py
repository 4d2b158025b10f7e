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
    assert outcome.tasks["new_instagram_messages"] == "success"
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


def test_the_live_command_runs_the_steps_of_the_live_table_as_of_the_time_given(
    extraction_env, tmp_path, capsys
):
    import re

    from social_crm import cli
    from social_crm.orchestration.pipelines import LIVE

    land_drop_folder(lambda: psycopg.connect(extraction_env.libpq()), tmp_path / "drop")
    nightly.run_all(as_of=CLOCK)
    capsys.readouterr()
    assert cli.main(["live", "--as-of", CLOCK.isoformat()]) == 0
    printed = re.findall(r"^\[(\w+)\] [\d.]+s: ", capsys.readouterr().out, flags=re.MULTILINE)
    assert printed == LIVE.names()
    with psycopg.connect(extraction_env.libpq()) as conn:
        (as_of,) = conn.execute("select max(as_of) from marts.open_conversations").fetchone()
    assert as_of == CLOCK


def _airflow_api():
    """Airflow's REST API (the app the UI calls), in this process, with its server's logging
    set-up (whose task handler reads the logs) and a token as the UI gets one."""
    from airflow.api_fastapi.app import create_app
    from airflow.logging_config import configure_logging
    from fastapi.testclient import TestClient

    configure_logging()
    client = TestClient(create_app("core"))
    token = client.get("/auth/token").json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_the_ui_shows_every_task_log_of_a_test_run(extraction_env, airflow_db, monkeypatch):
    from urllib.parse import quote

    outcome = dag_runs.run_in_process("social_crm_live", logical_date=CLOCK)
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    airflow_api = _airflow_api()
    run = f"/api/v2/dags/social_crm_live/dagRuns/{quote(outcome.run_id, safe='')}"
    instances = airflow_api.get(f"{run}/taskInstances").json()["task_instances"]
    ran = [(ti["task_id"], ti["try_number"]) for ti in instances if ti["try_number"] > 0]
    assert len(ran) >= 3  # (tasks skipped before running have no try and no log)
    unread = {}
    for task_id, try_number in ran:
        response = airflow_api.get(f"{run}/taskInstances/{task_id}/logs/{try_number}")
        assert response.status_code == 200, response.text
        events = [str(line.get("event", "")) for line in response.json()["content"]]
        # the task's own lines, as the task runner wrote them
        if not any(f"starting task_id={task_id} " in event for event in events):
            unread[task_id] = events[:6]
    assert unread == {}
