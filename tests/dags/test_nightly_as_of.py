"""`dag.test()` of the nightly DAG for a past date, once for the module: its Cosmos-built marts
describe that date (the as-of time each dbt task takes from its run: transform/as_of.py), not
the wall clock; each dbt model's and seed's task log names its node's rows affected and its
docs page; the seed and model tasks carry the "dbt docs" button, as Airflow's API gives it to
the UI; the freshness check logs one line per raw source."""

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.transform.docs_links import node_docs_link
from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import WORLD_START
from tests.dags.conftest import WORLD, extraction_world
from tests.databases import new_database

pytestmark = pytest.mark.integration

CLOCK = WORLD_START + timedelta(days=WORLD.days)
DAG_ID = "social_crm_nightly"


@dataclass
class NightlyRun:
    url: str  # the warehouse (libpq)
    outcome: dag_runs.DagRunOutcome


@pytest.fixture(scope="module")
def nightly(warehouse_url, airflow_db, tmp_path_factory):
    """The world's CRM export landed, its live walks and then its nightly run as of CLOCK."""
    from social_crm.transform.dbt_manifest import ensure_manifest

    ensure_manifest()  # not inside the DAG file's import, which has a time limit
    folder = tmp_path_factory.mktemp("nightly_as_of")
    with (
        new_database(warehouse_url) as database,
        pytest.MonkeyPatch.context() as env,
        extraction_world(database, folder, env),
    ):
        land_drop_folder(lambda: psycopg.connect(database.libpq()), folder / "drop")
        # the live walks land messages (its queue waits for a nightly build)
        assert dag_runs.run_in_process("social_crm_live", logical_date=CLOCK).state == "success"
        yield NightlyRun(database.libpq(), dag_runs.run_in_process(DAG_ID, logical_date=CLOCK))


def _task_log(run_id: str, task_id: str) -> list[str]:
    """The messages of the task's log file, as the UI's log page reads it."""
    from airflow.configuration import conf
    from airflow.models import DagRun
    from airflow.utils.helpers import log_filename_template_renderer
    from airflow.utils.session import create_session

    with create_session() as session:
        run = session.query(DagRun).filter_by(dag_id=DAG_ID, run_id=run_id).one()
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
        answer = get_extra_links(DAG_ID, run_id, task_id, session=session, dag_bag=DBDagBag())
    return answer.extra_links


def test_the_nightly_dags_marts_describe_the_runs_logical_date(nightly):
    assert nightly.outcome.state == "success", nightly.outcome
    with psycopg.connect(nightly.url) as conn:
        queued, as_of = conn.execute(
            "select count(*), max(as_of) from marts.open_conversations"
        ).fetchone()
    assert queued > 0
    assert as_of == CLOCK


def _node_line(lines: list[str], node: str) -> tuple[int, str]:
    """The task's line on its node: the rows affected, and the rest of the line."""
    found = [line for line in lines if line.startswith(f"{node}: ") and "; docs: " in line]
    assert len(found) == 1, lines
    rows = re.search(r": success, (\d+) rows affected \(", found[0])
    assert rows is not None, found[0]
    return int(rows[1]), found[0]


def test_a_model_tasks_log_names_the_rows_it_built_and_its_docs_page(nightly):
    rows, line = _node_line(
        _task_log(nightly.outcome.run_id, "dbt_marts.people_run"), "model.social_crm.people"
    )
    with psycopg.connect(nightly.url) as conn:
        people = conn.execute("select count(*) from marts_build.people").fetchone()[0]
    assert rows == people > 0
    assert line.endswith(f"docs: {node_docs_link('model.social_crm.people')}")


def test_a_seed_tasks_log_names_the_rows_it_loaded(nightly):
    from social_crm.paths import dbt_project_dir

    rows, line = _node_line(
        _task_log(nightly.outcome.run_id, "dbt_staging.brands_seed"), "seed.social_crm.brands"
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
    link = _extra_links(nightly.outcome.run_id, task_id)["dbt docs"]
    assert link == node_docs_link(node)
    assert link.startswith("/plugin/social-crm-dbt-docs/social-crm-docs/dbt/")


def test_a_task_that_is_not_dbt_has_no_dbt_docs_button(nightly):
    assert _extra_links(nightly.outcome.run_id, "publish_marts")["dbt docs"] is None


def test_the_freshness_check_logs_one_line_per_raw_source(nightly):
    from social_crm.catalog import RAW_TABLES

    lines = _task_log(nightly.outcome.run_id, "check_source_freshness")
    for table in RAW_TABLES:
        found = [line for line in lines if line.startswith(f"{table.relation}: ")]
        assert len(found) == 1, (table.relation, lines)
        assert re.search(r"; (OK|WARN|LATE|NOT CHECKED)", found[0]), found[0]
    # landed minutes ago by the live walks and the CRM export
    assert any(
        line.startswith("raw.crm_orders: last read (snapshot) ") and "; OK (" in line
        for line in lines
    )
