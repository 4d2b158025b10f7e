"""The moment a run describes (its as-of time), derived in one place for every task, every dbt
build (the Cosmos groups' environment included) and the command line.

A scheduled run describes the end of its data interval (a backfill of an old date describes
that date); a run with no interval (an asset update or a manual trigger, in Airflow 3) describes
when it was due to run. On the command line it is the `--as-of` given, else the moment the step
starts (None). The live walks read up to the run's as-of time (`walk_interval`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def of_run(data_interval_end: datetime | None, run_after: datetime | None) -> datetime | None:
    """The as-of time of an Airflow run: its data interval's end, else when it was due."""
    return data_interval_end or run_after


def of_context(context: Mapping[str, Any]) -> datetime | None:
    """`of_run` for the task context Airflow gives a task."""
    dag_run = context.get("dag_run")
    return of_run(context.get("data_interval_end"), getattr(dag_run, "run_after", None))


def walk_interval(as_of: datetime | None) -> tuple[datetime | None, datetime | None]:
    """The interval a run's extraction walks: up to its as-of time (None: up to now), from
    each walk's watermark."""
    return (None, as_of)


def parse(text: str) -> datetime:
    """An as-of time given on the command line: an ISO 8601 timestamp with its UTC offset
    (`2026-03-01T02:00:00+00:00`, or `...Z`); ValueError naming what is wrong."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--as-of must be an ISO 8601 timestamp with a UTC offset, such as"
            f" 2026-03-01T02:00:00+00:00; got {text!r}"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"--as-of needs a UTC offset (2026-03-01T02:00:00+00:00 or ...Z): {text!r} could be"
            " any time zone"
        )
    return moment
