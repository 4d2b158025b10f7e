"""
### Extract Instagram

Every hour: our Instagram accounts' counts and daily insights, our media in the look-back
window with the comments and replies of those whose count moved, the media we are tagged in,
the @mentions the webhooks announced, our media's insights, the rivals' counts and recent
media (business discovery) and the recent media of the campaign hashtags. Lands into
`raw.instagram_*` (idempotent: a rerun lands nothing new; edits land as new versions,
deletions as tombstones only after a lookup confirms them) and updates the Assets of the
tables that got rows (alias `raw.instagram_* landed`): a step that landed nothing updates
none. The steps below are the step table `social_crm.orchestration.pipelines.EXTRACT_INSTAGRAM`.

* Credentials: Airflow connection `instagram_graph` (host = Graph base URL, password = the
  brand's token; extras as `facebook_graph`'s, plus `hashtags`), validated at start.
* Calls are bounded by the `instagram_api` pool and paced by the
  `X-Business-Use-Case-Usage` header; at most 30 unique hashtags per account in 7 days.
* Safe to retry or clear: a failed batch lands nothing and is marked failed in `meta.load_batches`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag

from social_crm.orchestration.dag_defaults import START_DATE, default_args
from social_crm.orchestration.dag_tasks import render
from social_crm.orchestration.pipelines import EXTRACT_INSTAGRAM


@dag(
    dag_id=EXTRACT_INSTAGRAM.dag_id,
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["social_crm", "extract", "instagram"],
    default_args=default_args(
        retries=3, retry_delay=timedelta(minutes=2), retry_exponential_backoff=True
    ),
    doc_md=EXTRACT_INSTAGRAM.doc_md(__doc__),
)
def extract_instagram() -> None:
    render(EXTRACT_INSTAGRAM)


extract_instagram()
