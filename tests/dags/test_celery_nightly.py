"""The nightly build run by the CeleryExecutor as docker-compose.yaml deploys it, after the
extraction it builds from (tests/dags/celery_cluster.py `deploy`): the social extraction DAGs
and the CRM export's (its customers and orders: without them the lifetime-value mart is empty
and the marts gate stops the publish) are unpaused at once; once they have landed, the nightly
(`social_crm_nightly`, held paused until then) is released: the scheduler starts its run of
the latest night, which builds, validates and publishes what they landed, its tasks spread
over two one-slot workers.

`make eval` only (`eval_only`): the nightly has 80 task instances (a Cosmos group's producer
and one task per model and seed), each parsing the nightly's DAG file in a task process of its
own on a worker (its Cosmos render: about 3 s of wall time each at load 14); on two cores that
is minutes, more than `make test`'s whole budget allows one module. `test_celery_workers.py`
keeps the extraction on both workers in `make test`."""

from __future__ import annotations

import pytest

from tests.dags.celery_cluster import Outcome, deploy

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.eval_only,
    pytest.mark.timeout(1500),
]

EXTRACTION = ("extract_x", "extract_facebook", "load_crm_export")
NIGHTLY = "social_crm_nightly"


@pytest.fixture(scope="module")
def outcome(warehouse_url, airflow_db, tmp_path_factory) -> Outcome:
    outcome = deploy(warehouse_url, tmp_path_factory.mktemp("celery"), EXTRACTION, NIGHTLY)
    print(f"celery nightly deployment: {outcome.seconds:.0f} s, {len(outcome.tasks)} tasks")
    return outcome


def test_every_dag_run_succeeds(outcome):
    states = {dag_id: state for dag_id, (_, state) in outcome.runs.items()}
    assert states == dict.fromkeys((*EXTRACTION, NIGHTLY), "success"), outcome.logs


def test_every_task_succeeds(outcome):
    assert outcome.tasks and set(outcome.tasks.values()) == {"success"}, outcome.tasks


def test_each_task_runs_once_on_one_worker(outcome):
    executed = [task for tasks in outcome.by_worker.values() for task in tasks]
    assert len(executed) == len(set(executed)), outcome.by_worker


def test_every_task_but_an_empty_one_runs_on_a_worker(outcome):
    """The scheduler marks an EmptyOperator (Cosmos's `dbt_producer_watcher_done`) done without
    sending it to a worker; every other task instance ran on one."""
    executed = {task for tasks in outcome.by_worker.values() for task in tasks}
    unsent = {task: outcome.operators[task] for task in outcome.tasks if task not in executed}
    assert set(unsent.values()) <= {"EmptyOperator"}, unsent


def test_the_nightly_runs_on_both_workers(outcome):
    ran = {
        worker
        for worker, tasks in outcome.by_worker.items()
        for dag_id, _, _ in tasks
        if dag_id == NIGHTLY
    }
    assert ran == set(outcome.by_worker), outcome.by_worker


def test_the_nightly_publishes_the_marts(outcome):
    assert outcome.published_people > 0


def test_no_process_is_left_after_stop(outcome):
    assert outcome.left_running == []
