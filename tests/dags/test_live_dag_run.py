"""`dag.test()` of the live DAG: before any nightly build its queue step skips (nothing fails);
after one, a cycle lands, builds, validates and publishes the queue and runs the alerts. And
of the nightly DAG for a past date: its Cosmos-built marts describe that date (the as-of time
each dbt task takes from its run: transform/as_of.py), not the wall clock.

One world is played once for the module, each step checked by its own test: its CRM export
landed, a live run (no nightly build yet), then a nightly run; the tests of later live cycles
take a copy of the database it leaves. The nightly run's dbt tasks log their rows and docs
link and have a "dbt docs" button; its freshness task logs each raw source."""

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.transform.docs_links import node_docs_link
from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import WORLD_START
from tests.dags.conftest import WORLD, wired_world
from tests.databases import new_database

pytestmark = pytest.mark.integration

CLOCK = WORLD_START + timedelta(days=WORLD.days)
NIGHTLY = "social_crm_nightly"


@dataclass(frozen=True)
class World:
    """The module's world: its database (a template once the nightly ran: nobody stays
    connected) and its drop folder."""

    database: object
    drop: Path


@pytest.fixture(scope="module")
def world(warehouse_url, airflow_db, tmp_path_factory) -> Iterator[World]:
    """`extraction_env`'s world, made once for the module, its CRM export landed from its drop
    folder."""
    folder = tmp_path_factory.mktemp("played")
    with (
        new_database(warehouse_url) as db,
        pytest.MonkeyPatch.context() as patch,
        wired_world(db, folder) as env,
    ):
        for name, value in env.items():
            patch.setenv(name, value)
        land_drop_folder(lambda: psycopg.connect(db.libpq()), folder / "drop")
        yield World(db, folder / "drop")


@pytest.fixture(scope="module")
def first_live(world):
    """The outcome of the world's first live run as of CLOCK: no nightly build yet. (The run
    stays in Airflow's metadata until another run of the live DAG as of CLOCK replaces it:
    dag.test() deletes a run of the same logical date. The tests reading it come first.)"""
    # the live walks land messages (its queue waits for a nightly build)
    return dag_runs.run_in_process("social_crm_live", logical_date=CLOCK)


@pytest.fixture(scope="module")
def nightly(world, first_live, warehouse_url):
    """The outcome of the nightly run as of CLOCK that follows the first live run."""
    from social_crm.transform.dbt_manifest import ensure_manifest

    ensure_manifest()  # not inside the DAG file's import, which has a time limit
    outcome = dag_runs.run_in_process(NIGHTLY, logical_date=CLOCK)
    with psycopg.connect(warehouse_url.libpq(), autocommit=True) as conn:
        conn.execute(  # sessions a quality gate's pool left open: a template is copied alone
            "select pg_terminate_backend(pid) from pg_stat_activity"
            " where datname = %s and pid <> pg_backend_pid()",
            (world.database.database,),
        )
    return outcome


def test_the_queue_waits_for_the_first_nightly_build(first_live):
    assert first_live.state == "success", first_live
    assert first_live.tasks["new_x_mentions"] == "success"
    assert first_live.tasks["new_instagram_messages"] == "success"
    assert first_live.tasks["dbt_messages"] == "skipped"
    assert first_live.tasks["publish_queue"] == "skipped"


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


def test_the_ui_shows_every_task_log_of_a_test_run(first_live, monkeypatch):
    from urllib.parse import quote

    outcome = first_live
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


def test_the_nightly_dags_marts_describe_the_runs_logical_date(world, nightly):
    assert nightly.state == "success", nightly
    with psycopg.connect(world.database.libpq()) as conn:
        queued, as_of = conn.execute(
            "select count(*), max(as_of) from marts.open_conversations"
        ).fetchone()
    assert queued > 0
    assert as_of == CLOCK


