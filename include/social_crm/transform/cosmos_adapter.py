"""Everything the project uses of astronomer-cosmos, in one module: its public API and the
internals the dbt task groups rely on (private XCom keys, the producer's dbt runner and failure
handler, its build flags, a task's class). An upgrade of Cosmos is checked here, and only here.

The internals change between minor releases, so the module refuses, at import, a Cosmos outside
the range it was written for (`SUPPORTED`, which pyproject.toml pins too) with a message saying
what to install, instead of a task failing later on a missing attribute.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

# the Cosmos releases this module was written for: >= 1.15, < 1.16 (pyproject.toml pins them)
SUPPORTED = ((1, 15), (1, 16))


class CosmosVersionError(ImportError):
    """The installed astronomer-cosmos is not one this module was written for."""


def supported_range() -> str:
    (low_major, low_minor), (high_major, high_minor) = SUPPORTED
    return f">={low_major}.{low_minor},<{high_major}.{high_minor}"


def check_version(installed: str) -> None:
    """Raise CosmosVersionError unless `installed` (a Cosmos version) is within SUPPORTED."""
    match = re.match(r"(\d+)\.(\d+)", installed)
    if match is None or not SUPPORTED[0] <= (int(match[1]), int(match[2])) < SUPPORTED[1]:
        raise CosmosVersionError(
            f"astronomer-cosmos {installed} is installed; social_crm's dbt task groups need"
            f" astronomer-cosmos{supported_range()} (they use Cosmos internals:"
            " include/social_crm/transform/cosmos_adapter.py). Install the pinned version"
            " (`pip install -r requirements.lock`), or port cosmos_adapter.py to the new"
            " release and widen its SUPPORTED range and the pin in pyproject.toml."
        )


def _installed() -> str:
    try:
        return version("astronomer-cosmos")
    except PackageNotFoundError:
        raise CosmosVersionError(
            f"astronomer-cosmos is not installed; social_crm's dbt task groups need"
            f" astronomer-cosmos{supported_range()} (`pip install -r requirements.lock`)"
        ) from None


check_version(_installed())

# ruff: noqa: E402 - Cosmos is imported once its version is known to fit
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    _DBT_STARTUP_EVENTS_XCOM_KEY,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    TestBehavior,
    TestIndirectSelection,
)
from cosmos.dbt import runner as _runner
from cosmos.operators._watcher.state import (
    get_compiled_sql_xcom_key,
    get_dbt_event_xcom_key,
    get_status_xcom_key,
    get_xcom_val,
)
from cosmos.operators.watcher import (
    DbtProducerWatcherOperator,
    DbtRunWatcherOperator,
    DbtSeedWatcherOperator,
)

__all__ = [
    "DbtProducerWatcherOperator",
    "DbtRunWatcherOperator",
    "DbtSeedWatcherOperator",
    "DbtTaskGroup",
    "ExecutionConfig",
    "ExecutionMode",
    "InvocationMode",
    "LoadMode",
    "ProfileConfig",
    "ProjectConfig",
    "RenderConfig",
    "TestBehavior",
    "TestIndirectSelection",
]

# the XCom key of dbt's start-up events, which every node's task reads
STARTUP_EVENTS_KEY = _DBT_STARTUP_EVENTS_XCOM_KEY


def node_xcom_keys(node: str) -> set[str]:
    """The XCom keys the producer writes for dbt node `node` and its task reads: its status,
    its dbt event and its compiled SQL."""
    return {
        get_status_xcom_key(node),
        get_dbt_event_xcom_key(node),
        get_compiled_sql_xcom_key(node),
    }


def producer_xcom(ti: Any, producer_task_id: str, key: str) -> Any:
    """The value the producer pushed under `key`, as a node's task reads it."""
    return get_xcom_val(ti, producer_task_id, key)


def is_producer(task: Any) -> bool:
    """Whether `task` is a group's producer (the task that runs its one `dbt build`)."""
    return isinstance(task, DbtProducerWatcherOperator)


def build_with_tests(producer: Any) -> None:
    """Rendered without test tasks, Cosmos leaves the tests out of the producer's build (a
    `--resource-type` filter): put them back."""
    kept: list[str] = []
    skip = False
    for flag in producer.dbt_cmd_flags or []:
        if skip:
            skip = False
        elif flag == "--resource-type":
            skip = True
        else:
            kept.append(flag)
    producer.dbt_cmd_flags = kept


def build_flags(producer: Any) -> list[str]:
    """The flags the producer adds to its `dbt build`."""
    return list(producer.dbt_cmd_flags or [])


def build_selection(producer: Any) -> tuple[list[str], list[str], str | None]:
    """What the producer's `dbt build` selects, excludes, and its indirect selection."""
    select, exclude = producer.select or "", producer.exclude or ""
    return select.split(), exclude.split(), producer.indirect_selection


def tests_per_model(producer: Any) -> dict[str, list[str]]:
    """Per model's unique id, the tests Cosmos has its task report."""
    return producer.tests_per_model


def set_tests_per_model(producer: Any, tests: dict[str, list[str]]) -> None:
    producer.tests_per_model = tests


def wrap_dbt_runner(producer: Any, wrap: Callable[..., Any]) -> None:
    """The producer runs dbt through `wrap(run, command, env, cwd, **kwargs)`, `run` being
    Cosmos' own runner (same arguments)."""
    run = producer.run_dbt_runner

    def run_dbt_runner(command: list[str], env: dict[str, str], cwd: str, **kwargs: Any) -> Any:
        return wrap(run, command, env, cwd, **kwargs)

    producer.run_dbt_runner = run_dbt_runner


def on_dbt_result(producer: Any, handle: Callable[[Any], None]) -> None:
    """`handle(result)` replaces how the producer fails on a dbt result (dbtRunnerResult)."""
    producer.handle_exception_dbt_runner = handle


def raise_for_result(result: Any) -> None:
    """Cosmos' own handling: raise when dbt failed, naming what failed."""
    _runner.handle_exception_if_needed(result)


def messages_by_status(result: Any, statuses: list[str]) -> tuple[list[str], list[str]]:
    """The names and messages of the nodes of `result` whose status is one of `statuses`."""
    return _runner.extract_message_by_status(result, statuses)


def become(task: Any, cls: type) -> None:
    """Turn the rendered `task` into `cls`, a subclass of its class adding behaviour (Cosmos
    builds the tasks; there is no hook to give it the class)."""
    if not isinstance(task, cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__} does not extend {type(task).__name__}")
    task.__class__ = cls


class TaskInstanceStandIn:
    """Stands in for the producer's task instance while dbt runs: pushes are kept (the last
    one per key) until `flush` pushes those in `keep`; the rest is the real instance's."""

    def __init__(self, ti: Any, keep: set[str]) -> None:
        self._ti = ti
        # Cosmos' reliable retry writes its whole backup to a Variable on every push; the
        # backup (kept in memory, written if the producer fails) serves a producer retry,
        # which is off here
        self._cosmos_xcom_persist_incrementally = False
        self._keep = keep
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
            if key in self._keep:
                self._ti.xcom_push(key=key, value=value)
