"""Spammers flood the brand's Page with sockpuppet profiles, each named as a customer (a Page
token reads a commenter's id and name alone). The model is trained on every profile
(model.train): the prior that two random records match is estimated from the pairs with the
same forename and surname, which the sockpuppets multiply, so every pair of the genuine
profiles scores higher and strangers' profiles cross the auto-link probability.

Measured on bench.linking_inputs(300, 500): without the flood 178 genuine profiles reach 0.9,
none wrongly; with 300 sockpuppets 183, 2 of them another person's customer (the prior
0.0018 -> 0.0027); with 1,500, 193, 5 wrong. Promise: precision >= 0.995 of the links."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from social_crm.identity import model
from social_crm_dev.bench import linking_inputs

pytestmark = [
    pytest.mark.slow,
    # an open defect an outside attack found: runs in `make eval` until it is fixed
    pytest.mark.eval_only,
    pytest.mark.xfail(strict=True, reason="open identity defect"),
]

AUTO_LINK = 0.9


def _auto_linkable(pairs: pd.DataFrame, keys: set[str]) -> dict[str, str]:
    """Each of `keys`' best customer from the auto-link probability, when it has no rival."""
    mine = pairs[pairs["profile_key"].isin(keys)]
    doubtful = (mine["match_probability"] >= 0.5).groupby(mine["profile_key"]).transform("sum")
    best = mine[(mine["match_probability"] >= AUTO_LINK) & (doubtful == 1)]
    return dict(zip(best["profile_key"], best["customer_id"], strict=True))


def test_sockpuppets_do_not_make_genuine_profiles_link_to_strangers():
    profiles, customers, truth, known = linking_inputs(300, 500)
    genuine = set(profiles["profile_key"])
    # the control: without the flood no genuine profile is auto-linkable to a stranger
    alone = _auto_linkable(model.score(profiles, customers, known).pairs, genuine)
    assert all(truth.get(k) == c for k, c in alone.items())
    rng = np.random.default_rng(1)
    copied = rng.integers(0, len(customers), 300)
    sockpuppets = pd.DataFrame(
        {
            "profile_key": [f"facebook:88{i}" for i in range(len(copied))],
            "platform": "facebook",
            "display_name": [
                f"{customers['first_name'].iloc[j]} {customers['last_name'].iloc[j]}"
                for j in copied
            ],
            "handle": None,
            "location": None,
        }
    )
    flooded = model.score(pd.concat([profiles, sockpuppets], ignore_index=True), customers, known)
    links = _auto_linkable(flooded.pairs, genuine)
    wrong = {k: c for k, c in links.items() if truth.get(k) != c}
    print(len(links), wrong, flooded.model.parameters["probability_two_random_records_match"])
    assert len(links) - len(wrong) >= 0.995 * len(links), (
        f"{len(wrong)} of {len(links)} genuine profiles auto-linkable to another's customer"
    )
