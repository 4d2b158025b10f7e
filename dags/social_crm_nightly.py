"""
### Social CRM nightly build

Builds the warehouse from what the extraction DAGs landed in `raw`, once a night at 02:00 UTC:
dbt staging and intermediate models, then scoring in Python (PageRank influence on the follow
graph, BG/NBD + Gamma-Gamma CLV), then the marts (`dim_customers`, `fct_social_engagements`,
`customer_segments`, `customer_lifetime_value`, `brand_daily_metrics`, `response_times`) in
`marts_build`, gated by dbt's data tests and Great Expectations suites
(`include/social_crm/quality/gate.py`); only when all pass are they published to
`marts`, the schema BI reads, in one transaction. A failed test stops the run before publishing,
so `marts` keeps the last good build.

* Warehouse: `WAREHOUSE_URL`, else the embedded PostgreSQL in `.local/`.
* dbt project: `dbt_project/` (profile reads the warehouse from the environment).
* Safe to re-run: every model is rebuilt from raw.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import AssetAny, AssetOrTimeSchedule, CronTriggerTimetable, dag, task

from social_crm.assets import ALL_RAW


def _notify(context) -> None:  # noqa: ANN001 - Airflow's context
    from social_crm.notify import on_failure

    on_failure(context)


@dag(
    dag_id="social_crm_nightly",
    # 02:00 UTC every night, and whenever an extraction DAG updates a raw table
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 2 * * *", timezone="UTC"),
        assets=AssetAny(*{asset.name: asset for asset in ALL_RAW}.values()),
    ),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["social_crm", "dbt", "nightly"],
    default_args={
        "owner": "data-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": _notify,
    },
    doc_md=__doc__,
)
def social_crm_nightly() -> None:
    @task
    def bootstrap_warehouse() -> list[str]:
        """Apply pending warehouse migrations (no-op when up to date)."""
        from social_crm import nightly

        return nightly.bootstrap()

    @task
    def build_staging_and_intermediate() -> str:
        """dbt build of seeds, staging and intermediate models, with their tests."""
        from social_crm import nightly

        return nightly.build_staging_and_intermediate()

    @task
    def apply_erasure_requests() -> dict[str, int]:
        """Delete erased customers' CRM rows and linked social data from raw."""
        from social_crm import nightly

        return nightly.apply_erasure_requests()

    @task
    def score_influence_and_clv() -> dict[str, int]:
        """PageRank influence and BG/NBD + Gamma-Gamma CLV into the scoring schema."""
        from social_crm import nightly

        return nightly.score()

    @task
    def build_marts() -> str:
        """dbt build of the marts in marts_build with their tests: the audit before publish."""
        from social_crm import nightly

        return nightly.build_marts()

    @task
    def validate_marts() -> int:
        """Great Expectations suites on marts_build: fails naming every failed expectation."""
        from social_crm import nightly

        return nightly.validate_marts()

    @task
    def publish_marts() -> dict[str, int]:
        """Copy the validated marts from marts_build into marts (BI's schema), atomically."""
        from social_crm import nightly

        return nightly.publish_marts()

    (
        bootstrap_warehouse()
        >> build_staging_and_intermediate()
        >> apply_erasure_requests()
        >> score_influence_and_clv()
        >> build_marts()
        >> validate_marts()
        >> publish_marts()
    )


social_crm_nightly()
