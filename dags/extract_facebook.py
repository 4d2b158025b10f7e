"""
### Extract Facebook Pages

Every hour: page snapshots (fans, followers) and daily insights, the pages' posts and visitor
posts with every comment, reply and reaction in the look-back window, and the profiles of the
people who engaged. Lands into `raw.facebook_*` (idempotent: a rerun lands nothing new; edits
land as new versions, deletions as tombstones) and updates the Assets of the tables that got
rows, through the alias `raw.facebook_* landed`: a task that landed nothing updates none.

* Credentials: Airflow connection `facebook_graph` (host = Graph base URL, password = token;
  extras as in the README, validated at start: an unknown or malformed one fails naming it).
* Calls are bounded by the `facebook_api` pool; rate limits are waited out and logged.
* Safe to retry or clear: a failed batch lands nothing and is marked failed in `meta.load_batches`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from social_crm.orchestration.assets import LANDED
from social_crm.orchestration.dag_defaults import START_DATE, default_args


@dag(
    dag_id="extract_facebook",
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["social_crm", "extract", "facebook"],
    default_args=default_args(
        retries=3,
        retry_delay=timedelta(minutes=2),
        retry_exponential_backoff=True,
        pool="facebook_api",
    ),
    doc_md=__doc__,
)
def extract_facebook() -> None:
    @task(outlets=[LANDED["facebook"]])
    def page_snapshot_and_insights(
        data_interval_start=None, data_interval_end=None, outlet_events=None
    ) -> list[str]:
        from social_crm.orchestration import extraction
        from social_crm.orchestration.dag_tasks import announce_landed

        landed = extraction.run_facebook("page", (data_interval_start, data_interval_end))
        return announce_landed(landed, outlet_events, LANDED["facebook"])

    @task(outlets=[LANDED["facebook"]])
    def posts_comments_reactions(
        data_interval_start=None, data_interval_end=None, outlet_events=None
    ) -> list[str]:
        from social_crm.orchestration import extraction
        from social_crm.orchestration.dag_tasks import announce_landed

        landed = extraction.run_facebook("posts", (data_interval_start, data_interval_end))
        return announce_landed(landed, outlet_events, LANDED["facebook"])

    @task(outlets=[LANDED["facebook"]])
    def visitor_posts(
        data_interval_start=None, data_interval_end=None, outlet_events=None
    ) -> list[str]:
        from social_crm.orchestration import extraction
        from social_crm.orchestration.dag_tasks import announce_landed

        landed = extraction.run_facebook("feed", (data_interval_start, data_interval_end))
        return announce_landed(landed, outlet_events, LANDED["facebook"])

    # posts and visitor posts both land comments and reactions: one after the other
    page_snapshot_and_insights()
    posts_comments_reactions() >> visitor_posts()


extract_facebook()
