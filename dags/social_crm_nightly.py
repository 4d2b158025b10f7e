"""
### Social CRM nightly build

Builds the warehouse from what the extraction DAGs landed in `raw`: at 02:00 UTC every night,
and in between at most once every `SOCIAL_CRM_MARTS_EVERY_HOURS` hours (default 1), when an
extraction landed rows: it runs once a raw Asset (updated only by a task that landed rows in
that table) and `marts_due` (updated by `social_crm_marts_due` at minute 35 of each period)
were both updated since its last run. Why hourly: docs/operating.md, "When the marts are
built". The steps below are the step table `social_crm.orchestration.pipelines.NIGHTLY`,
which `social-crm nightly` runs too.

Each dbt step is a Cosmos task group that runs **one** `dbt build` of its selection, tests
included (its `dbt_producer_watcher` task, dbt's whole log), then shows one task per model
(`<model>_run`) and per seed (`<seed>_seed`) reporting that node's result and then its data
tests' results. A failed model fails its task, which is retried alone (`dbt build` of that model
and its tests); the producer is not retried, and a failed data test fails its model's task
without a retry: it is a finding. A failed test or expectation stops the run before publishing,
so `marts` keeps the last good build; the failed task names the model, test or expectation.
If the 02:00 run has not published by 06:00 UTC, a deadline alert fires.

The run's as-of time (the moment the marts describe) is its data interval's end; for a run an
asset update triggered, when it was due to run (`social_crm.transform.as_of`).

* Warehouse: `WAREHOUSE_URL` (required; a task without it fails naming it).
* Docs: `.local/docs/dbt/static_index.html` (dbt) and `.local/docs/data_docs/index.html`
  (Great Expectations).
* Safe to re-run or clear any task: an incremental model merges again what it has not merged,
  and the others are rebuilt from the staging tables; `social_crm_full_refresh` rebuilds all
  from raw.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import (
    AssetAll,
    AssetAny,
    AssetOrTimeSchedule,
    AsyncCallback,
    CronTriggerTimetable,
    DeadlineAlert,
    DeadlineReference,
    dag,
)

from social_crm.orchestration.assets import ALL_RAW, MARTS_DUE
from social_crm.orchestration.dag_defaults import START_DATE, WAREHOUSE_BUILD_POOL, default_args
from social_crm.orchestration.dag_tasks import render
from social_crm.orchestration.pipelines import NIGHTLY


@dag(
    dag_id=NIGHTLY.dag_id,
    # 02:00 UTC every night; in between, once an extraction landed rows in a raw table and the
    # marts are due (social_crm_marts_due: every SOCIAL_CRM_MARTS_EVERY_HOURS)
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 2 * * *", timezone="UTC"),
        assets=AssetAll(AssetAny(*{asset.name: asset for asset in ALL_RAW}.values()), MARTS_DUE),
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["social_crm", "dbt", "nightly"],
    # one slot each of the pool the live DAG's builds take whole: never both at once
    default_args=default_args(
        retries=2, retry_delay=timedelta(minutes=5), alert=True, pool=WAREHOUSE_BUILD_POOL
    ),
    # the 02:00 run must have published by 06:00 UTC, or the on-call person hears of it
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
        interval=timedelta(hours=4),
        callback=AsyncCallback("social_crm.alerts.notify.deadline_missed"),
        name="published by 06:00 UTC",
    ),
    doc_md=NIGHTLY.doc_md(__doc__),
)
def social_crm_nightly() -> None:
    render(NIGHTLY)


social_crm_nightly()
