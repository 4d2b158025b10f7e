"""Fixtures for DAG runs: a scratch warehouse, the simulator and a CRM drop folder, wired as
Airflow Connections and environment variables the way a deployment wires them."""

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from social_crm.warehouse import migrations
from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.truth import write_world
from social_crm_dev.simulator.world import World

WORLD = WorldConfig(seed=21, scale=0.02, days=10)


@contextmanager
def wired_world(database, folder: Path) -> Iterator[dict[str, str]]:
    """`database` (a scratch warehouse database) migrated, the WORLD's simulator serving and its
    CRM export in a drop folder under `folder`; yields the environment variables that wire them
    (the API connections as `AIRFLOW_CONN_*`, WAREHOUSE_URL, CRM_DROP_DIR), for this process
    or for the Airflow processes a test starts."""
    with psycopg.connect(database.libpq()) as conn:
        migrations.apply(conn)
    write_world(World(WORLD), folder / "world", progress=lambda _: None)
    shutil.copytree(folder / "world" / "crm", folder / "drop")
    with SimulatorServer(World(WORLD)) as sim:
        extra = {"rate_limit_wait": 0.05, "backoff_base": 0.05}
        env = {
            f"AIRFLOW_CONN_{conn_id}": json.dumps(
                {"conn_type": "http", "host": sim.url, "password": token, "extra": extra}
            )
            for conn_id, token in (
                ("FACEBOOK_GRAPH", sim.fb_token),
                ("INSTAGRAM_GRAPH", sim.fb_token),
                ("X_API", sim.x_token),
            )
        }
        env["WAREHOUSE_URL"] = database.libpq()
        env["CRM_DROP_DIR"] = str(folder / "drop")
        yield env


@pytest.fixture
def extraction_env(scratch_database, monkeypatch, tmp_path, airflow_db):
    with wired_world(scratch_database, tmp_path) as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield scratch_database


@pytest.fixture(scope="module")
def dagbag():
    """Every DAG file parsed as the scheduler parses it. The dbt manifest the Cosmos groups
    render from is brought up to date first: a `dbt parse` inside a DAG file's import would
    count against the import timeout (30 s), which a loaded machine can exceed."""
    from airflow.dag_processing.dagbag import DagBag

    from social_crm.paths import dags_dir
    from social_crm.transform.dbt_manifest import ensure_manifest

    ensure_manifest()
    return DagBag(dag_folder=str(dags_dir()))
