"""`dag.test()` of the nightly DAG against the embedded warehouse."""

import psycopg
import pytest

from social_crm import dag_runs

pytestmark = pytest.mark.integration


def test_nightly_dag_runs_dbt_build_end_to_end(warehouse_url, airflow_db):
    outcome = dag_runs.run_in_process("social_crm_nightly")

    assert outcome.state == "success"
    assert outcome.tasks == dict.fromkeys(
        [
            "bootstrap_warehouse",
            "build_staging_and_intermediate",
            "apply_erasure_requests",
            "score_influence_and_clv",
            "build_marts",
            "publish_marts",
        ],
        "success",
    )
    with psycopg.connect(warehouse_url.libpq()) as conn:
        kind = conn.execute(
            "select table_type from information_schema.tables"
            " where table_schema = 'staging' and table_name = 'stg_meta__load_batches'"
        ).fetchone()
    assert kind == ("VIEW",)
    with psycopg.connect(warehouse_url.libpq()) as conn:
        marts = {
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts_build' and table_type = 'BASE TABLE'"
            ).fetchall()
        }
    assert marts == {
        "dim_customers",
        "fct_social_engagements",
        "customer_segments",
        "customer_lifetime_value",
        "brand_daily_metrics",
        "response_times",
    }
