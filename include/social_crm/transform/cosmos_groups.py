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

Every use of Cosmos goes through cosmos_adapter.py (which checks the installed version); the
group's selection is a `dbt_selections.Selection`, the one `dbt_runner.build` builds in process;
its as-of time is the run's (transform/as_of.py), set as each task starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from social_crm.paths import dbt_project_dir
from social_crm.transform.dbt_manifest import ensure_manifest, load_manifest
from social_crm.transform.dbt_selections import Selection

# how long a model task waits for the producer's result of its model before it fails (the
# producer is upstream, so the result is there at the first look unless the producer died)
_RESULT_WAIT = timedelta(minutes=5)


def prepare_dbt(context: Any) -> None:
    """pre_execute hook, in the task's process just before dbt runs: point profiles.yml at the
    warehouse WAREHOUSE_URL names; give the build the run's as-of time (macros/as_of.sql;
    transform/as_of.py); dbt's flag source lookup made fast (dbt_flag_source)."""
    import os

    from social_crm.transform import as_of, dbt_flag_source
    from social_crm.transform.dbt_runner import as_of_env, dbt_env

    os.environ.update(dbt_env())
    task = context["task"]
    task.env = {**(task.env or {}), **as_of_env(as_of.of_context(context))}
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
    """Whether `task` runs its group's `dbt build` (Cosmos' producer)."""
    from social_crm.transform import cosmos_adapter

    return cosmos_adapter.is_producer(task)


def _tests_the_build_runs(producer: Any) -> dict[str, list[str]]:
    """Cosmos maps each test to every model it tests, counting a relationship test to a model
    of a later group, which this group's build does not run: keep the tests whose parents are
    all built by this group or before it (the node's task reports those)."""
    from social_crm.transform import cosmos_adapter

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
        for model, tests in cosmos_adapter.tests_per_model(producer).items()
    }


def _nodes_failed_unreported(producer: Any, result: Any) -> list[str]:
    """The failed nodes of a `dbt build` that no task of the group reports."""
    from social_crm.transform import cosmos_adapter
    from social_crm.transform.cosmos_watchers import FAILED_STATUSES

    reported = {getattr(task, "model_unique_id", None) for task in _tasks(producer.task_group)}
    reported |= {t for tests in cosmos_adapter.tests_per_model(producer).values() for t in tests}
    failed = [
        node.node.unique_id for node in result.result.results if node.status in FAILED_STATUSES
    ]
    return [node for node in failed if node not in reported]


def _keys_the_tasks_read(producer: Any) -> set[str]:
    """The XCom keys the group's tasks read: each node's status, dbt event, compiled SQL, its
    outcome (rows affected) and its tests' results."""
    from social_crm.transform import cosmos_adapter
    from social_crm.transform.cosmos_watchers import outcome_key, results_of_tests_key

    keys = {cosmos_adapter.STARTUP_EVENTS_KEY}
    for task in _tasks(producer.task_group):
        node = getattr(task, "model_unique_id", None)
        if node is not None:
            keys |= cosmos_adapter.node_xcom_keys(node)
            keys |= {results_of_tests_key(node), outcome_key(node)}
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


def outcomes(result: Any) -> dict[str, dict]:
    """Per model, seed and snapshot of a `dbt build`'s result (dbtRunnerResult), what its task
    logs of it (`cosmos_watchers.outcome`: status, rows affected)."""
    from social_crm.transform.cosmos_watchers import outcome

    return {
        node.node.unique_id: outcome(node)
        for node in getattr(result.result, "results", None) or []
        if node.node.resource_type != "test"
    }


def _push_results_once(producer: Any) -> None:
    """Run dbt with the XComs of its events kept in memory, then push the last value of each
    key a task of the group reads, each node's outcome (`cosmos_watchers.outcome_key`) and its
    tests' results (`cosmos_watchers.results_of_tests_key`). Cosmos pushes an XCom per dbt
    event of every node from dbt's threads, under one lock: at our size that tripled the time
    of a `dbt build` (the model tasks run after the producer and read only the last value)."""
    from social_crm.transform import cosmos_adapter
    from social_crm.transform.cosmos_watchers import outcome_key, results_of_tests_key

    def run_once(run: Any, command: list[str], env: dict[str, str], cwd: str, **kwargs: Any) -> Any:
        context = kwargs.get("context")
        if context is None or context.get("_check_source_freshness"):
            return run(command, env, cwd, **kwargs)
        deferred = cosmos_adapter.TaskInstanceStandIn(context["ti"], _keys_the_tasks_read(producer))
        result = None
        try:
            result = run(command, env, cwd, **{**kwargs, "context": {**context, "ti": deferred}})
            return result
        finally:
            if result is not None:
                tests = cosmos_adapter.tests_per_model(producer)
                for node, results in results_of_tests(tests, result).items():
                    deferred.values[results_of_tests_key(node)] = results
                for node, reported in outcomes(result).items():
                    deferred.values[outcome_key(node)] = reported
            deferred.flush()

    cosmos_adapter.wrap_dbt_runner(producer, run_once)


