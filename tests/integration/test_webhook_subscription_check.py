"""`social-crm check-connections` says whether the Meta app's webhooks are subscribed where
our receiver listens (`GET /{app-id}/subscriptions` with the app token), against the
simulator's app."""

from __future__ import annotations

import pytest

from social_crm import check_connections
from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.webhooks import APP_ID, app_of
from social_crm_dev.simulator.world import World

pytestmark = pytest.mark.integration

CALLBACK = "https://crm.example.com/webhooks/meta"


@pytest.fixture
def sim(monkeypatch):
    with SimulatorServer(World(WorldConfig(seed=2, scale=0.01, days=2))) as server:
        monkeypatch.setenv("FACEBOOK_GRAPH_URL", server.url)
        monkeypatch.setenv("FACEBOOK_GRAPH_TOKEN", server.fb_token)
        monkeypatch.setenv("META_APP_ID", APP_ID)
        monkeypatch.setenv("META_APP_SECRET", app_of(server).secret)
        monkeypatch.setenv("META_WEBHOOK_VERIFY_TOKEN", "meatyhamhock")
        monkeypatch.setenv("META_WEBHOOK_CALLBACK_URL", CALLBACK)
        yield server


def _findings() -> dict[str, check_connections.Finding]:
    return {f.what: f for f in check_connections.check_webhooks()}


def test_subscriptions_at_our_callback_with_every_field_pass(sim):
    app_of(sim).subscribe(CALLBACK)
    found = _findings()
    assert found["instagram"].ok and found["page"].ok, found


def test_a_subscription_at_another_callback_fails_naming_both(sim):
    app_of(sim).subscribe("https://old.example.com/hook")
    found = _findings()
    assert not found["page"].ok and CALLBACK in found["page"].detail
    assert "old.example.com" in found["page"].detail


def test_a_missing_field_or_object_fails_naming_it(sim):
    app_of(sim).subscribe(CALLBACK, objects=["instagram"])
    app_of(sim).subscriptions["instagram"]["fields"] = [{"name": "comments", "version": "v27.0"}]
    found = _findings()
    assert not found["instagram"].ok and "mentions" in found["instagram"].detail
    assert not found["page"].ok and "feed" in found["page"].detail


def test_a_wrong_app_secret_is_refused_and_never_shown(sim, monkeypatch):
    monkeypatch.setenv("META_APP_SECRET", "not-the-app-secret")
    (first,) = _findings().values()
    assert not first.ok and "not-the-app-secret" not in first.detail
