"""The count audit behind X watermarks: what it costs when raw is already complete."""

from __future__ import annotations

import pytest

from tests.end_to_end.test_x_extraction_promises import DAY, fresh_pipeline

pytestmark = pytest.mark.integration


def test_x_count_audit_of_a_complete_raw_walks_no_hour(warehouse_url):
    """Runs a day apart with no fault: each feed's audit (a rival's search, our account's
    mentions and own Posts: after the run's walks and re-checks) asks its hourly counts,
    which read no Posts, and, raw holding every Post the
    API counts, walks no hour of the window again."""
    with fresh_pipeline(warehouse_url) as pipeline:
        sim, x = pipeline.sim, pipeline.x
        x.tweets()
        get_json = x.client.get_json
        for _ in range(2):
            sim.world.advance(seconds=DAY)
            calls: list[tuple[str, dict]] = []

            def record(path, params=None, calls=calls):
                calls.append((path, dict(params or {})))
                return get_json(path, params)

            x.client.get_json = record
            x.tweets()
            x.client.get_json = get_json
            hourly = [i for i, (_, p) in enumerate(calls) if p.get("granularity") == "hour"]
            audited = {calls[i][1]["query"] for i in hourly}
            assert audited == {f.query for f in x.settings.feeds}, "every feed audited"
            audit = [p for path, p in calls[hourly[0] :] if path.startswith("tweets/search")]
            assert audit == [], f"hours walked again with raw complete: {audit}"
