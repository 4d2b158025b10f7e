"""
### Extract X (API v2)

Every hour, one task a tracked brand (`mentions_and_replies`, mapped over brands.csv's
`brand_key`s, each instance named by its brand, its own batches and watermarks): mentions of
the brand and its replies written since the newest Post seen (the whole look-back window on a
first run or a backfill; recent search: never more than 7 days back, full archive when the
connection says so), their authors with follower counts; then the brand's Posts due for a
re-check are looked up by id (at 1, 2, 4 ... days old within the look-back) and those X
reports gone are tombstoned. When the connection's `follower_walks`
enables them, the followers of the brand accounts (`brands`) and of every author (`authors`:
the follow graph used for influence; pro tier), each account when never walked and then every
`follower_walk_days`. Lands into `raw.x_*` and updates the Assets of the tables that got rows
(alias `raw.x_* landed`): a task that landed nothing updates none.

* Credentials: Airflow connection `x_api` (host = API base URL, password = bearer token; extra
  `tier` (pay_per_use by default), `monthly_read_cap`, `monthly_budget_usd`, `full_archive`,
  `follower_walks`, `follower_walk_days`, `lookback_days`, `recheck_hours`).
* Calls are bounded by the `x_api` pool; HTTP 429 waits until `x-rate-limit-reset`, logged.
* The month's read budget or money budget spent, or X's credits: the task lands what it read,
  keeps its watermark and succeeds; the next month's run resumes (`meta.api_read_budget`;
  what each run cost: `meta.api_spend`, docs/x-costs.md).
* A refused token or an endpoint outside the tier fails the task once, without retries.
* Safe to retry or clear: a failed batch lands nothing and is marked failed in `meta.load_batches`.
* A brand that fails fails alone: the other brands' instances, and the step after them
  (trigger rule `all_done`), still run, land and update their Assets.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from social_crm.orchestration.assets import LANDED
from social_crm.orchestration.dag_defaults import BRAND_INDEX, START_DATE, default_args


@dag(
    dag_id="extract_x",
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["social_crm", "extract", "x"],
    default_args=default_args(
        retries=3, retry_delay=timedelta(minutes=2), retry_exponential_backoff=True, pool="x_api"
    ),
    doc_md=__doc__,
)
def extract_x() -> None:
    @task(pool="default_pool")
    def brands() -> list[str]:
        from social_crm.orchestration import extraction

        return extraction.tracked_brands("x")

    # one task a brand (its own batches and watermarks; a failed brand retries alone), named
    # by the brand in the UI
    @task(outlets=[LANDED["x"]], map_index_template=BRAND_INDEX)
    def mentions_and_replies(
        brand: str, data_interval_start=None, data_interval_end=None, outlet_events=None
    ) -> list[str]:
        from social_crm.orchestration import extraction
        from social_crm.orchestration.dag_tasks import announce_landed

        landed = extraction.run_x("tweets", (data_interval_start, data_interval_end), brand)
        return announce_landed(landed, outlet_events, LANDED["x"])

    # after every brand's Posts whatever their state (the authors they landed): one brand's
    # failed search fails alone, the others' followers are still walked
    @task(outlets=[LANDED["x"]], trigger_rule="all_done")
    def followers(
        data_interval_start=None, data_interval_end=None, outlet_events=None
    ) -> list[str]:
        from social_crm.orchestration import extraction
        from social_crm.orchestration.dag_tasks import announce_landed

        landed = extraction.run_x("followers", (data_interval_start, data_interval_end))
        return announce_landed(landed, outlet_events, LANDED["x"])

    mentions_and_replies.expand(brand=brands()) >> followers()


extract_x()
