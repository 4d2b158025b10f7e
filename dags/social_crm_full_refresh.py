"""
### Social CRM full refresh (manual)

Rebuilds every dbt model from `raw` with `--full-refresh` (the incremental staging,
intermediate and mart tables included), rescoring, validating and publishing like the nightly run.
Trigger it by hand after a model change that incremental runs cannot apply, or to repair a
mart. `marts` keeps the last good build until the new one passes the quality gate.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task


def _notify(context) -> None:  # noqa: ANN001 - Airflow's context
    from social_crm.orchestration.notify import on_failure

    on_failure(context)


@dag(
    dag_id="social_crm_full_refresh",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["social_crm", "dbt", "manual"],
    default_args={
        "owner": "data-engineering",
        "retries": 1,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": _notify,
    },
    doc_md=__doc__,
)
def social_crm_full_refresh() -> None:
    @task
    def rebuild_everything() -> dict[str, object]:
        """Full-refresh build, erasures, scoring, gate and publish, in order."""
        from social_crm.orchestration import nightly

        return nightly.run_all(full_refresh=True)

    rebuild_everything()


social_crm_full_refresh()
