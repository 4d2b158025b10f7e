"""Mixed languages: customers whose names are written in another script than Latin (a
Ukrainian, Greek or Arabic customer of a Nordic brand). features.fold keeps the letters a-z
alone, so such a name folds to nothing, on the CRM's side and on the profile's: a profile that
shows exactly the customer's name is not even compared with them. No pair, so their opt-out and
erasure reach it only if the CRM knows the account (docs/data-model.md#consent: "every profile
that may be theirs"). Trained and scored as the `match_identities` step does (model.score)."""

from __future__ import annotations

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

PRIVACY_REACH = 0.02  # dbt var privacy_exclusion_probability

NAMES = [
    ("Олена", "Коваленко", "Kyiv", "UA"),
    ("Νίκος", "Παπαδόπουλος", "Athens", "GR"),
    ("محمد", "الأحمد", "Oslo", "NO"),
]


def test_a_profile_showing_a_customers_exact_non_latin_name_is_within_their_reach():
    profiles, customers, _, known = linking_inputs(300, 500)
    extra = pd.DataFrame(
        [
            {
                "customer_id": f"CX{i}",
                "first_name": first,
                "last_name": last,
                "email": f"customer{i}@example.com",
                "city": city,
                "country": country,
            }
            for i, (first, last, city, country) in enumerate(NAMES)
        ]
    )
    theirs = pd.DataFrame(
        [
            {
                "profile_key": f"facebook:7700{i}",
                "platform": "facebook",
                "display_name": f"{first} {last}",
                "handle": None,
                "location": None,
            }
            for i, (first, last, _, _) in enumerate(NAMES)
        ]
    )
    scored = model.score(
        pd.concat([profiles, theirs], ignore_index=True),
        pd.concat([customers, extra], ignore_index=True),
        known,
    )
    pairs = scored.pairs
    found = {
        f"facebook:7700{i}": float(
            pairs.loc[
                (pairs["profile_key"] == f"facebook:7700{i}") & (pairs["customer_id"] == f"CX{i}"),
                "match_probability",
            ].max()
            if len(pairs)
            else 0.0
        )
        for i in range(len(NAMES))
    }
    print(found)
    missed = [k for k, p in found.items() if not p >= PRIVACY_REACH]
    assert not missed, f"no pair for {missed}: their own name in another script"
