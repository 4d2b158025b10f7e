"""`dag.test()` of the nightly DAG: on landed data it builds, validates and publishes; on an
empty warehouse the quality gate stops it before publishing."""

import pytest

from social_crm import dag_runs, publish
from social_crm.sources.crm import land_drop_folder
from tests.extraction.conftest import truth_of

pytestmark = pytest.mark.integration

TASKS = [
    "bootstrap_warehouse",
    "build_staging_and_intermediate",
    "apply_erasure_requests",
    "score_influence_and_clv",
    "build_marts",
    "validate_marts",
    "publish_marts",
]
MARTS = set(publish.MARTS)


def _tables(pipeline, schema):
    return {
        r[0]
        for r in pipeline.rows(
            "select table_name from information_schema.tables where table_schema = %s"
            " and table_type = 'BASE TABLE'",
            schema,
        )
    }


def test_nightly_dag_builds_validates_and_publishes(
    pipeline, sim, tmp_path, monkeypatch, airflow_db
):
    pipeline.run()
    land_drop_folder(pipeline.connect, truth_of(sim, tmp_path / "truth").folder / "crm")
    monkeypatch.setenv("WAREHOUSE_URL", pipeline.db.libpq())

    outcome = dag_runs.run_in_process("social_crm_nightly")

    assert outcome.state == "success"
    assert outcome.tasks == dict.fromkeys(TASKS, "success")
    assert _tables(pipeline, "marts_build") == MARTS
    assert _tables(pipeline, "marts") == MARTS
    assert pipeline.scalar("select count(*) from marts.dim_customers") > 0


def test_nightly_dag_on_an_empty_warehouse_stops_at_the_gate(db, monkeypatch, airflow_db):
    monkeypatch.setenv("WAREHOUSE_URL", db.libpq())

    outcome = dag_runs.run_in_process("social_crm_nightly")

    assert outcome.state == "failed"
    assert outcome.tasks["build_marts"] == "success"
    assert outcome.tasks["validate_marts"] == "failed"
    assert outcome.tasks["publish_marts"] == "upstream_failed"


def test_full_refresh_dag_rebuilds_and_publishes(pipeline, sim, tmp_path, monkeypatch, airflow_db):
    pipeline.run()
    land_drop_folder(pipeline.connect, truth_of(sim, tmp_path / "truth").folder / "crm")
    monkeypatch.setenv("WAREHOUSE_URL", pipeline.db.libpq())

    outcome = dag_runs.run_in_process("social_crm_full_refresh")

    assert outcome.state == "success" and outcome.tasks == {"rebuild_everything": "success"}
    assert _tables(pipeline, "marts") == MARTS
