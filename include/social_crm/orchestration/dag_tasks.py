"""A pipeline's step table (pipelines.py) rendered as Airflow tasks: a DAG file calls
`render(pipeline)` inside its `@dag` function and nothing else.

A step that calls a function becomes one Python task with the step's name, retries, pool and
outlets; it calls the function with the run's inputs (the as-of time from transform/as_of.py,
the live walks' interval ending there, the pipeline's full refresh); a step whose outlet is an
extraction alias (`assets.LANDED`) updates the raw tables its batches changed, and only those
(`announce_landed`). A dbt step becomes a Cosmos task group over its selection
(cosmos_groups.py). Each task runs after the steps it needs.
An exception the pipeline stops on (`Pipeline.stops_on`) skips the task, and so what follows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from social_crm.orchestration.assets import (
    ALL_RAW,
    LANDED,
    OPEN_CONVERSATIONS,
    PUBLISHED_MARTS,
    raw_table,
)
from social_crm.orchestration.steps import Pipeline, Step

if TYPE_CHECKING:
    from airflow.sdk import Asset, AssetAlias

    from social_crm.orchestration.extraction import Landed

ASSETS: dict[str, Asset | AssetAlias] = {
    asset.name: asset for asset in (PUBLISHED_MARTS, OPEN_CONVERSATIONS, *ALL_RAW)
} | {alias.name: alias for alias in LANDED.values()}


def announce_landed(landed: Landed, outlet_events: Any, alias: AssetAlias) -> list[str]:
    """An asset event, through `alias` (one of the task's outlets), for each raw table the
    extraction `landed` changed (`extraction.Landed.tables`), none when it changed nothing: the
    marts build is not started by an hour that brought nothing new. Returns the summary lines
    (the task's XCom)."""
    for name in sorted(landed.tables):
        outlet_events[alias].add(raw_table(name))
    return list(landed)


def _run_in_task(pipeline: Pipeline, step: Step) -> Callable[..., object]:
    def run_step(**context: Any) -> object:
        from airflow.sdk import AssetAlias
        from airflow.sdk.exceptions import AirflowSkipException

        from social_crm.orchestration import steps
        from social_crm.transform import as_of
        from social_crm.transform.dbt_runner import DbtResult

        moment = as_of.of_context(context)
        inputs = steps.Inputs(
            as_of=moment, full_refresh=pipeline.full_refresh, interval=as_of.walk_interval(moment)
        )
        try:
            result = steps.call(step, inputs)
        except Exception as exc:
            if steps.stops_quietly(pipeline, exc):  # e.g. before the first nightly build
                raise AirflowSkipException(str(exc)) from exc
            raise
        if isinstance(result, DbtResult):
            return result.summary()
        for name in step.outlets:
            outlet = ASSETS[name]
            if isinstance(outlet, AssetAlias):  # an extraction step: `result` is a Landed
                result = announce_landed(cast("Landed", result), context["outlet_events"], outlet)
        return result

    run_step.__name__ = step.name
    run_step.__doc__ = step.doc
    return run_step


def _task(pipeline: Pipeline, step: Step) -> Any:
    from airflow.sdk import task

    arguments: dict[str, Any] = {"task_id": step.name, **step.task}
    if step.retries is not None:
        arguments["retries"] = step.retries
    if step.outlets:
        arguments["outlets"] = [ASSETS[name] for name in step.outlets]
    return task(_run_in_task(pipeline, step), **arguments)()


def render(pipeline: Pipeline) -> dict[str, Any]:
    """The tasks (or task groups) of `pipeline`'s steps, each after what it needs, by name."""
    from social_crm.transform.cosmos_groups import dbt_task_group

    nodes: dict[str, Any] = {}
    for step in pipeline.steps:
        if step.dbt is not None:
            node = dbt_task_group(step.name, step.dbt)
        else:
            node = _task(pipeline, step)
        for need in step.needs:
            nodes[need] >> node
        nodes[step.name] = node
    return nodes
