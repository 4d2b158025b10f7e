"""
### Social CRM nightly build

Builds the warehouse from what the extraction DAGs landed in `raw`, at 02:00 UTC and whenever
an extraction DAG updates a raw Asset:

1. `validate_raw`: Great Expectations suites on the raw batches landed since the last passing
   gate (columns, keys, no future timestamps, each snapshot entity's newest batch within the
   band of its recent batches).
2. `dbt_staging`: seeds, the staging models (Facebook and X: incremental tables that merge the
   batches the raw gate passed; CRM: views), the social profiles and the messages' texts. Each
   dbt group runs one `dbt build` (its `dbt_producer_watcher` task, dbt's whole log), then a
   `run` task per model and a `test` task per model's tests report that node's result.
3. `match_identities` (the Splink record linkage model scores the new and changed profiles and
   customers; weekly it is trained again and scores all), then
   `dbt_identity_links` (known accounts, staff decisions, the model's confident pairs).
4. `apply_erasure_requests`, then side by side `score_sentiment` (language, sentiment and
   intent of the messages new or edited since, or of all when the scorer changed) and
   `score_influence_and_clv` (influence from the interactions between people and their reach,
   BG/NBD + Gamma-Gamma).
5. `dbt_marts`: intermediate models and the marts, built into `marts_build`, tested per model;
   the incremental ones merge only what changed since their last merge.
6. `validate_marts`: Great Expectations suites on `marts_build`.
7. `publish_marts`: one transaction brings `marts` (the schema BI reads) up to `marts_build`:
   marts rebuilt whole are copied, the incremental ones get what changed since their last
   publish.
8. `generate_docs`: `dbt docs generate`; Data Docs are written by both validations.

A failed test or expectation stops the run before publishing, so `marts` keeps the last good
build; the failed task names the model, test or expectation. A failed model's task is retried
alone (`dbt run` of that model); the producer and the tests are not.
If the 02:00 run has not published by 06:00 UTC, a deadline alert fires.

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
    AssetAny,
    AssetOrTimeSchedule,
    AsyncCallback,
    CronTriggerTimetable,
    DeadlineAlert,
    DeadlineReference,
    dag,
    task,
)

from social_crm.orchestration.assets import ALL_RAW, PUBLISHED_MARTS
from social_crm.orchestration.dag_defaults import START_DATE, WAREHOUSE_BUILD_POOL, default_args
from social_crm.transform.cosmos_groups import dbt_task_group
from social_crm.transform.dbt_selections import (
    IDENTITY_SELECT,
    MARTS_EXCLUDE,
    MARTS_SELECT,
    STAGING_SELECT,
)


@dag(
    dag_id="social_crm_nightly",
    # 02:00 UTC every night, and whenever an extraction DAG updates a raw table
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 2 * * *", timezone="UTC"),
        assets=AssetAny(*{asset.name: asset for asset in ALL_RAW}.values()),
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
    doc_md=__doc__,
)
def social_crm_nightly() -> None:
    @task
    def bootstrap_warehouse() -> list[str]:
        """Apply pending warehouse migrations (no-op when up to date)."""
        from social_crm.orchestration import nightly

        return nightly.bootstrap()

    @task(retries=0)
    def validate_raw() -> int:
        """Great Expectations suites on the new raw batches: columns, keys, no future
        timestamps, batch volume."""
        from social_crm.orchestration import nightly

        return nightly.validate_raw()

    @task
    def match_identities() -> dict[str, int]:
        """Score the new and changed profiles and customers with the record linkage model
        (all of them when it is trained again, weekly)."""
        from social_crm.orchestration import nightly

        return nightly.match_identities()

    @task
    def apply_erasure_requests() -> dict[str, int]:
        """Delete erased customers' CRM rows and linked social data from raw."""
        from social_crm.orchestration import nightly

        return nightly.apply_erasure_requests()

    @task
    def score_sentiment() -> dict[str, int]:
        """Language, sentiment and intent of new, edited or not yet rescored messages."""
        from social_crm.orchestration import nightly

        return nightly.score_sentiment()

    @task
    def score_influence_and_clv(data_interval_end=None, dag_run=None) -> dict[str, int]:  # noqa: ANN001
        """Influence (interactions, reach, follow graph) and BG/NBD + Gamma-Gamma CLV into the
        scoring schema, as of the run's data interval end (an asset-triggered run: when it
        was due to run)."""
        from social_crm.orchestration import nightly

        as_of = data_interval_end or (dag_run.run_after if dag_run is not None else None)
        return nightly.score(as_of=as_of)

    @task(retries=0)
    def validate_marts() -> int:
        """Great Expectations suites on marts_build: fails naming every failed expectation."""
        from social_crm.orchestration import nightly

        return nightly.validate_marts()

    @task(outlets=[PUBLISHED_MARTS])
    def publish_marts() -> dict[str, int]:
        """Copy the validated marts from marts_build into marts (BI's schema), atomically."""
        from social_crm.orchestration import nightly

        return nightly.publish_marts()

    @task
    def generate_docs() -> str:
        """`dbt docs generate` (Data Docs were written by the validations)."""
        from social_crm.orchestration import nightly

        return nightly.generate_dbt_docs()

    staging = dbt_task_group("dbt_staging", STAGING_SELECT)
    identity_links = dbt_task_group("dbt_identity_links", IDENTITY_SELECT)
    marts = dbt_task_group("dbt_marts", MARTS_SELECT, exclude=MARTS_EXCLUDE)
    (
        bootstrap_warehouse()
        >> validate_raw()
        >> staging
        >> match_identities()
        >> identity_links
        >> apply_erasure_requests()
        # side by side: neither reads what the other writes (two cores: the sentiment scorer's
        # Python beside the influence and CLV queries)
        >> [score_sentiment(), score_influence_and_clv()]
        >> marts
        >> validate_marts()
        >> publish_marts()
        >> generate_docs()
    )


social_crm_nightly()
