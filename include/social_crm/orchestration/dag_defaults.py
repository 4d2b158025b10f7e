"""What every DAG shares: owner, start date, retries with their delay, the failure alert. Light
on purpose: DAG files import it at parse time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

OWNER = "data-engineering"
START_DATE = datetime(2026, 1, 1, tzinfo=UTC)
# the pool the warehouse builds share (airflow_pools.json): a nightly task takes one slot, a
# live build step all of them, so the two never build at once
WAREHOUSE_BUILD_POOL = "warehouse_build"
WAREHOUSE_BUILD_SLOTS = 4
# an extraction task mapped over brands (`.expand(brand=...)`) shows each instance by its brand
# key in the UI instead of its number (Airflow's named mapping, `map_index_template`)
BRAND_INDEX = "{{ task.op_kwargs['brand'] }}"


def alert_on_failure(context: dict[str, Any]) -> None:
    """on_failure_callback: log the failure and post it to SOCIAL_CRM_ALERT_WEBHOOK."""
    from social_crm.alerts.notify import on_failure

    on_failure(context)


def default_args(
    *, retries: int, retry_delay: timedelta, alert: bool = False, **more: Any
) -> dict[str, Any]:
    """A DAG's default_args: our owner, `retries` spaced by `retry_delay`, the failure alert
    when `alert`, and any other task argument in `more` (a pool, exponential backoff)."""
    args: dict[str, Any] = {"owner": OWNER, "retries": retries, "retry_delay": retry_delay}
    if alert:
        args["on_failure_callback"] = alert_on_failure
    return args | more
