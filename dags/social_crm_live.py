"""
### Social CRM live queue

Every 10 minutes: the messages that wait for an answer, ranked, and the alerts. The steps below
are the step table `social_crm.orchestration.pipelines.LIVE`, which `social-crm live` runs too.

Watermarks of the live walks are in `meta.watermarks`. A platform without a connection, or
whose hourly extraction is landing right now, is skipped for the cycle. Before the first
nightly build the queue's inputs do not exist: the cycle's build steps skip, nothing fails.
The run's as-of time (the queue's "now", the walks' interval end) is its data interval's end.

The warehouse steps take every slot of the `warehouse_build` pool, which the nightly's tasks
also use: the two never build at once (during the nightly build the queue waits for a gap).
Raw tables are not outlets here, so the live cycle does not trigger the nightly build.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag

from social_crm.orchestration.dag_defaults import START_DATE, default_args
from social_crm.orchestration.dag_tasks import render
from social_crm.orchestration.pipelines import LIVE


@dag(
    dag_id=LIVE.dag_id,
    schedule="*/10 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    # a cycle that is late is replaced by the next one: the queue is about now
    dagrun_timeout=timedelta(minutes=30),
    tags=["social_crm", "live"],
    default_args=default_args(retries=1, retry_delay=timedelta(minutes=1), alert=True),
    doc_md=LIVE.doc_md(__doc__),
)
def social_crm_live() -> None:
    render(LIVE)


social_crm_live()
