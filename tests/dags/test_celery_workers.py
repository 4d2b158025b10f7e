"""The extraction DAGs run by the CeleryExecutor as docker-compose.yaml deploys it: Redis, the
API server, a DAG processor, a scheduler and two Celery workers, all real processes
(tests/dags/celery_cluster.py), against the simulator and a scratch warehouse database.

One deployment for the module: both social extraction DAGs are unpaused at once and the
scheduler starts a run of each, their per-brand tasks mapped over the world's three brands, so
that with one task slot per worker the instances spread over both. The deployment is stopped
before the tests look at what it did, so the last test can check that no process it started
is left. The nightly build run by the same deployment is `test_celery_nightly.py` (`make
eval`: its 80 task instances each parse the nightly's DAG file in a task process of their own,
minutes on two cores)."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from social_crm_dev.simulator.config import BRANDS
from tests.dags.celery_cluster import Outcome, deploy, processes_in_groups

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXTRACTION = ("extract_x", "extract_facebook")


@pytest.fixture(scope="module")
def outcome(warehouse_url, airflow_db, tmp_path_factory) -> Outcome:
    return deploy(warehouse_url, tmp_path_factory.mktemp("celery"), EXTRACTION)


def test_every_dag_run_succeeds(outcome):
    states = {dag_id: state for dag_id, (_, state) in outcome.runs.items()}
    assert states == dict.fromkeys(EXTRACTION, "success"), outcome.logs


def test_every_task_succeeds(outcome):
    assert outcome.tasks and set(outcome.tasks.values()) == {"success"}, outcome.tasks


def test_both_workers_run_tasks(outcome):
    assert all(outcome.by_worker.values()), outcome.by_worker


def test_each_task_runs_once_on_one_worker(outcome):
    executed = [task for tasks in outcome.by_worker.values() for task in tasks]
    assert len(executed) == len(set(executed)), outcome.by_worker


def test_every_task_runs_on_a_worker(outcome):
    executed = {task for tasks in outcome.by_worker.values() for task in tasks}
    assert set(outcome.tasks) <= executed, set(outcome.tasks) - executed


def test_each_brand_has_a_mapped_extraction_task_named_by_it(outcome):
    brands = {b.key for b in BRANDS}
    assert outcome.mapped[("extract_x", "mentions_and_replies")] == brands
    assert outcome.mapped[("extract_facebook", "posts_comments_reactions")] == brands


def test_mapped_extraction_instances_run_on_both_workers(outcome):
    """The brands' instances spread: each worker ran at least one of them."""
    ran = {worker for worker, tasks in outcome.by_worker.items() for _, _, i in tasks if i >= 0}
    assert ran == set(outcome.by_worker), outcome.by_worker


def test_the_tasks_land_into_the_warehouse(outcome):
    mapped = [task for task in outcome.tasks if task[2] >= 0]
    assert outcome.committed_batches >= len(mapped)


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
