"""`dag.test()` of the nightly DAG (Cosmos task groups over the dbt project): on landed data it
builds, validates and publishes; a corrupt batch fails the task of the model whose dbt test
catches it and nothing is published. (The GX gate's failures are in test_publish_gate.py.)"""

import pytest

from social_crm.paths import local_dir
from social_crm.quality import data_docs
from social_crm.quality.gate import data_docs_dir
from social_crm.serve import publish
from social_crm_dev import dag_runs
from tests.end_to_end.conftest import extracted_copy, land_crm_export

pytestmark = pytest.mark.integration

PYTHON_TASKS = [
    "bootstrap_warehouse",
    "validate_raw",
    "apply_erasure_requests",
    "score_sentiment",
    "score_influence_and_clv",
    "validate_marts",
    "publish_marts",
    "generate_docs",
]
MARTS = set(publish.MARTS)


@pytest.fixture
def pipeline(extracted_once, warehouse_url, tmp_path_factory):
    """A copy of the worker's extraction of the test world (`extracted_once`: no extraction
    of its own) with its CRM export landed, the warehouse the DAG's tasks connect to. The DAG
    runs the dbt unit tests, as production does."""
    with extracted_copy(extracted_once, warehouse_url, tmp_path_factory) as (pipeline, truth, env):
        env.delenv("DBT_EXCLUDE_RESOURCE_TYPES")
        land_crm_export(pipeline.connect, truth)
        env.setenv("WAREHOUSE_URL", pipeline.db.libpq())
        yield pipeline


def _tables(pipeline, schema):
    return {
        r[0]
        for r in pipeline.rows(
            "select table_name from information_schema.tables where table_schema = %s"
            " and table_type = 'BASE TABLE'",
            schema,
        )
    }


def test_nightly_dag_builds_validates_and_publishes(pipeline, airflow_db):
    outcome = dag_runs.run_in_process("social_crm_nightly")

    assert outcome.state == "success"
    assert set(outcome.tasks.values()) == {"success"}
    assert set(PYTHON_TASKS) <= set(outcome.tasks)
    # a task per mart (the mart and its tests), in the marts group
    for mart in MARTS:
        assert outcome.tasks[f"dbt_marts.{mart}_run"] == "success"
    assert outcome.tasks["dbt_staging.stg_crm__orders_run"] == "success"
    assert _tables(pipeline, "marts_build") == MARTS
    assert _tables(pipeline, "marts") == MARTS
    assert pipeline.scalar("select count(*) from marts.people") > 0
    # publishing replaces the tables: a new table oid means a new publish
    published_oid = pipeline.scalar("select 'marts.people'::regclass::oid")
    assert (local_dir() / "docs" / "dbt" / "static_index.html").exists()
    # the index lists this run's raw and marts validations, each table's page on disk
    gates = [
        r
        for r in data_docs.load(data_docs_dir())
        if r.run_name == f"social_crm_nightly {outcome.run_id}"
    ]
    assert sorted(r.gate for r in gates) == ["marts", "raw"]
    assert all((data_docs_dir() / t.page).is_file() for r in gates for t in r.tables)
    assert f"social_crm_nightly {outcome.run_id}" in (data_docs_dir() / "index.html").read_text()

    # a corrupt batch: the task of the model whose test catches it fails, nothing is published
    pipeline.land_negative_order()
    # (the staging build and what depends on it, like clearing that group in the UI)
    failed = dag_runs.run_in_process("social_crm_nightly", tasks_from="dbt_staging")
    assert failed.state == "failed"
    assert failed.tasks["dbt_staging.stg_crm__orders_run"] == "failed"
    assert failed.tasks["dbt_staging.stg_crm__customers_run"] == "success"
    assert failed.tasks["publish_marts"] == "upstream_failed"
    assert pipeline.scalar("select 'marts.people'::regclass::oid") == published_oid


def test_full_refresh_dag_rebuilds_and_publishes(pipeline, airflow_db):
    outcome = dag_runs.run_in_process("social_crm_full_refresh")

    assert outcome.state == "success" and outcome.tasks == {"rebuild_everything": "success"}
    assert _tables(pipeline, "marts") == MARTS
