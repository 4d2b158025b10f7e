"""The identity model on Instagram profiles: a username shows no display name, so it is compared
with the customer's name, email and handle on the other platform (the X handle the CRM knows
for them). On a simulated population (bench.linking_inputs) with Instagram profiles added
whose usernames are their owners' X handles, as a share of people keep theirs."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from social_crm.identity import model
from social_crm_dev.bench import linking_inputs

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def scored():
    profiles, customers, truth, known = linking_inputs(300, 500)
    x_profiles = profiles[profiles["platform"] == "x"]
    owned = [
        (k, h, truth[k])
        for k, h in zip(x_profiles["profile_key"], x_profiles["handle"], strict=True)
        if truth[k]
    ]
    # each customer's X handle, as the CRM's known accounts give it
    handles = {c: h.lower() for _, h, c in owned}
    customers = customers.assign(
        x_handle=[handles.get(c) for c in customers["customer_id"]], instagram_username=None
    )
    instagram = pd.DataFrame(
        {
            "profile_key": [f"instagram:{h.lower()}" for _, h, _ in owned],
            "platform": "instagram",
            "display_name": None,
            "handle": [h for _, h, _ in owned],
            "location": None,
        }
    )
    ig_truth = {f"instagram:{h.lower()}": c for _, h, c in owned}
    # the CRM knows half of them (the m probabilities are counted on those)
    ig_known = dict(list(ig_truth.items())[: len(ig_truth) // 2])
    result = model.score(
        pd.concat([profiles, instagram], ignore_index=True), customers, known | ig_known
    )
    assert result is not None
    unknown = {k: c for k, c in ig_truth.items() if k not in ig_known}
    return result.pairs, unknown


def test_an_instagram_profile_is_paired_with_the_customer_whose_x_handle_it_is(scored):
    pairs, unknown = scored
    paired = set(zip(pairs["profile_key"], pairs["customer_id"], strict=True))
    assert unknown and all((k, c) in paired for k, c in unknown.items())


def test_the_other_platforms_handle_is_the_evidence_and_weighs_for_the_match(scored):
    pairs, unknown = scored
    true_pairs = pairs[
        [
            unknown.get(k) == c
            for k, c in zip(pairs["profile_key"], pairs["customer_id"], strict=True)
        ]
    ]
    evidence = [json.loads(e)["other_handle"] for e in true_pairs["evidence"]]
    assert {e["level"] for e in evidence} == {"their handle on the other platform"}
    assert all(e["match_weight"] > 0 for e in evidence)


def test_an_instagram_profile_is_most_probably_its_true_customer(scored):
    pairs, unknown = scored
    best = pairs.sort_values("match_probability", ascending=False).drop_duplicates("profile_key")
    chosen = dict(zip(best["profile_key"], best["customer_id"], strict=True))
    right = sum(1 for k, c in unknown.items() if chosen.get(k) == c)
    print(f"instagram: {right} of {len(unknown)} unknown profiles' likeliest customer is right")
    assert right == len(unknown)
