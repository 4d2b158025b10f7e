"""The connection's claim `owner_user_id` is checked against the user X says the token is
(`GET /2/users/me`), once per UTC day. Real simulator server, real embedded PostgreSQL."""

from __future__ import annotations

import logging

import pytest

from social_crm_dev.settings import DEFAULT_X_TOKEN, DEFAULT_X_USER_TOKEN
from social_crm_dev.simulator.config import OUR_BRAND
from tests.end_to_end.test_x_budget_edges import pipeline_on

pytestmark = pytest.mark.integration

HOUR = 3600
OWNER = {"page_size": 10, "owned_user_ids": (OUR_BRAND.x_user_id,)}


def asked_me(pipeline) -> list[str]:
    """Wrap the client: the `users/me` requests made from now on."""
    calls: list[str] = []
    get_json = pipeline.x_client.get_json

    def record(path, params=None):
        if path == "users/me":
            calls.append(path)
        return get_json(path, params)

    pipeline.x_client.get_json = record
    return calls


def test_x_token_owner_is_asked_once_a_utc_day(warehouse_url):
    with pipeline_on(warehouse_url, **OWNER) as pipeline:
        pipeline.x_client.session.headers["Authorization"] = f"Bearer {DEFAULT_X_USER_TOKEN}"
        calls = asked_me(pipeline)
        pipeline.x.tweets()
        pipeline.x.new_tweets()
        pipeline.x.followers()
        assert calls == ["users/me"]


def test_x_owner_user_id_not_the_tokens_user_is_warned_without_the_token(warehouse_url, caplog):
    with pipeline_on(warehouse_url, **OWNER) as pipeline, caplog.at_level(logging.WARNING):
        pipeline.x.tweets()
    warnings = [r.getMessage() for r in caplog.records if "owner_user_id" in r.getMessage()]
    assert warnings and OUR_BRAND.x_user_id in warnings[0]
    assert not any(DEFAULT_X_TOKEN in r.getMessage() for r in caplog.records)
