"""The receiver's secrets: from the environment, else from the Airflow connection
`meta_webhooks`; without them it refuses to start, naming what to set and showing no secret."""

from __future__ import annotations

import json

import pytest

from social_crm.receive.config import ReceiverNotConfigured, resolve


@pytest.fixture
def clean(monkeypatch):
    for name in ("META_APP_SECRET", "META_WEBHOOK_VERIFY_TOKEN", "AIRFLOW_CONN_META_WEBHOOKS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_environment_gives_the_secrets(clean):
    clean.setenv("META_APP_SECRET", "app-secret")
    clean.setenv("META_WEBHOOK_VERIFY_TOKEN", "verify")
    config = resolve()
    assert (config.app_secret, config.verify_token) == ("app-secret", "verify")
    assert "app-secret" not in repr(config) and "verify" not in repr(config)


def test_the_airflow_connection_gives_them_otherwise(clean):
    connection = {
        "conn_type": "generic",
        "password": "conn-secret",
        "extra": {"verify_token": "t1"},
    }
    clean.setenv("AIRFLOW_CONN_META_WEBHOOKS", json.dumps(connection))
    config = resolve()
    assert (config.app_secret, config.verify_token) == ("conn-secret", "t1")


@pytest.mark.parametrize("given", ["META_WEBHOOK_VERIFY_TOKEN", "META_APP_SECRET"])
def test_a_missing_secret_refuses_naming_it(clean, given):
    clean.setenv(given, "only-this-one")
    with pytest.raises(ReceiverNotConfigured) as refused:
        resolve()
    missing = {"META_APP_SECRET", "META_WEBHOOK_VERIFY_TOKEN"} - {given}
    assert missing.pop() in str(refused.value) and "only-this-one" not in str(refused.value)
