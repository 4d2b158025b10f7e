"""Privacy of the influence scores (README, "Consent"; docs/data-model.md#influence): a customer
who opted out of profiling must not be profiled: no influence score (pull, influence, the
interactions they drew) may be kept for a profile of theirs. The marts leave them out, but
scoring.influence, which the nightly writes for every profile, scores them like anyone.
Read on the built test world (real embedded PostgreSQL, the simulator's truth of who is
whom); nothing is changed. (The test world's erased person has no profile in the truth, so
erasure is not checked here.)"""

from __future__ import annotations

import pytest

from tests.end_to_end.conftest import csv_rows

pytestmark = [pytest.mark.integration, pytest.mark.end_to_end]


def test_infl_no_influence_score_for_a_customer_who_opted_out_of_profiling(built):
    pipeline, truth = built
    opted_out = {
        c["customer_id"]
        for c in csv_rows(truth.folder / "crm" / "customers.csv")
        if c["profiling_opt_out"] == "true"
    }
    profiles = sorted(
        f"{p['platform']}:{p['profile_id']}"
        for p in truth.rows("profiles.csv")
        if p["customer_id"] in opted_out
    )
    assert profiles, "the test world has no opted-out customer's profile"
    scored = pipeline.rows(
        "select platform || ':' || profile_id, influence, interactions_received"
        " from scoring.influence where platform || ':' || profile_id = any(%s) order by 1",
        profiles,
    )
    assert scored == [], f"{len(scored)} opted-out customers' profiles scored: {scored[:5]}"
