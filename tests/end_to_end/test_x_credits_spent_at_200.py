"""The promise "a problem naming the credits or a spending limit at any status is
UsageCapExceeded: the run lands what it read, keeps its watermark and ends cleanly"
(docs/real-apis.md). The simulator sends its `credits-depleted` problem with HTTP 200 (an
answer whose body is the problem and holds no `data`, as X's partial-error answers do)."""

from __future__ import annotations

import pytest

from tests.end_to_end.test_x_pay_per_use import EXHAUSTED, fresh_pipeline, nothing_lost

pytestmark = pytest.mark.integration


def test_x_spent_credits_sent_with_200_end_the_run_cleanly(warehouse_url):
    with fresh_pipeline(warehouse_url) as pipeline:
        billing = pipeline.sim.x_profile.billing
        billing.spending_limit_usd, billing.spent_status = 0.5, 200
        tweets, users = pipeline.x.tweets()
        exhausted = pipeline.scalar(EXHAUSTED, "x_api")
        assert tweets.status == users.status == "committed"
        assert exhausted, "the spent credits were not recognised: the run went on reading"
        billing.spending_limit_usd = None  # credits added
        pipeline.x.tweets()
        assert nothing_lost(pipeline) == {}
