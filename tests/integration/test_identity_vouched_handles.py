"""Cross-platform evidence through what the model is sure of: an Instagram profile whose
username is the X handle of a profile the model all but certainly links to a customer (not one
the CRM knows) is compared with that customer's X handle and paired with them, as if the CRM
knew it (model.with_vouched_handles). On a simulated population (bench.linking_inputs)."""

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
    first = model.score(profiles, customers, known)
    assert first is not None
    pairs = first.pairs
    rivals = (
        (pairs["match_probability"] >= model.VOUCH_RIVAL_PROBABILITY)
        .groupby(pairs["profile_key"])
        .transform("sum")
    )
    sure = pairs[
        (pairs["match_probability"] >= model.VOUCH_PROBABILITY)
        & (rivals == 1)
        & pairs["profile_key"].str.startswith("x:")
    ]
    handles = dict(zip(profiles["profile_key"], profiles["handle"], strict=True))
    owners = {
        f"instagram:{handles[k].lower()}": c
        for k, c in zip(sure["profile_key"], sure["customer_id"], strict=True)
        if truth[k] == c
    }
    instagram = pd.DataFrame(
        {
            "profile_key": list(owners),
            "platform": "instagram",
            "display_name": None,
            "handle": [k.split(":", 1)[1] for k in owners],
            "location": None,
        }
    )
    second = model.score(pd.concat([profiles, instagram], ignore_index=True), customers, known)
    assert second is not None
    return owners, second.pairs


def test_an_instagram_profile_named_as_a_sure_x_profile_is_paired_with_its_customer(scored):
    owners, pairs = scored
    """All but the odd one whose X profile is no longer as sure once the Instagram profiles
    are in the training data (45 of 46 in this population)."""
    paired = set(zip(pairs["profile_key"], pairs["customer_id"], strict=True))
    found = sum(1 for k, c in owners.items() if (k, c) in paired)
    print(f"vouched: {found} of {len(owners)} Instagram profiles named as sure X profiles paired")
    assert len(owners) >= 10 and found >= 0.9 * len(owners)


def test_the_evidence_is_their_handle_on_the_other_platform(scored):
    owners, pairs = scored
    mine = pairs[
        [
            owners.get(k) == c
            for k, c in zip(pairs["profile_key"], pairs["customer_id"], strict=True)
        ]
    ]
    levels = [json.loads(e)["other_handle"]["level"] for e in mine["evidence"]]
    assert levels.count("their handle on the other platform") >= 0.9 * len(owners)
