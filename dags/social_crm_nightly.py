"""
### Social CRM nightly build

Builds the warehouse models with **dbt** (staging → intermediate → marts) from what the
extraction DAGs landed in `raw`, once a night at 02:00 UTC.

* Warehouse: `WAREHOUSE_URL`, else the embedded PostgreSQL in `.local/`.
* dbt project: `dbt_project/` (profile reads the warehouse from the environment).
* Safe to re-run: every model is rebuilt from raw.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task


@dag(
    dag_id="social_crm_nightly",
    schedule="0 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["social_crm", "dbt", "nightly"],
    default_args={
        "owner": "data-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
    },
    doc_md=__doc__,
)
def social_crm_nightly() -> None:
    @task
    def bootstrap_warehouse() -> list[str]:
        """Apply pending warehouse migrations (no-op when up to date)."""
        from social_crm import warehouse

        return warehouse.bootstrap()

    @task
    def dbt_build() -> dict[str, str]:
        """Run `dbt build` (models and data tests); fails naming the failed nodes."""
        from social_crm import dbt_runner

        return dbt_runner.run("build").statuses

    bootstrap_warehouse() >> dbt_build()


social_crm_nightly()
