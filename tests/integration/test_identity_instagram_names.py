"""An Instagram username that spells its owner's name ("chloe.rederford", "leooldley79") is the
name the profile shows (features.shown_name): compared as a display name is, forename and
surname each weighed by how common it is, it links; as a handle alone it stayed below the
auto-link probability. On a simulated population (bench.linking_inputs) with Instagram
profiles added, usernames built from their owners' names, none known to the CRM."""

from __future__ import annotations

import pandas as pd
import pytest

from social_crm.identity import model
from social_crm_dev.bench import linking_inputs

pytestmark = pytest.mark.integration
AUTO_LINK = 0.9  # dbt var identity_auto_link_probability


@pytest.fixture(scope="module")
def best():
    profiles, customers, truth, known = linking_inputs(300, 500)
    named = customers.head(60)
    usernames = [
        f"{f.lower()}.{s.lower()}" if i % 2 else f"{f.lower()}{s.lower()}{i}"
        for i, (f, s) in enumerate(zip(named["first_name"], named["last_name"], strict=True))
    ]
    instagram = pd.DataFrame(
        {
            "profile_key": [f"instagram:{u}" for u in usernames],
            "platform": "instagram",
            "display_name": None,
            "handle": usernames,
            "location": None,
        }
    )
    owners = dict(zip(instagram["profile_key"], named["customer_id"], strict=True))
    result = model.score(pd.concat([profiles, instagram], ignore_index=True), customers, known)
    assert result is not None
    pairs = result.pairs[result.pairs["profile_key"].isin(owners)]
    top = pairs.sort_values("match_probability", ascending=False).drop_duplicates("profile_key")
    return owners, top


def test_most_instagram_usernames_spelling_the_name_reach_the_auto_link_probability(best):
    owners, top = best
    sure = top[top["match_probability"] >= AUTO_LINK]
    print(f"instagram names: {len(sure)} of {len(owners)} reach {AUTO_LINK}")
    assert len(sure) >= 0.8 * len(owners)


def test_the_likeliest_customer_of_such_a_username_is_its_owner(best):
    owners, top = best
    sure = top[top["match_probability"] >= AUTO_LINK]
    assert all(
        owners[k] == c for k, c in zip(sure["profile_key"], sure["customer_id"], strict=True)
    )
