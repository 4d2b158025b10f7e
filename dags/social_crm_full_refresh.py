"""
### Social CRM full refresh (manual)

Rebuilds every dbt model from `raw` with `--full-refresh` (the incremental staging,
intermediate and mart tables included), rescoring, validating and publishing like the nightly run.
Trigger it by hand after a model change that incremental runs cannot apply, or to repair a
mart. `marts` keeps the last good build until the new one passes the quality gate.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from social_crm.orchestration.dag_defaults import (
    START_DATE,
    WAREHOUSE_BUILD_POOL,
    WAREHOUSE_BUILD_SLOTS,
    default_args,
)


@dag(
    dag_id="social_crm_full_refresh",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["social_crm", "dbt", "manual"],
    # the whole build in one task: every slot of the warehouse build pool
    default_args=default_args(
        retries=1,
        retry_delay=timedelta(minutes=5),
        alert=True,
        pool=WAREHOUSE_BUILD_POOL,
        pool_slots=WAREHOUSE_BUILD_SLOTS,
    ),
    doc_md=__doc__,
)
def social_crm_full_refresh() -> None:
    @task
    def rebuild_everything() -> dict[str, object]:
        """Full-refresh build, erasures, scoring, gate and publish, in order."""
        from social_crm.orchestration import nightly

        return nightly.run_all(full_refresh=True)

    rebuild_everything()


social_crm_full_refresh()
