"""Airflow task groups for the dbt project, rendered by astronomer-cosmos.

One `run` and one `test` task per model (a `seed` task per seed), so the Airflow UI shows which
model failed and a model can be retried alone. Rendering reads the dbt manifest (no `dbt ls` at
DAG parse time). Models and seeds are retried (a dropped connection heals); tests are not: a
failed data test is a finding, and retrying it only delays the alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from social_crm.paths import dbt_project_dir
from social_crm.transform.dbt_manifest import ensure_manifest


def _use_warehouse(context: Any) -> None:  # noqa: ARG001 - Airflow passes the task context
    """pre_execute hook, in the task's process just before dbt runs: point profiles.yml at the
    warehouse WAREHOUSE_URL names; dbt's flag source lookup made fast (dbt_flag_source)."""
    import os

    from social_crm.transform import dbt_flag_source
    from social_crm.transform.dbt_runner import dbt_env

    os.environ.update(dbt_env())
    dbt_flag_source.apply()


def _tasks(group: Any) -> Iterator[Any]:
    from airflow.sdk import TaskGroup

    for child in group.children.values():
        if isinstance(child, TaskGroup):
            yield from _tasks(child)
        else:
            yield child


def is_test_task(task: Any) -> bool:
    from cosmos.operators.local import DbtTestLocalOperator

    return isinstance(task, DbtTestLocalOperator)


def dbt_task_group(group_id: str, select: Iterable[str], **group_args: Any) -> Any:
    """A cosmos DbtTaskGroup over the nodes `select` picks (dbt selector syntax)."""
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import (
        ExecutionMode,
        InvocationMode,
        LoadMode,
        TestBehavior,
        TestIndirectSelection,
    )

    project = dbt_project_dir()
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=project,
            manifest_path=ensure_manifest(),
            project_name="social_crm",
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name="social_crm",
            target_name="warehouse",
            profiles_yml_filepath=project / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
            # a model's test task runs the tests of that model only, not a relationship test
            # of a downstream model that is not built yet
            test_indirect_selection=TestIndirectSelection.CAUTIOUS,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=list(select),
            test_behavior=TestBehavior.AFTER_EACH,
            emit_datasets=False,
        ),
        operator_args={
            "pre_execute": _use_warehouse,
            "install_deps": False,
            # the moment the build describes (macros/as_of.sql): the run's data interval end;
            # a run an asset update triggered has no interval: when it was due to run
            "vars": {
                "as_of": "{{ data_interval_end if data_interval_end is defined"
                " and data_interval_end else dag_run.run_after }}"
            },
        },
        **group_args,
    )
    for task in _tasks(group):
        if is_test_task(task):
            task.retries = 0
    return group
