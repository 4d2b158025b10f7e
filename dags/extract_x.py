"""
### Extract X (API v2)

Every hour: mentions of each tracked brand and the brands' replies (recent search with a
`since_id` watermark, plus a look-back walk that turns deleted tweets into tombstones), their
authors with follower counts, then the followers of the brand accounts and of every author (the
follow graph used for influence). Lands into `raw.x_*` and updates those Assets.

* Credentials: Airflow connection `x_api` (host = API base URL, password = bearer token).
* Calls are bounded by the `x_api` pool; HTTP 429 waits until `x-rate-limit-reset`, logged.
* Safe to retry or clear: a failed batch lands nothing and is marked failed in `meta.load_batches`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from social_crm.orchestration.assets import X_FOLLOWERS, X_TWEETS
from social_crm.orchestration.dag_defaults import START_DATE, default_args


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
    @task(outlets=X_TWEETS)
    def mentions_and_replies(data_interval_start=None, data_interval_end=None) -> list[str]:
        from social_crm.orchestration import extraction

        return extraction.run_x("tweets", (data_interval_start, data_interval_end))

    @task(outlets=X_FOLLOWERS)
    def followers(data_interval_start=None, data_interval_end=None) -> list[str]:
        from social_crm.orchestration import extraction

        return extraction.run_x("followers", (data_interval_start, data_interval_end))

    mentions_and_replies() >> followers()


extract_x()
