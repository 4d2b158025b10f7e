"""An extraction updates the raw Assets, and so starts the marts build, only when it landed
rows; and the build waits for `marts_due` (at most one build per period). `extract_x` is run
twice through `dag.test()` against the simulator (the second run finds nothing new), with
every DAG synced to the metadata database as the dag-processor syncs them, and the
scheduler's own question asked after each step: which DAGs' asset conditions are met
(`DagModel.dags_needing_dagruns`)."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
import pytest

from social_crm.warehouse import migrations
from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.dags.airflow_sync import sync_dags_to_db
from tests.databases import new_database

pytestmark = pytest.mark.integration

NIGHTLY = "social_crm_nightly"


@dataclass
class ExtractionRun:
    task_states: dict[str, str]
    events: set[str]  # the Assets the run's tasks updated, by name
    changed: set[str]  # the raw tables its batches landed rows or tombstones in, as Assets
    read: int  # records its batches read
    triggers_nightly: bool  # once `social_crm_marts_due` has run too
    triggers_nightly_before_due: bool  # before it ran


def _pause_nightly(paused: bool) -> None:
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import update

    with create_session() as session:
        session.execute(update(DagModel).where(DagModel.dag_id == NIGHTLY).values(is_paused=paused))


def _forget_queued_events() -> None:
    """The nightly's queued asset events (what the scheduler has not turned into a run yet)."""
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(AssetDagRunQueue).where(AssetDagRunQueue.target_dag_id == NIGHTLY))


def _nightly_is_due() -> bool:
    """The scheduler's answer: the nightly's asset condition is met by the queued events."""
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        _, triggered = DagModel.dags_needing_dagruns(session)
        session.rollback()  # the scheduler's row locks, and nothing else
    return NIGHTLY in triggered


def _run_extract_x(warehouse: str) -> ExtractionRun:
    """`extract_x`, then `social_crm_marts_due` (the next period begins)."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    _forget_queued_events()
    began = datetime.now(UTC)
    outcome = dag_runs.run_in_process("extract_x")
    with create_session() as session:
        events = set(
            session.scalars(
                select(AssetModel.name)
                .join(AssetEvent, AssetEvent.asset_id == AssetModel.id)
                .where(AssetEvent.source_dag_id == "extract_x")
                .where(AssetEvent.source_run_id == outcome.run_id)
            )
        )
    before_due = _nightly_is_due()
    assert dag_runs.run_in_process("social_crm_marts_due").succeeded
    triggers_nightly = _nightly_is_due()
    with psycopg.connect(warehouse) as conn:
        batches = conn.execute(
            "select source || '_' || entity, records_in, records_landed + records_tombstoned"
            " from meta.load_batches where status = 'committed' and started_at >= %s",
            (began,),
        ).fetchall()
    return ExtractionRun(
        task_states=outcome.tasks,
        events=events,
        changed={f"raw.{table}" for table, _, changed in batches if changed},
        read=sum(read for _, read, _ in batches),
        triggers_nightly=triggers_nightly,
        triggers_nightly_before_due=before_due,
    )


@pytest.fixture(scope="module")
def two_runs(warehouse_url, airflow_db) -> tuple[ExtractionRun, ExtractionRun, bool]:
    """The first run of `extract_x` (lands the world's Posts and authors; no follower walks),
    the build it triggers, then a second run with nothing new at X; and whether rows landed
    without an event make the build due once `social_crm_marts_due` runs."""
    world = WorldConfig(seed=21, scale=0.02, days=10)
    with (
        new_database(warehouse_url) as db,
        SimulatorServer(World(world)) as sim,
        pytest.MonkeyPatch.context() as env,
    ):
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        connection = {
            "conn_type": "http",
            "host": sim.url,
            "password": sim.x_token,
            "extra": {"rate_limit_wait": 0.05, "backoff_base": 0.05},
        }
        env.setenv("AIRFLOW_CONN_X_API", json.dumps(connection))
        env.setenv("WAREHOUSE_URL", db.libpq())
        sync_dags_to_db()
        _pause_nightly(False)  # a new DAG is paused; a deployment turns the nightly on
        try:
            first = _run_extract_x(db.libpq())
            _built_and_published(db.libpq())  # the build the first run triggered
            second = _run_extract_x(db.libpq())
            unannounced = _marts_due_after_a_silent_landing(db.libpq())
        finally:  # the metadata database as other tests find it
            _forget_queued_events()
            _pause_nightly(True)
    return first, second, unannounced


def _built_and_published(warehouse: str) -> None:
    """A marts build started and published (nightly.validate_raw, then publish_marts)."""
    from social_crm.orchestration import nightly

    with psycopg.connect(warehouse) as conn:
        nightly.build_started(conn)
        nightly.build_published(conn)


def _marts_due_after_a_silent_landing(warehouse: str) -> bool:
    """A batch committed rows with no Asset event (a task that failed after landing, the live
    walk); then `social_crm_marts_due` runs: is the build due?"""
    _forget_queued_events()
    with psycopg.connect(warehouse) as conn:
        conn.execute(
            "insert into meta.load_batches (batch_id, source, entity, status, finished_at,"
            " records_in, records_landed) values (gen_random_uuid(), 'x', 'tweets',"
            " 'committed', clock_timestamp(), 1, 1)"
        )
    before = _nightly_is_due()
    assert dag_runs.run_in_process("social_crm_marts_due").succeeded
    return not before and _nightly_is_due()


def test_an_extraction_that_lands_rows_triggers_the_marts_build(two_runs):
    first, *_ = two_runs
    assert first.changed, "precondition: the first run landed rows"
    assert first.triggers_nightly


def test_rows_landed_wait_for_the_marts_to_be_due(two_runs):
    first, *_ = two_runs
    assert first.changed, "precondition: the first run landed rows"
    assert not first.triggers_nightly_before_due


def test_an_extraction_updates_exactly_the_raw_tables_it_landed_rows_in(two_runs):
    first, *_ = two_runs
    # x_followers is among its tasks' tables, but no follower walk ran: no event for it
    assert "raw.x_followers" not in first.changed
    assert first.events == first.changed


def test_an_extraction_with_nothing_new_updates_no_asset(two_runs):
    _, second, _ = two_runs
    assert second.read > 0, "precondition: the second run read from X again"
    assert second.changed == set()
    assert second.events == set()


def test_an_extraction_with_nothing_new_does_not_trigger_the_marts_build(two_runs):
    _, second, _ = two_runs
    assert not second.triggers_nightly  # not even once the marts are due


def test_an_extraction_with_nothing_new_succeeds_rather_than_skipping(two_runs):
    _, second, _ = two_runs
    assert second.task_states == dict.fromkeys(
        ("brands", "mentions_and_replies", "followers"), "success"
    )


def test_rows_landed_without_an_event_are_built_once_the_marts_are_due(two_runs):
    *_, unannounced = two_runs
    assert unannounced
