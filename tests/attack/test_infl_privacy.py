"""Privacy of the influence scores (README, "Consent"; docs/data-model.md#influence): an erased
customer, or one who opted out of profiling, must leave no influence score behind, and their
messages must not go on being counted as someone's interactions. Read on the built test world
(real embedded PostgreSQL, the simulator's truth of who is whom); nothing is changed."""

from __future__ import annotations

import pytest

from tests.end_to_end.conftest import csv_rows

pytestmark = [pytest.mark.integration, pytest.mark.end_to_end]


def _profiles_of(truth, customers: set[str]) -> list[str]:
    return sorted(
        f"{p['platform']}:{p['profile_id']}"
        for p in truth.rows("profiles.csv")
        if p.get("customer_id") in customers
    )


def _erased(truth) -> set[str]:
    return {e["customer_id"] for e in truth.rows("erasures.csv")}


def _opted_out(truth) -> set[str]:
    return {
        c["customer_id"]
        for c in csv_rows(truth.folder / "crm" / "customers.csv")
        if c["profiling_opt_out"] == "true"
    }


@pytest.mark.parametrize("who", ["erased", "opted_out"])
def test_infl_no_influence_score_for_a_customer_who_left_or_opted_out(built, who):
    pipeline, truth = built
    customers = _erased(truth) if who == "erased" else _opted_out(truth)
    profiles = _profiles_of(truth, customers)
    assert profiles, f"the test world has no {who} customer's profile"
    scored = pipeline.rows(
        "select platform || ':' || profile_id, influence, interactions_received"
        " from scoring.influence where platform || ':' || profile_id = any(%s) order by 1",
        profiles,
    )
    assert scored == [], f"{who} customers' profiles still scored: {scored[:5]}"


@pytest.mark.parametrize("who", ["erased", "opted_out"])
def test_infl_interactions_hold_nothing_of_a_customer_who_left_or_opted_out(built, who):
    pipeline, truth = built
    customers = _erased(truth) if who == "erased" else _opted_out(truth)
    profiles = _profiles_of(truth, customers)
    found = pipeline.rows(
        "select platform, interaction_type, interaction_id from intermediate.int_interactions"
        " where platform || ':' || source_profile_id = any(%s)"
        " or platform || ':' || target_profile_id = any(%s) order by 1, 3",
        profiles,
        profiles,
    )
    assert found == [], f"{who} customers' interactions still counted: {found[:5]}"
