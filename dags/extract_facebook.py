"""
### Extract Facebook Pages

Every hour, each step mapped over the tracked brands (brands.csv's `brand_key`s; an instance a
brand's Page, named by its brand, with its own batches and watermarks; visitor posts: our
Pages only): page snapshots (fans, followers) and daily insights, the pages' posts and visitor
posts with every comment, reply and reaction in the look-back window, and the profiles of the
people who engaged. Lands into `raw.facebook_*` (idempotent: a rerun lands nothing new; edits
land as new versions, deletions as tombstones) and updates the Assets of the tables that got
rows, through the alias `raw.facebook_* landed`: a task that landed nothing updates none.

* Credentials: Airflow connection `facebook_graph` (host = Graph base URL, password = token;
  extras as in the README, validated at start: an unknown or malformed one fails naming it).
* Calls are bounded by the `facebook_api` pool; rate limits are waited out and logged.
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
    @task(pool="default_pool")
    def brands() -> list[str]:
        from social_crm.orchestration import extraction

        return extraction.tracked_brands("facebook")

    @task(pool="default_pool")
    def our_brands() -> list[str]:
        from social_crm.orchestration import extraction

        return extraction.tracked_brands("facebook", ours=True)

    # each step one task a brand's Page (its own batches and watermarks; a failed Page retries
    # alone), named by the brand in the UI
    @task(outlets=[LANDED["facebook"]], map_index_template=BRAND_INDEX)
    def page_snapshot_and_insights(
        brand: str, data_interval_start=None, data_interval_end=None, outlet_events=None
    ) -> list[str]:
        from social_crm.orchestration import extraction
        from social_crm.orchestration.dag_tasks import announce_landed

        interval = (data_interval_start, data_interval_end)
        landed = extraction.run_facebook("page", interval, brand)
        return announce_landed(landed, outlet_events, LANDED["facebook"])

    @task(outlets=[LANDED["facebook"]], map_index_template=BRAND_INDEX)
    def posts_comments_reactions(
        brand: str, data_interval_start=None, data_interval_end=None, outlet_events=None
    ) -> list[str]:
        from social_crm.orchestration import extraction
        from social_crm.orchestration.dag_tasks import announce_landed

        interval = (data_interval_start, data_interval_end)
        landed = extraction.run_facebook("posts", interval, brand)
        return announce_landed(landed, outlet_events, LANDED["facebook"])

    # a rival's visitor posts come without their authors: our Pages' only. After every
    # brand's posts whatever their state: one rival's failed Page fails alone, our Pages'
    # visitor posts (what customers write to us) are still read that hour
    @task(outlets=[LANDED["facebook"]], map_index_template=BRAND_INDEX, trigger_rule="all_done")
    def visitor_posts(
        brand: str, data_interval_start=None, data_interval_end=None, outlet_events=None
    ) -> list[str]:
        from social_crm.orchestration import extraction
        from social_crm.orchestration.dag_tasks import announce_landed

        interval = (data_interval_start, data_interval_end)
        landed = extraction.run_facebook("feed", interval, brand)
        return announce_landed(landed, outlet_events, LANDED["facebook"])

    # posts and visitor posts both land comments and reactions: one after the other
    tracked = brands()
    page_snapshot_and_insights.expand(brand=tracked)
    posts_comments_reactions.expand(brand=tracked) >> visitor_posts.expand(brand=our_brands())


extract_facebook()
