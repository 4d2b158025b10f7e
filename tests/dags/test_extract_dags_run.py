"""`dag.test()` of the extraction DAGs against the simulator and a scratch warehouse database."""

import json
import shutil

import psycopg
import pytest

from social_crm import dag_runs, migrations
from social_crm.simulator.config import WorldConfig
from social_crm.simulator.server import SimulatorServer
from social_crm.simulator.truth import write_world
from social_crm.simulator.world import World

pytestmark = pytest.mark.integration

WORLD = WorldConfig(seed=21, scale=0.02, days=10)


@pytest.fixture
def extraction_env(scratch_database, monkeypatch, tmp_path, airflow_db):
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
    write_world(World(WORLD), tmp_path / "world", progress=lambda _: None)
    shutil.copytree(tmp_path / "world" / "crm", tmp_path / "drop")
    with SimulatorServer(World(WORLD)) as sim:
        extra = {"rate_limit_wait": 0.05, "backoff_base": 0.05}
        for conn_id, token in (("FACEBOOK_GRAPH", sim.fb_token), ("X_API", sim.x_token)):
            monkeypatch.setenv(
                f"AIRFLOW_CONN_{conn_id}",
                json.dumps(
                    {"conn_type": "http", "host": sim.url, "password": token, "extra": extra}
                ),
            )
        monkeypatch.setenv("WAREHOUSE_URL", scratch_database.libpq())
        monkeypatch.setenv("CRM_DROP_DIR", str(tmp_path / "drop"))
        yield scratch_database


@pytest.mark.parametrize(
    ("dag_id", "tasks"),
    [
        (
            "extract_facebook",
            {"page_snapshot_and_insights", "posts_comments_reactions", "visitor_posts"},
        ),
        ("extract_x", {"mentions_and_replies", "followers"}),
        ("load_crm_export", {"land_crm_files"}),
    ],
)
def test_extract_dag_runs_and_lands(extraction_env, dag_id, tasks):
    outcome = dag_runs.run_in_process(dag_id)
    assert outcome.state == "success", outcome
    assert outcome.tasks == dict.fromkeys(tasks, "success")
    with psycopg.connect(extraction_env.libpq()) as conn:
        batches = conn.execute(
            "select status, count(*), sum(records_landed) from meta.load_batches group by 1"
        ).fetchall()
    assert [(status, landed > 0) for status, _, landed in batches] == [("committed", True)]
