"""Run a DAG once, in-process, with `dag.test()` (demo, tests, backfill of one interval).

Each task's log is also written where a worker writes it (the `log_filename_template` path
under the logs folder), so the Airflow UI shows the logs of these runs as of a scheduler's.
`run_isolated` runs it in a child process whose Airflow logs go to a file, so a terminal shows
one summary line per task instead of thousands of log lines.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from social_crm.paths import dags_dir
from social_crm_dev import airflow_env

_RESULT_MARK = "DAG_RUN_RESULT "


@dataclass
class DagRunOutcome:
    dag_id: str
    state: str
    # a mapped task's state is its instances' when they agree, else the first that is not
    # success (one failed brand is not hidden by the others); each instance in `mapped`
    tasks: dict[str, str] = field(default_factory=dict)
    run_id: str = ""
    # a mapped task's instances by their rendered name (the brand, `map_index_template`)
    mapped: dict[str, dict[str, str]] = field(default_factory=dict)
    # each task's run time as Airflow recorded it, and the run's from its start to its end
    task_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    # `run_isolated`'s: from the child process's start to its exit (Python's start, Airflow's
    # import, the DAG's parsing and the run), as a CLI command is timed
    process_seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.state == "success"


def run_in_process(
    dag_id: str,
    *,
    fail_fast: bool = True,
    tasks_from: str | None = None,
    logical_date: datetime | None = None,
) -> DagRunOutcome:
    """`dag.test()` of one DAG from our dags folder; the local Airflow env must be applied.

    `fail_fast` turns task retries off for this run: a demo or a test should report a failure
    at once instead of sleeping through retry delays (the scheduler still retries in production).
    `tasks_from` (part of a task id) runs only the matching tasks and what is downstream of
    them, like clearing those tasks in the UI. `logical_date` runs a past interval, as a backfill
    run of that date would.
    """
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags_dir()))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    if dag is None:
        raise KeyError(f"no DAG named {dag_id!r} in {dags_dir()}")
    if tasks_from:
        dag = _subset(dag, tasks_from)
        if not dag.task_dict:
            raise KeyError(f"no task of {dag_id} has {tasks_from!r} in its id")
    if fail_fast:
        for task in dag.tasks:
            task.retries = 0
    # dag.test() of a DAG with a deadline alert fails in Airflow 3.3 when the run succeeds: it
    # looks the in-memory alerts up as database ids. Deadlines are the scheduler's business
    # anyway (tests/dags/test_deadline_alert.py covers ours through the metadata database).
    dag.deadline = None
    # Cosmos runs a full garbage collection after each dbt task (cosmos.dbt.runner). In a
    # scheduler's worker a task has a process of its own; here every task shares this one,
    # whose heap (the DAG bag, and in a test session everything before) each collection walks
    # again: about 0.8 s a task (py-spy). Objects alive now are set aside for the run.
    gc.freeze()
    try:
        with _task_logs_in_files(), _runs_start_now():
            run = dag.test(logical_date=logical_date)
    finally:
        gc.unfreeze()
    instances = run.get_task_instances()
    tasks: dict[str, str] = {}
    mapped: dict[str, dict[str, str]] = {}
    for ti in sorted(instances, key=lambda ti: (ti.task_id, ti.map_index)):
        state = str(ti.state)
        if tasks.get(ti.task_id, "success") == "success":
            tasks[ti.task_id] = state
        if ti.map_index >= 0:
            name = ti.rendered_map_index or str(ti.map_index)
            mapped.setdefault(ti.task_id, {})[name] = state
    return DagRunOutcome(
        dag_id=dag_id,
        state=str(run.state),
        run_id=run.run_id,
        tasks=tasks,
        mapped=mapped,
        task_seconds={ti.task_id: ti.duration for ti in instances if ti.duration is not None},
        seconds=(run.end_date - run.start_date).total_seconds(),
    )


def _subset(dag: Any, tasks_from: str) -> Any:
    """The tasks whose id contains `tasks_from` and what is downstream of them, with the tasks
    a mapped one among them expands over (the list of brands: without it nothing maps)."""
    from airflow.sdk.definitions._internal.expandinput import (
        EXPAND_INPUT_EMPTY,
        DictOfListsExpandInput,
    )
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    subset = dag.partial_subset(tasks_from, include_downstream=True, include_upstream=False)
    ids = set(subset.task_dict)
    for task_id in list(ids):
        task = dag.task_dict[task_id]
        if isinstance(task, MappedOperator):
            ids |= {
                up
                for up in task.upstream_task_ids
                if not isinstance(dag.task_dict[up], MappedOperator)
            }
    if ids != set(subset.task_dict):
        subset = dag.partial_subset(ids, include_downstream=False, include_upstream=False)
    # the subset is a deep copy, and a copied @task's mapping loses Airflow's sentinel for "no
    # operator arguments mapped" (its arguments are mapped in op_kwargs): put it back
    for task in subset.tasks:
        expanding = getattr(task, "expand_input", None)
        if isinstance(expanding, DictOfListsExpandInput) and not expanding.value:
            object.__setattr__(task, "expand_input", EXPAND_INPUT_EMPTY)
    return subset


@contextmanager
def _runs_start_now() -> Iterator[None]:
    """`dag.test()` creates its run with the logical date as the run's start
    (apache/airflow#66127, open in Airflow 3.3): a run of the simulated world's date then
    "lasts" from that date to the wall clock's end, months in the UI. The logical date and the
    data interval say what the run describes; its start and end say when it ran: the start is
    the wall clock's, as a scheduler's run has it."""
    from airflow.models import dagrun
    from airflow.sdk import timezone

    create = dagrun.get_or_create_dagrun

    def create_started_now(**kwargs: Any) -> Any:
        return create(**{**kwargs, "start_date": timezone.utcnow()})

    dagrun.get_or_create_dagrun = create_started_now
    try:
        yield
    finally:
        dagrun.get_or_create_dagrun = create


class _TaskLogStream:
    """A binary stream for the log: this process's standard output (the one of the moment), and
    while a task runs, also that task's log file."""

    def __init__(self) -> None:
        self.file: BinaryIO | None = None

    def write(self, data: bytes) -> int:
        out = getattr(sys.stdout, "buffer", None)
        if out is not None:
            out.write(data)
        if self.file is not None:
            self.file.write(data)
        return len(data)

    def flush(self) -> None:
        out = getattr(sys.stdout, "buffer", None)
        if out is not None:
            out.flush()
        if self.file is not None:
            self.file.flush()


@contextmanager
def _task_logs_in_files() -> Iterator[None]:
    """`dag.test()` runs each task in this process and logs to the terminal only: the UI then
    finds no log ("Log file not found"). Logging goes (as JSON lines, as a worker writes them)
    to a stream that, while a task runs, also writes the file the UI reads for that task and
    try."""
    from airflow.sdk.definitions import dag as dag_module
    from airflow.sdk.log import configure_logging, init_log_file
    from airflow.utils.helpers import log_filename_template_renderer

    render = log_filename_template_renderer()
    run_task = dag_module._run_task

    def run_task_logged(*, ti: Any, task: Any, run_triggerer: bool = False) -> Any:
        with init_log_file(render(ti=ti)).open("ab") as handle:
            # a stream of its own for each task (dag.test() sets logging up again as it goes,
            # and Airflow's set-up ignores a stream it was given before); a logger that keeps
            # it writes to the terminal only once the task is done
            stream = _TaskLogStream()
            stream.file = handle
            configure_logging(json_output=True, output=stream, cache_logger_on_first_use=False)
            try:
                return run_task(ti=ti, task=task, run_triggerer=run_triggerer)
            finally:
                stream.file = None

    dag_module._run_task = run_task_logged
    try:
        yield
    finally:
        dag_module._run_task = run_task


def run_isolated(
    dag_id: str,
    log_file: Path,
    logical_date: datetime | None = None,
    env: dict[str, str] | None = None,
) -> DagRunOutcome:
    """Run `dag_id` in a child process, its full log in `log_file`; `logical_date` as in
    `run_in_process`; `env` added to the child's environment."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    child_env = {**os.environ, **airflow_env.environment(), **(env or {})}
    airflow_env.migrate_metadata_db()
    with open(log_file, "w") as handle:
        began = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "social_crm_dev.dag_runs",
                dag_id,
                *([logical_date.isoformat()] if logical_date else []),
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=child_env,
            check=False,
        )
        process_seconds = time.monotonic() - began
    for line in reversed(log_file.read_text(errors="replace").splitlines()):
        if line.startswith(_RESULT_MARK):
            found = json.loads(line[len(_RESULT_MARK) :])
            return DagRunOutcome(**{**found, "process_seconds": process_seconds})
    return DagRunOutcome(dag_id=dag_id, state=f"crashed (exit {proc.returncode})")


def main() -> None:
    airflow_env.apply_environment()
    logical_date = datetime.fromisoformat(sys.argv[2]) if len(sys.argv) > 2 else None
    outcome = run_in_process(sys.argv[1], logical_date=logical_date)
    print(_RESULT_MARK + json.dumps(asdict(outcome)), flush=True)
    sys.exit(0 if outcome.succeeded else 1)


if __name__ == "__main__":
    main()