def _leave_node_failures_to_their_tasks(producer: Any) -> None:
    """The producer succeeds when dbt ran and every node that failed has a task of its own that
    reports the failure (it then fails and is retried alone); it fails when dbt itself did not
    run through (a dbt error, a lost connection) or a failed node has no task."""
    from social_crm.transform import cosmos_adapter
    from social_crm.transform.cosmos_watchers import FAILED_STATUSES

    def handle(result: Any) -> None:
        if result.success or result.exception is not None:
            cosmos_adapter.raise_for_result(result)
            return
        if _nodes_failed_unreported(producer, result):
            cosmos_adapter.raise_for_result(result)
        names, messages = cosmos_adapter.messages_by_status(result, list(FAILED_STATUSES))
        producer.log.error(
            "dbt build finished with failures, each reported by its node's task: %s",
            "; ".join(f"{name}: {message}" for name, message in zip(names, messages, strict=True)),
        )

    cosmos_adapter.on_dbt_result(producer, handle)


def dbt_task_group(group_id: str, selection: Selection, **group_args: Any) -> Any:
    """A cosmos DbtTaskGroup over the nodes of `selection` (dbt_selections): one `dbt build`,
    one task per node reporting its result and its tests'."""
    from social_crm.transform import cosmos_adapter as cosmos
    from social_crm.transform.cosmos_watchers import REPORTING_CLASS

    project = dbt_project_dir()
    execution: dict[str, Any] = {}
    if selection.indirect_selection is not None:
        # the tests of the group's models whose other parents are built (dbt_selections)
        execution = {
            "test_indirect_selection": cosmos.TestIndirectSelection(selection.indirect_selection),
            "setup_operator_args": {"indirect_selection": selection.indirect_selection},
        }
    group = cosmos.DbtTaskGroup(
        group_id=group_id,
        project_config=cosmos.ProjectConfig(
            dbt_project_path=project,
            manifest_path=ensure_manifest(),
            project_name="social_crm",
            install_dbt_deps=False,
        ),
        profile_config=cosmos.ProfileConfig(
            profile_name="social_crm",
            target_name="warehouse",
            profiles_yml_filepath=project / "profiles.yml",
        ),
        execution_config=cosmos.ExecutionConfig(
            execution_mode=cosmos.ExecutionMode.WATCHER,
            invocation_mode=cosmos.InvocationMode.DBT_RUNNER,
            **execution,
        ),
        render_config=cosmos.RenderConfig(
            load_method=cosmos.LoadMode.DBT_MANIFEST,
            select=list(selection.select),
            exclude=list(selection.exclude),
            # each node's task reports its tests too (cosmos_watchers.py)
            test_behavior=cosmos.TestBehavior.NONE,
            emit_datasets=False,
        ),
        operator_args={
            # the warehouse and the run's as-of time, set as each task starts
            "pre_execute": prepare_dbt,
            # the model tasks look once and, the producer being done, need no triggerer
            "deferrable": False,
            "poke_interval": 5,
            "timeout": _RESULT_WAIT.total_seconds(),
        },
        **group_args,
    )
    tasks = list(_tasks(group))
    producer = next(task for task in tasks if is_producer_task(task))
    producer.retries = 0
    cosmos.build_with_tests(producer)
    cosmos.set_tests_per_model(producer, _tests_the_build_runs(producer))
    _leave_node_failures_to_their_tasks(producer)
    _push_results_once(producer)
    for task in tasks:
        reporting = REPORTING_CLASS.get(type(task))
        if reporting is not None:
            cosmos.become(task, reporting)
        if task is not producer and not task.upstream_task_ids:
            # the first nodes of the build wait for it (its `_done` gate already follows it)
            producer >> task
    return group
