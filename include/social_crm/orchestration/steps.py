"""A pipeline as a table of steps, and the one way to run it in one process.

Each pipeline (pipelines.py) is written once, as a `Pipeline` of `Step`s: a step's name (its
task id in the DAG), what it calls (or the dbt selection it builds), what it needs before it,
its retries and the Airflow-only details of its task. Its DAG renders tasks from the table
(dag_tasks.py), and `run` runs the same table in order in one process (the command line, the
demo, the bench, the tests, the full-refresh DAG's one task).

Light on purpose: DAG files read the tables at parse time. A step's function is named as
`module:function` and imported only when the step runs.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from social_crm.transform.dbt_selections import Selection

log = logging.getLogger(__name__)

Interval = tuple[datetime | None, datetime | None]
# what a run gives the steps that ask for it (Step.inputs)
INPUTS = ("as_of", "full_refresh", "interval")


@dataclass(frozen=True)
class Inputs:
    """What one run gives its steps: the moment it describes (transform/as_of.py; None:
    when the step starts), whether incremental models are rebuilt from scratch, and the
    extraction interval of the live walks."""

    as_of: datetime | None = None
    full_refresh: bool = False
    interval: Interval = (None, None)


@dataclass(frozen=True)
class Step:
    """One step of a pipeline.

    `call` names the function (`module:function`) that does the work, called with `args` and
    the run's `inputs` it asks for; a step with no `call` is a `dbt build` of `dbt` (in the
    DAG, a Cosmos task group: one build, a task per model), which takes the run's as-of time
    and full refresh. `needs`: the steps it runs after (each one earlier in the table).
    `retries`: None keeps the DAG's default. `task`: Airflow-only arguments of its task (pool,
    trigger rule); `outlets`: the names of the Assets (assets.py) its success updates."""

    name: str
    doc: str
    call: str | None = None
    dbt: Selection | None = None
    needs: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    args: tuple[Any, ...] = ()
    retries: int | None = None
    task: Mapping[str, Any] = field(default_factory=dict)
    outlets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.call is None) == (self.dbt is None):
            raise ValueError(f"step {self.name}: give either a function to call or a dbt build")
        unknown = set(self.inputs) - set(INPUTS)
        if unknown:
            raise ValueError(f"step {self.name}: unknown inputs {sorted(unknown)}; {INPUTS}")


@dataclass(frozen=True)
class Pipeline:
    """A pipeline's steps in the order they run in one process (each after what it needs).
    `stops_on` names an exception (`module:Class`) that ends a run early without failing it:
    the command line records the step as skipped and stops; the DAG skips the task and, so,
    what follows it. `full_refresh`: its DAG rebuilds incremental models from scratch."""

    name: str
    dag_id: str
    steps: tuple[Step, ...]
    stops_on: str | None = None
    full_refresh: bool = False

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for step in self.steps:
            if step.name in seen:
                raise ValueError(f"{self.name}: two steps named {step.name}")
            missing = [need for need in step.needs if need not in seen]
            if missing:
                raise ValueError(
                    f"{self.name}: step {step.name} needs {', '.join(missing)}, which is not"
                    " an earlier step"
                )
            seen.add(step.name)

    def names(self) -> list[str]:
        return [step.name for step in self.steps]

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"{self.name} has no step {name!r}; its steps: {', '.join(self.names())}")

    def doc_md(self, intro: str) -> str:
        """The DAG's documentation: `intro` (the DAG file's docstring), then the steps."""
        lines = [intro.rstrip(), "", "#### Steps", ""]
        previous: tuple[str, ...] = ()
        for number, step in enumerate(self.steps, 1):
            notes = ["dbt task group"] if step.dbt is not None else []
            if step.needs and step.needs != previous:
                notes.append(f"after {', '.join(f'`{need}`' for need in step.needs)}")
            shown = f" ({', '.join(notes)})" if notes else ""
            doc = " ".join(step.doc.split())
            lines.append(f"{number}. `{step.name}`{shown}: {doc}")
            previous = (step.name,)
        return "\n".join(lines) + "\n"


def resolve(reference: str) -> Any:
    """The object `module:name` names, imported now."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def call(step: Step, inputs: Inputs) -> object:
    """Run one step with what the run gives it; a dbt step returns its DbtResult."""
    if step.call is None:
        from social_crm.transform import dbt_runner

        assert step.dbt is not None  # Step checks one of the two is given
        return dbt_runner.build(step.dbt, full_refresh=inputs.full_refresh, as_of=inputs.as_of)
    kwargs = {name: getattr(inputs, name) for name in step.inputs}
    return resolve(step.call)(*step.args, **kwargs)


def stops_quietly(pipeline: Pipeline, exc: BaseException) -> bool:
    """Whether `exc` ends a run of `pipeline` early without failing it."""
    return pipeline.stops_on is not None and isinstance(exc, resolve(pipeline.stops_on))


def run(
    pipeline: Pipeline,
    inputs: Inputs | None = None,
    progress: Callable[[str, float, object], None] | None = None,
    until: str | None = None,
) -> dict[str, object]:
    """Every step of `pipeline` in order (up to and including `until`), in this process;
    `progress(step, seconds, result)` is called as each step ends. Returns each step's result
    (a dbt step's: its summary), under "step_seconds" how long each took and under
    "dbt_node_seconds" how long each dbt model, seed and test took."""
    from social_crm.transform.dbt_runner import DbtResult

    inputs = inputs or Inputs()
    if until is not None:
        pipeline.step(until)  # a name it does not have fails before anything runs
    results: dict[str, object] = {}
    seconds: dict[str, float] = {}
    node_seconds: dict[str, float] = {}
    for step in pipeline.steps:
        began = time.monotonic()
        try:
            result = call(step, inputs)
        except Exception as exc:
            if not stops_quietly(pipeline, exc):
                raise
            log.warning("%s: %s", pipeline.name, exc)
            results[step.name] = f"skipped: {exc}"
            break
        if isinstance(result, DbtResult):
            node_seconds.update(result.seconds)
            result = result.summary()
        results[step.name] = result
        seconds[step.name] = round(time.monotonic() - began, 2)
        log.info("%s step %s: %.1fs", pipeline.name, step.name, seconds[step.name])
        if progress is not None:
            progress(step.name, seconds[step.name], result)
        if step.name == until:
            break
    results["step_seconds"] = seconds
    results["dbt_node_seconds"] = node_seconds
    return results
