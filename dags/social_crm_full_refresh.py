"""
### Social CRM full refresh (manual)

Rebuilds every dbt model from `raw` with `--full-refresh` (the incremental staging,
intermediate and mart tables included), rescoring, validating and publishing like the nightly run.
Trigger it by hand after a model change that incremental runs cannot apply, or to repair a
mart. `marts` keeps the last good build until the new one passes the quality gate. Its one
task runs the step table `social_crm.orchestration.pipelines.NIGHTLY` in order, as
`social-crm nightly --full-refresh` does.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag

from social_crm.orchestration.dag_defaults import (
    START_DATE,
    WAREHOUSE_BUILD_POOL,
    WAREHOUSE_BUILD_SLOTS,
    default_args,
)
from social_crm.orchestration.dag_tasks import render
from social_crm.orchestration.pipelines import FULL_REFRESH


@dag(
    dag_id=FULL_REFRESH.dag_id,
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
    doc_md=FULL_REFRESH.doc_md(__doc__),
)
def social_crm_full_refresh() -> None:
    render(FULL_REFRESH)


social_crm_full_refresh()
