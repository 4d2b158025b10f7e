"""`dag.test()` of the live DAG: before any nightly build its queue step skips (nothing fails);
after one, a cycle lands, builds, validates and publishes the queue and runs the alerts."""

import shutil
from datetime import timedelta

import psycopg
import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.orchestration import nightly
from social_crm.warehouse import migrations
from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import WORLD_START
from social_crm_dev.simulator.truth import write_world
from social_crm_dev.simulator.world import World
from tests.dags.conftest import WORLD
from tests.databases import new_database

pytestmark = pytest.mark.integration

CLOCK = WORLD_START + timedelta(days=WORLD.days)


def test_the_queue_waits_for_the_first_nightly_build(extraction_env):
    outcome = dag_runs.run_in_process("social_crm_live", logical_date=CLOCK)
    assert outcome.state == "success", outcome
    assert outcome.tasks["new_x_mentions"] == "success"
    assert outcome.tasks["new_instagram_messages"] == "success"
    assert outcome.tasks["dbt_messages"] == "skipped"
    assert outcome.tasks["publish_queue"] == "skipped"


@pytest.fixture(scope="module")
def nightly_built(warehouse_url, tmp_path_factory):
    """What `extraction_env` holds once the world's CRM export is landed from its drop folder
    and the nightly build has run as of CLOCK, made once for the module (a build takes tens of
    seconds): (a database nobody connects to, the drop folder after landing)."""
    folder = tmp_path_factory.mktemp("nightly_built")
    write_world(World(WORLD), folder / "world", progress=lambda _: None)
    shutil.copytree(folder / "world" / "crm", folder / "drop")
    with new_database(warehouse_url) as db, pytest.MonkeyPatch.context() as patch:
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        patch.setenv("WAREHOUSE_URL", db.libpq())
        patch.setenv("CRM_DROP_DIR", str(folder / "drop"))
        land_drop_folder(lambda: psycopg.connect(db.libpq()), folder / "drop")
        nightly.run_all(as_of=CLOCK)
        with psycopg.connect(warehouse_url.libpq(), autocommit=True) as conn:
            conn.execute(  # sessions a quality gate's pool left open: a template is copied alone
                "select pg_terminate_backend(pid) from pg_stat_activity"
                " where datname = %s and pid <> pg_backend_pid()",
                (db.database,),
            )
        patch.undo()
        yield db, folder / "drop"


@pytest.fixture
def after_a_nightly(nightly_built, extraction_env, warehouse_url, monkeypatch, tmp_path):
    """`extraction_env` with its CRM export landed and a nightly build run as of CLOCK: a copy
    of the module's (`nightly_built`)."""
    built, drop = nightly_built
    with new_database(warehouse_url, template=built.database) as db:
        monkeypatch.setenv("WAREHOUSE_URL", db.libpq())
        shutil.rmtree(tmp_path / "drop")
        shutil.copytree(drop, tmp_path / "drop")
        yield db


def test_a_live_cycle_publishes_the_queue(after_a_nightly):
    outcome = dag_runs.run_in_process("social_crm_live", logical_date=CLOCK)
    assert outcome.state == "success", outcome
    assert set(outcome.tasks.values()) == {"success"}
    with psycopg.connect(after_a_nightly.libpq()) as conn:
        queued, as_of = conn.execute(
            "select count(*), max(as_of) from marts.open_conversations"
        ).fetchone()
    assert queued > 0
    assert as_of == CLOCK


def test_the_live_command_runs_the_steps_of_the_live_table_as_of_the_time_given(
    after_a_nightly, capsys
):
    import re

    from social_crm import cli
    from social_crm.orchestration.pipelines import LIVE

    capsys.readouterr()
    assert cli.main(["live", "--as-of", CLOCK.isoformat()]) == 0
    printed = re.findall(r"^\[(\w+)\] [\d.]+s: ", capsys.readouterr().out, flags=re.MULTILINE)
    assert printed == LIVE.names()
    with psycopg.connect(after_a_nightly.libpq()) as conn:
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
