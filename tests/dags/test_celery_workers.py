"""The extraction DAGs and the nightly build run by the CeleryExecutor as docker-compose.yaml
deploys it: Redis, the API server, a DAG processor, a scheduler and two Celery workers, all real
processes (tests/dags/celery_cluster.py), against the simulator and a scratch warehouse database.

One deployment for the module: the extraction DAGs (and the CRM export's) are unpaused at once
and the scheduler starts a run of each, the social ones' per-brand tasks mapped over the world's
three brands, so that with one task slot per worker the instances spread over both; once they
have landed, the nightly
(`social_crm_nightly`, held paused until then) is unpaused: the scheduler starts its run of the
latest night, which builds, validates and publishes what they landed. The deployment is stopped
before the tests look at what it did, so the last test can check that no process it started is
left."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass

import psycopg
import pytest

from social_crm.transform.dbt_manifest import ensure_manifest
from social_crm_dev.simulator.config import BRANDS
from tests.dags.celery_cluster import CeleryCluster, processes_in_groups
from tests.dags.conftest import wired_world
from tests.databases import new_database

# the nightly's tasks each parse its DAG file again in a task process of their own: on two
# one-slot workers its run takes minutes, past the suite's default 600 s per test
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1500)]

# what lands before the nightly: the brands' social data and the CRM export (its customers and
# orders: without them the lifetime-value mart is empty and the marts gate stops the publish)
EXTRACTION = ("extract_x", "extract_facebook", "load_crm_export")
NIGHTLY = "social_crm_nightly"
DAGS = (*EXTRACTION, NIGHTLY)

Task = tuple[str, str, int]  # dag_id, task_id, map_index (-1: not mapped)


@dataclass
class Outcome:
    runs: dict[str, tuple[str, str]]
    tasks: dict[Task, str]
    operators: dict[Task, str]
    mapped: dict[tuple[str, str], set[str]]
    by_worker: dict[str, list[Task]]
    committed_batches: int
    published_people: int
    left_running: list[int]
    seconds: float
    logs: str


@pytest.fixture(scope="module")
def outcome(warehouse_url, airflow_db, tmp_path_factory) -> Outcome:
    folder = tmp_path_factory.mktemp("celery")
    started = time.monotonic()
    ensure_manifest()  # the nightly's Cosmos groups render from it when its file is parsed
    with new_database(warehouse_url) as database, wired_world(database, folder) as wiring:
        cluster = CeleryCluster(folder, DAGS, wiring, held=(NIGHTLY,))
        try:
            cluster.start()
            cluster.wait_for_dags(timeout=180)
            runs = cluster.wait_for_runs(timeout=300, dag_ids=EXTRACTION)
            cluster.release(NIGHTLY)  # its run of the latest night, on what they landed
            runs |= cluster.wait_for_runs(timeout=1000, dag_ids=(NIGHTLY,))
            tasks = cluster.task_states(runs)
            operators = cluster.operators(runs)
            mapped = cluster.mapped_names(runs)
            by_worker = {name: cluster.tasks_run_by(name, runs) for name in cluster.workers}
            logs = cluster.log_tails()
        finally:
            left_running = cluster.stop()
        with psycopg.connect(database.libpq()) as conn:
            (committed,) = conn.execute(
                "select count(*) from meta.load_batches where status = 'committed'"
            ).fetchone()
            # nothing published (the nightly failed or did not end in time): no marts.people
            published = conn.execute("select to_regclass('marts.people')").fetchone()[0]
            (people,) = (
                conn.execute("select count(*) from marts.people").fetchone() if published else (0,)
            )
    return Outcome(
        runs,
        tasks,
        operators,
        mapped,
        by_worker,
        committed,
        people,
        left_running,
        time.monotonic() - started,
        logs,
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
    assert len(executed) == len(set(executed)), outcome.by_worker


def test_every_task_but_an_empty_one_runs_on_a_worker(outcome):
    """The scheduler marks an EmptyOperator (Cosmos's `dbt_producer_watcher_done`) done without
    sending it to a worker; every other task instance ran on one."""
    executed = {task for tasks in outcome.by_worker.values() for task in tasks}
    unsent = {task: outcome.operators[task] for task in outcome.tasks if task not in executed}
    assert set(unsent.values()) <= {"EmptyOperator"}, unsent


def test_each_brand_has_a_mapped_extraction_task_named_by_it(outcome):
    brands = {b.key for b in BRANDS}
    assert outcome.mapped[("extract_x", "mentions_and_replies")] == brands
    assert outcome.mapped[("extract_facebook", "posts_comments_reactions")] == brands


def test_mapped_extraction_instances_run_on_both_workers(outcome):
    """The brands' instances spread: each worker ran at least one of them."""
    ran = {
        worker
        for worker, tasks in outcome.by_worker.items()
        for dag_id, _, index in tasks
        if dag_id in EXTRACTION and index >= 0
    }
    assert ran == set(outcome.by_worker), outcome.by_worker


def test_the_nightly_runs_on_both_workers(outcome):
    ran = {
        worker
        for worker, tasks in outcome.by_worker.items()
        for dag_id, _, _ in tasks
        if dag_id == NIGHTLY
    }
    assert ran == set(outcome.by_worker), outcome.by_worker


def test_the_tasks_land_into_the_warehouse(outcome):
    extraction = [t for t in outcome.tasks if t[0] in EXTRACTION and t[2] >= 0]
    assert outcome.committed_batches >= len(extraction)


def test_the_nightly_publishes_the_marts(outcome):
    assert outcome.published_people > 0


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
