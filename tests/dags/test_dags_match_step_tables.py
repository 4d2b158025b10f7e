"""Each DAG is its step table: the same steps, dependencies, retries, pools and dbt selections,
its documentation listing the steps in the table's order, and its dbt builds given the run's
as-of time by the one rule (transform/as_of.py)."""

from __future__ import annotations

import copy
import subprocess
import sys
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from social_crm.orchestration.pipelines import PIPELINES
from social_crm.transform import cosmos_adapter
from social_crm.transform.cosmos_groups import is_producer_task, prepare_dbt
from social_crm.transform.dbt_runner import AS_OF_ENV

BY_DAG = [pytest.param(pipeline, id=pipeline.dag_id) for pipeline in PIPELINES]


def _step_of(task_id):
    """The step a task belongs to: itself, or the dbt step whose task group holds it."""
    return task_id.partition(".")[0]


@pytest.mark.parametrize("pipeline", BY_DAG)
def test_each_dag_has_the_steps_and_dependencies_of_its_table(dagbag, pipeline):
    dag = dagbag.dags[pipeline.dag_id]
    assert {_step_of(task_id) for task_id in dag.task_ids} == set(pipeline.names())
    between_steps = {
        (_step_of(upstream), _step_of(task.task_id))
        for task in dag.tasks
        for upstream in task.upstream_task_ids
        if _step_of(upstream) != _step_of(task.task_id)
    }
    assert between_steps == {(need, step.name) for step in pipeline.steps for need in step.needs}


@pytest.mark.parametrize("pipeline", BY_DAG)
def test_each_task_has_the_retries_pool_and_outlets_of_its_step(dagbag, pipeline):
    dag = dagbag.dags[pipeline.dag_id]
    for step in pipeline.steps:
        if step.call is None:
            continue
        task = dag.get_task(step.name)
        if step.retries is not None:
            assert task.retries == step.retries, step.name
        for argument, value in step.task.items():
            assert getattr(task, argument) == value, (step.name, argument)
        assert [asset.name for asset in task.outlets] == list(step.outlets), step.name


@pytest.mark.parametrize("pipeline", BY_DAG)
def test_each_dbt_group_builds_its_steps_selection(dagbag, pipeline):
    dag = dagbag.dags[pipeline.dag_id]
    for step in pipeline.steps:
        if step.dbt is None:
            continue
        (producer,) = [
            t for t in dag.tasks if is_producer_task(t) and t.task_id.startswith(f"{step.name}.")
        ]
        select, exclude, indirect = cosmos_adapter.build_selection(producer)
        assert (select, exclude) == (list(step.dbt.select), list(step.dbt.exclude))
        assert indirect == step.dbt.indirect_selection
        assert "--resource-type" not in cosmos_adapter.build_flags(producer)  # tests included


@pytest.mark.parametrize("pipeline", BY_DAG)
def test_each_dags_documentation_lists_its_steps_in_the_tables_order(dagbag, pipeline):
    doc = dagbag.dags[pipeline.dag_id].doc_md
    listed = [line for line in doc.splitlines() if line[:1].isdigit() and ". `" in line]
    assert [line.split("`")[1] for line in listed] == pipeline.names()
    for number, (line, step) in enumerate(zip(listed, pipeline.steps, strict=True), 1):
        assert line.startswith(f"{number}. `{step.name}`")
        assert " ".join(step.doc.split()) in line


def test_no_task_carries_an_as_of_template_of_its_own(dagbag):
    templated = [
        task.task_id
        for dag in dagbag.dags.values()
        for task in dag.tasks
        if "{{" in str((getattr(task, "env", None) or {}).get(AS_OF_ENV, ""))
    ]
    assert templated == []


@pytest.mark.parametrize(
    ("interval_end", "run_after"),
    [
        (datetime(2026, 1, 11, tzinfo=UTC), datetime(2026, 1, 11, 2, tzinfo=UTC)),
        (None, datetime(2026, 1, 12, 2, 5, tzinfo=UTC)),
    ],
    ids=["scheduled", "asset-triggered"],
)
def test_a_dbt_task_builds_as_of_the_runs_as_of_time(dagbag, monkeypatch, interval_end, run_after):
    from social_crm.transform.dbt_runner import dbt_env

    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://u@db.example:5432/crm")
    for name, value in dbt_env().items():  # (set by the hook: restored after the test)
        monkeypatch.setenv(name, value)
    dag = dagbag.dags["social_crm_nightly"]
    for task_id in ("dbt_marts.dbt_producer_watcher", "dbt_marts.people_run"):
        task = copy.copy(dag.get_task(task_id))
        context = {
            "task": task,
            "data_interval_end": interval_end,
            "dag_run": SimpleNamespace(run_after=run_after),
        }
        prepare_dbt(context)
        assert task.env[AS_OF_ENV] == (interval_end or run_after).isoformat(), task_id


def test_reading_the_step_tables_imports_no_database_dbt_or_cosmos_code():
    """DAG files read the tables at parse time: the functions they name load when a step runs."""
    probe = (
        "import sys, social_crm.orchestration.pipelines, social_crm.orchestration.steps;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dbt', 'psycopg', 'pandas',"
        " 'cosmos', 'sqlalchemy', 'great_expectations', 'airflow'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
