"""Alerts from the DAGs (a task failed; the nightly load missed its deadline; the live queue's
SLA and spike alerts): always a clear log line; also a JSON POST to a webhook (Slack-compatible
`text`) when `SOCIAL_CRM_ALERT_WEBHOOK` is set. Never raises: a broken notifier must not hide
the original failure."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import requests

from social_crm import settings
from social_crm.redact import redact

log = logging.getLogger(__name__)
WEBHOOK_ENV = "SOCIAL_CRM_ALERT_WEBHOOK"


def failure_message(context: dict[str, Any]) -> str:
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = getattr(ti, "run_id", context.get("run_id", "?"))
    error = context.get("exception")
    reason = redact(f"{type(error).__name__}: {error}") if error else "no exception recorded"
    return f"social_crm: {dag_id}.{task_id} failed in run {run_id}: {reason[:1500]}"


def deadline_message(context: dict[str, Any]) -> str:
    """Text for a missed deadline; `context` is what Airflow passes deadline callbacks:
    {"dag_run": {...}, "deadline": {"deadline_time": ...}}."""
    run = context.get("dag_run") or {}
    deadline = (context.get("deadline") or {}).get("deadline_time", "?")
    return (
        f"social_crm: {run.get('dag_id', '?')} run {run.get('dag_run_id', '?')}"
        f" (logical date {run.get('logical_date', '?')}) had not published by {deadline};"
        f" state: {run.get('state', '?')}. BI still shows the previous night's marts."
    )


def on_failure(context: dict[str, Any]) -> None:
    alert(failure_message(context))


async def deadline_missed(context: dict[str, Any], **_: Any) -> None:
    """Deadline callback (runs in the triggerer): the nightly load is late."""
    await asyncio.to_thread(alert, deadline_message(context))


def alert(message: str) -> None:
    """Log `message` as an error and post it to the webhook when one is configured."""
    log.error(message)
    _to_webhook({"text": message})


def post(text: str, details: dict[str, Any] | None = None) -> bool:
    """An operational alert (a message past its SLA, a spike): logged as a warning and posted
    as `{"text": ..., "alert": details}`. True when delivered: the webhook took it, or none
    is configured (the task log is then the delivery)."""
    log.warning(text)
    return _to_webhook({"text": text, "alert": details or {}})


def _to_webhook(body: dict[str, Any]) -> bool:
    url = settings.load().alert_webhook
    if not url:
        return True
    try:
        requests.post(url, json=body, timeout=10).raise_for_status()
    except requests.RequestException as exc:
        log.error("could not notify %s: %s", WEBHOOK_ENV, redact(str(exc)))
        return False
    return True
