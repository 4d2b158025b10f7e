"""The review queue "shows the evidence" (match_evidence: each comparison's level and weight)
for CRM staff to decide. A handle the model vouched for itself (model.with_vouched_handles:
the handle of a profile it is all but sure of, which may be an impersonator's) and a handle
the CRM knows for the customer give the same level, 'their handle on the other platform': the
evidence does not say that the customer's handle is the model's own guess, so staff read the
model's guess as the CRM's knowledge. Trained and scored as the `match_identities` step does
(model.score) on bench.linking_inputs."""

from __future__ import annotations

import json

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


def test_the_evidence_tells_a_vouched_handle_from_one_the_crm_knows():
    profiles, customers, truth, known = linking_inputs(300, 500)
    present = set(profiles["profile_key"])
    owned = {c for k, c in truth.items() if k in present} | set(known.values())
    lonely = customers[~customers["customer_id"].isin(owned)]
    guessed, told = lonely.iloc[0], lonely.iloc[1]
    # `told`: the CRM knows their X handle; `guessed`: an X profile with their name and city
    customers = customers.assign(
        x_handle=[
            "told_4401" if c == told["customer_id"] else None for c in customers["customer_id"]
        ]
    )
    extra = pd.DataFrame(
        [
            {
                "profile_key": "x:99300",
                "platform": "x",
                "display_name": f"{guessed['first_name']} {guessed['last_name']}",
                "handle": "guess_4400",
                "location": guessed["city"],
            },
            *(
                {
                    "profile_key": f"instagram:{h}",
                    "platform": "instagram",
                    "display_name": None,
                    "handle": h,
                    "location": None,
                }
                for h in ("guess_4400", "told_4401")
            ),
        ]
    )
    # every pair kept, however improbable: the evidence is what is compared here
    scored = model.score(
        pd.concat([profiles, extra], ignore_index=True), customers, known, keep_probability=0.0
    )
    pairs = scored.pairs
    levels = {}
    for key, customer in (
        ("instagram:guess_4400", guessed["customer_id"]),
        ("instagram:told_4401", told["customer_id"]),
    ):
        row = pairs[(pairs["profile_key"] == key) & (pairs["customer_id"] == customer)]
        assert len(row) == 1, f"{key} not paired with {customer}"
        levels[key] = json.loads(row["evidence"].iloc[0])["other_handle"]["level"]
    print(levels)
    assert levels["instagram:guess_4400"] != levels["instagram:told_4401"], (
        f"a vouched and a known handle read alike: {levels}"
    )
