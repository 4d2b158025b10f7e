"""
### Marts due

Every `SOCIAL_CRM_MARTS_EVERY_HOURS` hours (default 1), at minute 35 UTC: updates the Asset
`marts_due`. The marts build (`social_crm_nightly`) is scheduled on it together with the raw
tables: between its 02:00 UTC runs it runs once both a raw table and `marts_due` were updated
since its last run, so at most once in each period, and not at all in a period in which no
extraction landed a row (an extraction updates only the raw tables it landed rows in). The
task also updates the raw tables with rows committed since the last build that published
started (whoever landed them: an extraction that failed after landing, the live walks), so no
landed row waits for 02:00.

Minute 35: the hourly extractions of the hour have landed, and the build falls between two
cycles of the live queue (every 10 minutes), which needs the same `warehouse_build` pool.
The figures behind the default: docs/operating.md, "When the marts are built".
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronTriggerTimetable, dag, task

from social_crm.orchestration.assets import MARTS_DUE, UNBUILT, marts_due_cron
from social_crm.orchestration.dag_defaults import START_DATE, default_args


@dag(
    dag_id="social_crm_marts_due",
    schedule=CronTriggerTimetable(marts_due_cron(), timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["social_crm", "schedule"],
    default_args=default_args(retries=2, retry_delay=timedelta(minutes=1)),
    doc_md=__doc__,
)
def social_crm_marts_due() -> None:
    @task(outlets=[MARTS_DUE, UNBUILT])
    def marts_due(data_interval_end=None, outlet_events=None) -> list[str]:
        """The marts may be built again; and the raw tables with rows not yet built."""
        from social_crm.orchestration.dag_tasks import announce_landed
        from social_crm.orchestration.extraction import unbuilt_tables

        unbuilt = announce_landed(unbuilt_tables(), outlet_events, UNBUILT)
        return [f"marts due since {data_interval_end}", *unbuilt]

    marts_due()


social_crm_marts_due()
