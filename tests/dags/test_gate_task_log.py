"""The raw gate's task log, as Airflow writes it for the `validate_raw` task of the live DAG
(`dag.test()`, the task's log file the UI reads): short enough to read, and naming each
table it checked. A small world's CRM export is landed first, so the gate has batches."""

import json
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from social_crm import catalog
from social_crm.extract.crm import land_drop_folder
from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import WORLD_START
from tests.dags.conftest import WORLD

pytestmark = pytest.mark.integration

CLOCK = WORLD_START + timedelta(days=WORLD.days)
MAX_LINES = 60


@pytest.fixture
def gate_log(extraction_env, tmp_path, monkeypatch) -> list[dict]:
    """The lines of the live DAG's `validate_raw` task log after a gate over a CRM export."""
    from airflow.configuration import conf

    from social_crm.transform.dbt_manifest import ensure_manifest

    ensure_manifest()  # not inside the DAG file's import, which has a timeout (conftest.dagbag)
    monkeypatch.setenv("SOCIAL_CRM_DATA_DOCS_DIR", str(tmp_path / "data_docs"))
    land_drop_folder(lambda: psycopg.connect(extraction_env.libpq()), tmp_path / "drop")
    outcome = dag_runs.run_in_process(
        "social_crm_live", tasks_from="validate_raw", logical_date=CLOCK
    )
    assert outcome.tasks["validate_raw"] == "success", outcome
    folder = Path(conf.get("logging", "base_log_folder"))
    (log,) = folder.glob(
        f"dag_id=social_crm_live/run_id={outcome.run_id}/task_id=validate_raw/attempt=*.log"
    )
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def test_the_raw_gate_task_log_is_short_and_names_every_table(gate_log):
    events = [str(line.get("event", "")) for line in gate_log]
    tables = [f"raw.{table.name}" for table in catalog.RAW_TABLES] + ["meta.load_batches"]
    unnamed = [t for t in tables if not any(e.startswith(f"{t}: ") for e in events)]
    assert unnamed == [] and len(gate_log) < MAX_LINES, (len(gate_log), unnamed)
