"""Airflow task groups for the dbt project, rendered by astronomer-cosmos in WATCHER mode.

Each group runs **one** `dbt build` of its selection, tests included (the producer task
`dbt_producer_watcher`: one dbt start-up, dbt's own ordering and threads) and shows one task per
model (`<model>_run`) and per seed (`<seed>_seed`) that reports that node's result and then its
data tests' results, with its dbt log lines, from what the producer recorded
(cosmos_watchers.py: a separate `test` task per model doubled the tasks a run pays for). So
the Airflow UI says which model failed while the build costs what one `dbt build` costs (the
per-model LOCAL mode started dbt once per task: most of a nightly's time at demo size).

A failed model or test fails its node's task (the producer succeeds when dbt ran through and
every failure has a task that reports it), and what depends on it does not run. Retries rerun
only what failed: the producer is not retried (a second whole build is not what a failed model
needs); a failed model's task is, and its retry runs `dbt build` of that model and its tests.
A failed test fails its model's task without a retry: a failed data test is a finding.

The producer runs first and the model tasks after it (Cosmos' own order for a whole-DAG
render): a model task then reads a result that is already there, under a scheduler as under
`dag.test()`, which runs one task at a time and would otherwise wait on a task that cannot
start. Rendering reads the dbt manifest (no `dbt ls` at DAG parse time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from social_crm.paths import dbt_project_dir
from social_crm.transform.dbt_manifest import ensure_manifest, load_manifest
from social_crm.transform.dbt_selections import INDIRECT_SELECTION

# how long a model task waits for the producer's result of its model before it fails (the
# producer is upstream, so the result is there at the first look unless the producer died)
_RESULT_WAIT = timedelta(minutes=5)
# the statuses of a dbt node that failed
FAILED_STATUSES = ("error", "fail", "runtime error")


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


def model_of_task(task_id: str) -> str | None:
    """The dbt model a task of a group reports, by the id Cosmos gives it:
    `<group>.<model>_run`; None for any other task."""
    group, _, name = task_id.partition(".")
    if group.startswith("dbt_") and name.endswith("_run") and "." not in name:
        return name.removesuffix("_run")
    return None


def is_producer_task(task: Any) -> bool:
    from cosmos.operators.watcher import DbtProducerWatcherOperator

    return isinstance(task, DbtProducerWatcherOperator)


def _tests_the_build_runs(producer: Any) -> dict[str, list[str]]:
    """Cosmos maps each test to every model it tests, counting a relationship test to a model
    of a later group, which this group's build does not run: keep the tests whose parents are
    all built by this group or before it (the node's task reports those)."""
    manifest = load_manifest()
    group = {getattr(task, "model_unique_id", None) for task in _tasks(producer.task_group)}
    built = set(group)
    pending = list(group - {None})
    while pending:
        for parent in manifest["parent_map"].get(pending.pop(), ()):
            if parent not in built:
                built.add(parent)
                pending.append(parent)
    return {
        model: [
            test for test in tests if set(manifest["nodes"][test]["depends_on"]["nodes"]) <= built
        ]
        for model, tests in producer.tests_per_model.items()
    }


def _nodes_failed_unreported(producer: Any, result: Any) -> list[str]:
    """The failed nodes of a `dbt build` that no task of the group reports."""
    reported = {getattr(task, "model_unique_id", None) for task in _tasks(producer.task_group)}
    reported |= {test for tests in producer.tests_per_model.values() for test in tests}
    failed = [
        node.node.unique_id for node in result.result.results if node.status in FAILED_STATUSES
    ]
    return [node for node in failed if node not in reported]


class _XcomsAtTheEnd:
    """Stands in for the producer's task instance while dbt runs. Cosmos pushes an XCom per
    dbt event of every node from dbt's threads, under one lock: at our size that tripled the
    time of a `dbt build` (the model tasks run after the producer and read only the last
    value). Here the values wait in memory, the last one per key, and `flush` pushes those of
    the group's tasks once dbt is done."""

    def __init__(self, ti: Any, read_keys: set[str]) -> None:
        self._ti = ti
        # Cosmos' reliable retry writes its whole backup to a Variable on every push; the
        # backup (kept in memory, written if the producer fails) serves a producer retry,
        # which is off here
        self._cosmos_xcom_persist_incrementally = False
        self._read_keys = read_keys
        self.values: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.values[key] = value

    def xcom_pull(self, task_ids: Any = None, key: str = "return_value", **kwargs: Any) -> Any:
        if key in self.values:
            return self.values[key]
        return self._ti.xcom_pull(task_ids, key=key, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ti, name)

    def flush(self) -> None:
        for key, value in self.values.items():
            if key in self._read_keys:
                self._ti.xcom_push(key=key, value=value)


def _keys_the_tasks_read(producer: Any) -> set[str]:
    """The XCom keys the group's tasks read: each node's status, dbt event, compiled SQL and
    its tests' results."""
    from cosmos.constants import _DBT_STARTUP_EVENTS_XCOM_KEY
    from cosmos.operators._watcher.state import (
        get_compiled_sql_xcom_key,
        get_dbt_event_xcom_key,
        get_status_xcom_key,
    )

    from social_crm.transform.cosmos_watchers import results_of_tests_key

    keys = {_DBT_STARTUP_EVENTS_XCOM_KEY}
    for task in _tasks(producer.task_group):
        node = getattr(task, "model_unique_id", None)
        if node is not None:
            keys |= {
                get_status_xcom_key(node),
                get_dbt_event_xcom_key(node),
                get_compiled_sql_xcom_key(node),
                results_of_tests_key(node),
            }
    return keys


def results_of_tests(tests_per_model: dict[str, list[str]], result: Any) -> dict[str, list[dict]]:
    """Per node, the results of its tests in a `dbt build`'s result (dbtRunnerResult), in the
    order they ran: the test's name, its status and dbt's message."""
    by_test = {
        node.node.unique_id: node
        for node in getattr(result.result, "results", None) or []
        if node.node.resource_type == "test"
    }
    return {
        model: [
            {
                "test": by_test[test].node.name,
                "status": str(by_test[test].status),
                "message": by_test[test].message,
            }
            for test in tests
            if test in by_test
        ]
        for model, tests in tests_per_model.items()
    }


def _push_results_once(producer: Any) -> None:
    """Run dbt with the XComs of its events kept in memory (`_XcomsAtTheEnd`); then push each
    node's tests' results (`cosmos_watchers.results_of_tests_key`)."""
    from social_crm.transform.cosmos_watchers import results_of_tests_key

    run = producer.run_dbt_runner

    def run_dbt_runner(command: list[str], env: dict[str, str], cwd: str, **kwargs: Any) -> Any:
        context = kwargs.get("context")
        if context is None or context.get("_check_source_freshness"):
            return run(command, env, cwd, **kwargs)
        deferred = _XcomsAtTheEnd(context["ti"], _keys_the_tasks_read(producer))
        result = None
        try:
            result = run(command, env, cwd, **{**kwargs, "context": {**context, "ti": deferred}})
            return result
        finally:
            if result is not None:
                for node, tests in results_of_tests(producer.tests_per_model, result).items():
                    deferred.values[results_of_tests_key(node)] = tests
            deferred.flush()

    producer.run_dbt_runner = run_dbt_runner


def _leave_node_failures_to_their_tasks(producer: Any) -> None:
    """The producer succeeds when dbt ran and every node that failed has a task of its own that
    reports the failure (it then fails and is retried alone); it fails when dbt itself did not
    run through (a dbt error, a lost connection) or a failed node has no task."""
    from cosmos.dbt import runner

    def handle(result: Any) -> None:
        if result.success or result.exception is not None:
            runner.handle_exception_if_needed(result)
            return
        unreported = _nodes_failed_unreported(producer, result)
        if unreported:
            runner.handle_exception_if_needed(result)
        names, messages = runner.extract_message_by_status(result, list(FAILED_STATUSES))
        producer.log.error(
            "dbt build finished with failures, each reported by its node's task: %s",
            "; ".join(f"{name}: {message}" for name, message in zip(names, messages, strict=True)),
        )

    producer.handle_exception_dbt_runner = handle


def dbt_task_group(
    group_id: str, select: Iterable[str], exclude: Iterable[str] = (), **group_args: Any
) -> Any:
    """A cosmos DbtTaskGroup over the nodes `select` picks and `exclude` leaves out (dbt
    selector syntax): one `dbt build`, one task per node reporting its result."""
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import (
        ExecutionMode,
        InvocationMode,
        LoadMode,
        TestBehavior,
        TestIndirectSelection,
    )

    from social_crm.transform.cosmos_watchers import REPORTING_CLASS
    from social_crm.transform.dbt_runner import AS_OF_ENV

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
            execution_mode=ExecutionMode.WATCHER,
            invocation_mode=InvocationMode.DBT_RUNNER,
            # the tests of the group's models whose other parents are built (dbt_selections)
            test_indirect_selection=TestIndirectSelection(INDIRECT_SELECTION),
            setup_operator_args={"indirect_selection": INDIRECT_SELECTION},
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=list(select),
            exclude=list(exclude),
            # each node's task reports its tests too (cosmos_watchers.py)
            test_behavior=TestBehavior.NONE,
            emit_datasets=False,
        ),
        operator_args={
            "pre_execute": _use_warehouse,
            # the model tasks look once and, the producer being done, need no triggerer
            "deferrable": False,
            "poke_interval": 5,
            "timeout": _RESULT_WAIT.total_seconds(),
            # the moment the build describes (macros/as_of.sql): the run's data interval end;
            # a run an asset update triggered has no interval: when it was due to run
            "env": {
                AS_OF_ENV: "{{ data_interval_end if data_interval_end is defined"
                " and data_interval_end else dag_run.run_after }}"
            },
        },
        **group_args,
    )
    tasks = list(_tasks(group))
    producer = next(task for task in tasks if is_producer_task(task))
    producer.retries = 0
    # without test tasks Cosmos leaves the tests out of the producer's build: put them back
    producer.dbt_cmd_flags = _without_resource_types(producer.dbt_cmd_flags)
    producer.tests_per_model = _tests_the_build_runs(producer)
    _leave_node_failures_to_their_tasks(producer)
    _push_results_once(producer)
    for task in tasks:
        reporting = REPORTING_CLASS.get(type(task))
        if reporting is not None:
            task.__class__ = reporting
        if task is not producer and not task.upstream_task_ids:
            # the first nodes of the build wait for it (its `_done` gate already follows it)
            producer >> task
    return group


def _without_resource_types(flags: list[str] | None) -> list[str]:
    """`flags` less each `--resource-type <type>` pair."""
    kept: list[str] = []
    skip = False
    for flag in flags or []:
        if skip:
            skip = False
        elif flag == "--resource-type":
            skip = True
        else:
            kept.append(flag)
    return kept
