"""The soak checker's boundaries: what it counts as due must be what the APIs serve.

X search's `end_time` is exclusive ("Timestamp is in second granularity and is exclusive",
docs.x.com/x-api/posts/search-recent-posts) and the extractor asks up to END_TIME_GAP before
its request: a Post written exactly END_TIME_GAP before the last clean run is not yet due.
Schedule 2004, shrunk: a world of 3 days moved on 2160 then 360 minutes, no fault; its brand
reply x_tweets:2011136116782268420 was written exactly then."""

from __future__ import annotations

import pytest

from tests.end_to_end.fault_schedules import Schedule, run_schedule

pytestmark = pytest.mark.integration


def test_a_post_written_end_time_gap_before_the_last_run_is_not_reported_lost(warehouse_url):
    schedule = Schedule(
        2004,
        {"seed": 537, "scale": 0.01, "days": 3},
        [{"advance": 2160}, {"advance": 360}],
    )
    outcome = run_schedule(schedule, warehouse_url)
    assert not outcome.failed, outcome.line()
