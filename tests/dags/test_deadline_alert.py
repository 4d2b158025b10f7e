"""The nightly DAG's deadline: a scheduled 02:00 run must publish by 06:00 UTC, or an alert
goes out. Checked through Airflow's own machinery: the DAG is synced to the metadata database
as the dag-processor would, a scheduled run is created as the scheduler would, and the missed
deadline queues our callback, which is then run as the triggerer would."""

import asyncio
import importlib
from datetime import UTC, datetime, timedelta

import pytest

from tests.dags.airflow_sync import sync_dags_to_db

pytestmark = pytest.mark.integration

LOGICAL_DATE = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_a_late_nightly_run_fires_the_deadline_alert(airflow_db, alert_webhook):
    from airflow.models.deadline import Deadline
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType
    from sqlalchemy import select

    sync_dags_to_db()
    with create_session() as session:
        dag = SerializedDagModel.get_dag("social_crm_nightly", session=session)
        run = dag.create_dagrun(
            run_id=f"scheduled__deadline_test_{datetime.now(UTC):%Y%m%dT%H%M%S%f}",
            logical_date=LOGICAL_DATE,
            data_interval=dag.timetable.infer_manual_data_interval(run_after=LOGICAL_DATE),
            run_after=LOGICAL_DATE,
            run_type=DagRunType.SCHEDULED,
            triggered_by=DagRunTriggeredByType.TIMETABLE,
            state=DagRunState.RUNNING,
            session=session,
        )
        session.flush()
        deadlines = session.scalars(select(Deadline).where(Deadline.dagrun_id == run.id)).all()
        assert [d.deadline_time for d in deadlines] == [LOGICAL_DATE + timedelta(hours=4)]

        # 06:00 passed and the run has not published: the scheduler handles the miss
        deadlines[0].handle_miss(session=session)
        data = deadlines[0].callback.data
        session.rollback()  # leave no half-run DAG run behind

    assert data["path"] == "social_crm.alerts.notify.deadline_missed"
    module, name = data["path"].rsplit(".", 1)
    asyncio.run(getattr(importlib.import_module(module), name)(**data["kwargs"]))

    assert len(alert_webhook) == 1
    text = alert_webhook[0]["text"]
    assert text.startswith("social_crm: social_crm_nightly run scheduled__deadline_test_")
    assert "2026-03-02T02:00:00" in text and "had not published by 2026-03-02 06:00:00" in text
