"""The failure notifier logs always and posts to a webhook (a real local server) when set."""

import logging
from types import SimpleNamespace

from social_crm.alerts import notify


def test_failure_is_logged_and_posted_without_secrets(alert_webhook, caplog):
    ti = SimpleNamespace(dag_id="social_crm_nightly", task_id="validate_marts", run_id="r1")
    error = RuntimeError("gate failed: GET /x?access_token=abc123secret")
    with caplog.at_level(logging.ERROR):
        notify.on_failure({"task_instance": ti, "exception": error})

    assert len(alert_webhook) == 1
    text = alert_webhook[0]["text"]
    assert text.startswith("social_crm: social_crm_nightly.validate_marts failed in run r1")
    assert "gate failed" in text and "abc123secret" not in text
    assert text in caplog.text


def test_a_broken_webhook_does_not_raise(monkeypatch, caplog):
    monkeypatch.setenv(notify.WEBHOOK_ENV, "http://127.0.0.1:9/nothing-listens")
    notify.on_failure({"exception": ValueError("x")})
    assert "could not notify" in caplog.text
