"""The extraction DAGs run by the CeleryExecutor as docker-compose.yaml deploys it: Redis, the
API server, a DAG processor, a scheduler and two Celery workers, all real processes
(tests/dags/celery_cluster.py), against the simulator and a scratch warehouse database.

One deployment for the module: both DAGs are unpaused at once and the scheduler starts a run of
each, so that with one task slot per worker the tasks spread over both. The deployment is
stopped before the tests look at what it did, so the last test can check that no process it
started is left."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass

import psycopg
import pytest

from tests.dags.celery_cluster import CeleryCluster, processes_in_groups
from tests.dags.conftest import wired_world
from tests.databases import new_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAGS = ("extract_x", "extract_facebook")


@dataclass
class Outcome:
    runs: dict[str, tuple[str, str]]
    tasks: dict[tuple[str, str], str]
    by_worker: dict[str, list[tuple[str, str]]]
    committed_batches: int
    left_running: list[int]
    seconds: float
    logs: str


@pytest.fixture(scope="module")
def outcome(warehouse_url, airflow_db, tmp_path_factory) -> Outcome:
    folder = tmp_path_factory.mktemp("celery")
    started = time.monotonic()
    with new_database(warehouse_url) as database, wired_world(database, folder) as wiring:
        cluster = CeleryCluster(folder, DAGS, wiring)
        try:
            cluster.start()
            cluster.wait_for_dags(timeout=120)
            runs = cluster.wait_for_runs(timeout=300)
            tasks = cluster.task_states(runs)
            by_worker = {name: cluster.tasks_run_by(name, runs) for name in cluster.workers}
            logs = cluster.log_tails()
        finally:
            left_running = cluster.stop()
        with psycopg.connect(database.libpq()) as conn:
            (committed,) = conn.execute(
                "select count(*) from meta.load_batches where status = 'committed'"
            ).fetchone()
    return Outcome(
        runs, tasks, by_worker, committed, left_running, time.monotonic() - started, logs
    )


def test_every_dag_run_succeeds(outcome):
    states = {dag_id: state for dag_id, (_, state) in outcome.runs.items()}
    assert states == dict.fromkeys(DAGS, "success"), outcome.logs


def test_every_task_succeeds(outcome):
    assert outcome.tasks and set(outcome.tasks.values()) == {"success"}, outcome.tasks


def test_both_workers_run_tasks(outcome):
    assert all(outcome.by_worker.values()), outcome.by_worker


def test_each_task_runs_once_on_one_worker(outcome):
    executed = [task for tasks in outcome.by_worker.values() for task in tasks]
    assert sorted(executed) == sorted(outcome.tasks), outcome.by_worker


def test_the_tasks_land_into_the_warehouse(outcome):
    assert outcome.committed_batches >= len(outcome.tasks)


def test_no_process_is_left_after_stop(outcome):
    assert outcome.left_running == []


def test_a_process_left_in_a_group_is_found():
    """The check above can fail: a live process of a started group is reported until killed."""
    child = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        assert processes_in_groups([child.pid]) == [child.pid]
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    assert processes_in_groups([child.pid]) == []
