"""
### Load the CRM export

Every day: the CSV files in the CRM drop folder (`CRM_DROP_DIR`, default `.local/crm_drop`)
into `raw.crm_*`, each file on its own: landed files move to `processed/`, unreadable ones to
`rejected/` with a `.reason.txt` (the task log names each). Each row is validated; bad rows go
to `raw_quarantine.records` with file, line and reason while the rest lands. Landing a file
twice adds nothing, so a rerun is safe. Updates the Assets of the `raw.crm_*` tables that got
rows (alias `raw.crm_* landed`): an empty drop folder updates none.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from social_crm.orchestration.assets import LANDED
from social_crm.orchestration.dag_defaults import START_DATE, default_args


@dag(
    dag_id="load_crm_export",
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["social_crm", "extract", "crm"],
    default_args=default_args(retries=2, retry_delay=timedelta(minutes=5)),
    doc_md=__doc__,
)
def load_crm_export() -> None:
    @task(outlets=[LANDED["crm"]])
    def land_crm_files(data_interval_start=None, data_interval_end=None, outlet_events=None):
        from social_crm.orchestration import extraction
        from social_crm.orchestration.dag_tasks import announce_landed

        landed = extraction.run_crm_task((data_interval_start, data_interval_end))
        return announce_landed(landed, outlet_events, LANDED["crm"])

    land_crm_files()


load_crm_export()
