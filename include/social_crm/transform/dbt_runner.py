"""Run dbt against the warehouse from Python (CLI, DAG tasks, tests)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from social_crm import warehouse
from social_crm.paths import dbt_project_dir
from social_crm.transform.dbt_selections import Selection

log = logging.getLogger(__name__)


class DbtRunError(RuntimeError):
    """A dbt command failed; the message names the failed nodes."""


@dataclass
class DbtResult:
    command: str
    statuses: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # per node, as dbt timed it

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for status in self.statuses.values():
            counts[status] = counts.get(status, 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        return f"dbt {self.command}: {parts or 'nothing to do'}"


AS_OF_ENV = "SOCIAL_CRM_AS_OF"


def as_of_env(as_of: datetime | None) -> dict[str, str]:
    """The environment giving a build its as-of time (macro `as_of`; none: when dbt starts;
    how a run's as-of time is derived: transform/as_of.py)."""
    return {AS_OF_ENV: "" if as_of is None else as_of.isoformat()}


def dbt_env() -> dict[str, str]:
    """Variables dbt_project/profiles.yml reads, for the warehouse in use."""
    return warehouse.resolve().dbt_env()


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def run(
    command: str, *args: str, extra: Sequence[str] = (), env: dict[str, str] | None = None
) -> DbtResult:
    """Run `dbt <command>` on our project, `env` added to the environment; raise DbtRunError
    naming what failed."""
    from dbt.cli.main import dbtRunner

    from social_crm.transform import dbt_flag_source

    dbt_flag_source.apply()
    project = str(dbt_project_dir())
    cli_args = [command, *args, "--project-dir", project, "--profiles-dir", project, *extra]
    with environment({**dbt_env(), **(env or {})}):
        outcome = dbtRunner().invoke(cli_args)
    result = DbtResult(command=command)
    for node in getattr(outcome.result, "results", None) or []:
        result.statuses[node.node.unique_id] = str(node.status)
        result.seconds[node.node.unique_id] = round(node.execution_time or 0.0, 3)
    failed = [uid for uid, status in result.statuses.items() if status in {"error", "fail"}]
    if outcome.exception is not None or not outcome.success:
        reason = f"failed nodes: {', '.join(failed)}" if failed else str(outcome.exception)
        raise DbtRunError(f"dbt {command} failed; {reason}")
    log.info(result.summary())
    return result


def build(
    selection: Selection, *, full_refresh: bool = False, as_of: datetime | None = None
) -> DbtResult:
    """`dbt build` of `selection` as of `as_of` (default: when dbt starts); `full_refresh`
    rebuilds its incremental models from scratch. The one way a pipeline step runs dbt in
    process (the nightly DAG renders the same selections as Cosmos task groups)."""
    args = selection.args()
    if full_refresh:
        args.append("--full-refresh")
    return run("build", *args, env=as_of_env(as_of))
