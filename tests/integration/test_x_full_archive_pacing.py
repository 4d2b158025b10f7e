"""The X client paces full-archive search to the API's one request a second
(docs.x.com/x-api/fundamentals/rate-limits), so a run spends no retry on that limit. Real
simulator server with its limits enforced."""

from __future__ import annotations

import pytest

from social_crm.extract.http import ApiClient, RetryPolicy
from social_crm.extract.x_policy import XPolicy
from social_crm_dev.settings import DEFAULT_X_TOKEN
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from social_crm_dev.simulator.x_api import XProfile
from tests.end_to_end.conftest import WORLD

pytestmark = pytest.mark.integration


def test_x_full_archive_requests_in_a_row_meet_no_rate_limit():
    with SimulatorServer(World(WORLD), x_profile=XProfile(tier="pay_per_use")) as sim:
        client = ApiClient(
            "x_api",
            sim.url,
            DEFAULT_X_TOKEN,
            policy=XPolicy(),
            api_version="2",
            retry=RetryPolicy(max_attempts=3, rate_limit_wait=0.2, rate_limit_cap=2.0),
        )
        for _ in range(3):
            client.get_json("tweets/search/all", {"query": "@fjordbrew", "max_results": 10})
        assert [reason for reason, _ in client.waits if reason == "rate limit"] == []
