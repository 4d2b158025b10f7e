"""On-failure notifier for the DAGs: always a clear log line; also a JSON POST to a webhook
(Slack-compatible `text`) when `SOCIAL_CRM_ALERT_WEBHOOK` is set. Never raises: a broken
notifier must not hide the original failure."""

from __future__ import annotations

import logging
import os
from typing import Any

import requests

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


def on_failure(context: dict[str, Any]) -> None:
    message = failure_message(context)
    log.error(message)
    url = os.environ.get(WEBHOOK_ENV)
    if not url:
        return
    try:
        requests.post(url, json={"text": message}, timeout=10).raise_for_status()
    except requests.RequestException as exc:
        log.error("could not notify %s: %s", WEBHOOK_ENV, redact(str(exc)))