def _task_log(run_id: str, task_id: str) -> list[str]:
    """The messages of the task's log file, as the UI's log page reads it."""
    from airflow.configuration import conf
    from airflow.models import DagRun
    from airflow.utils.helpers import log_filename_template_renderer
    from airflow.utils.session import create_session

    with create_session() as session:
        run = session.query(DagRun).filter_by(dag_id=NIGHTLY, run_id=run_id).one()
        ti = run.get_task_instance(task_id, session=session)
        assert ti is not None, f"the run has no task {task_id}"
        path = Path(conf.get("logging", "base_log_folder")) / log_filename_template_renderer()(
            ti=ti
        )
    return [json.loads(line).get("event", "") for line in path.read_text().splitlines()]


def _extra_links(run_id: str, task_id: str) -> dict[str, str | None]:
    """The task's extra links as Airflow's API answers the UI's task instance page."""
    from airflow.api_fastapi.core_api.routes.public.extra_links import get_extra_links
    from airflow.models.dagbag import DBDagBag
    from airflow.utils.session import create_session

    with create_session() as session:
        answer = get_extra_links(NIGHTLY, run_id, task_id, session=session, dag_bag=DBDagBag())
    return answer.extra_links


def _node_line(lines: list[str], node: str) -> tuple[int, str]:
    """The task's line on its node: the rows affected, and the rest of the line."""
    found = [line for line in lines if line.startswith(f"{node}: ") and "; docs: " in line]
    assert len(found) == 1, lines
    rows = re.search(r": success, (\d+) rows affected \(", found[0])
    assert rows is not None, found[0]
    return int(rows[1]), found[0]


def test_a_model_tasks_log_names_the_rows_it_built_and_its_docs_page(world, nightly):
    rows, line = _node_line(
        _task_log(nightly.run_id, "dbt_marts.people_run"), "model.social_crm.people"
    )
    with psycopg.connect(world.database.libpq()) as conn:
        people = conn.execute("select count(*) from marts_build.people").fetchone()[0]
    assert rows == people > 0
    assert line.endswith(f"docs: {node_docs_link('model.social_crm.people')}")


def test_a_seed_tasks_log_names_the_rows_it_loaded(nightly):
    from social_crm.paths import dbt_project_dir

    rows, line = _node_line(
        _task_log(nightly.run_id, "dbt_staging.brands_seed"), "seed.social_crm.brands"
    )
    csv_rows = len((dbt_project_dir() / "seeds" / "brands.csv").read_text().splitlines()) - 1
    assert rows == csv_rows > 0
    assert line.endswith(f"docs: {node_docs_link('seed.social_crm.brands')}")


@pytest.mark.parametrize(
    ("task_id", "node"),
    [
        ("dbt_staging.brands_seed", "seed.social_crm.brands"),
        ("dbt_marts.people_run", "model.social_crm.people"),
    ],
)
def test_a_dbt_task_has_a_dbt_docs_button_to_its_page_on_the_ui_host(nightly, task_id, node):
    link = _extra_links(nightly.run_id, task_id)["dbt docs"]
    assert link == node_docs_link(node)
    assert link.startswith("/plugin/social-crm-dbt-docs/social-crm-docs/dbt/")


def test_a_task_that_is_not_dbt_has_no_dbt_docs_button(nightly):
    assert _extra_links(nightly.run_id, "publish_marts")["dbt docs"] is None


def test_the_freshness_check_logs_one_line_per_raw_source(nightly):
    from social_crm.catalog import RAW_TABLES

    lines = _task_log(nightly.run_id, "check_source_freshness")
    for table in RAW_TABLES:
        found = [line for line in lines if line.startswith(f"{table.relation}: ")]
        assert len(found) == 1, (table.relation, lines)
        assert re.search(r"; (OK|WARN|LATE|NOT CHECKED)", found[0]), found[0]
    # landed minutes ago by the live walks and the CRM export
    assert any(
        line.startswith("raw.crm_orders: last read (snapshot) ") and "; OK (" in line
        for line in lines
    )


@pytest.fixture
def after_a_nightly(world, nightly, extraction_env, warehouse_url, monkeypatch, tmp_path):
    """`extraction_env` with its CRM export landed and a nightly build run as of CLOCK: a copy
    of the module's world after its nightly run."""
    with new_database(warehouse_url, template=world.database.database) as db:
        monkeypatch.setenv("WAREHOUSE_URL", db.libpq())
        shutil.rmtree(tmp_path / "drop")
        shutil.copytree(world.drop, tmp_path / "drop")
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
