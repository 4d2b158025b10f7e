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
def wired_world(database, folder: Path, patch: pytest.MonkeyPatch) -> Iterator[None]:
    """`database` migrated, the world's CRM export in `folder`/drop and its simulator serving,
    wired through `patch` as Airflow Connections, WAREHOUSE_URL and CRM_DROP_DIR (for any
    fixture scope)."""
    with psycopg.connect(database.libpq()) as conn:
        migrations.apply(conn)
    write_world(World(WORLD), folder / "world", progress=lambda _: None)
    shutil.copytree(folder / "world" / "crm", folder / "drop")
    with SimulatorServer(World(WORLD)) as sim:
        extra = {"rate_limit_wait": 0.05, "backoff_base": 0.05}
        for conn_id, token in (
            ("FACEBOOK_GRAPH", sim.fb_token),
            ("INSTAGRAM_GRAPH", sim.fb_token),
            ("X_API", sim.x_token),
        ):
            patch.setenv(
                f"AIRFLOW_CONN_{conn_id}",
                json.dumps(
                    {"conn_type": "http", "host": sim.url, "password": token, "extra": extra}
                ),
            )
        patch.setenv("WAREHOUSE_URL", database.libpq())
        patch.setenv("CRM_DROP_DIR", str(folder / "drop"))
        yield


@pytest.fixture
def extraction_env(scratch_database, monkeypatch, tmp_path, airflow_db):
    with wired_world(scratch_database, tmp_path, monkeypatch):
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
