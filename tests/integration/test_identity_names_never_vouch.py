"""Names never vouch (docs/data-model.md#identity-resolution, "Cross-platform evidence"): an
impersonator registers an Instagram username that spells a customer's name, which makes the
model all but sure of the pair; that username must not become the customer's Instagram username
for the second prediction (model.with_vouched_handles), else any X profile with those letters
is compared with it as with a handle the CRM knows. Trained and scored as the
`match_identities` step does (model.score) on a simulated population
(bench.linking_inputs), with the attacker's profile added (an outside attacker's finding)."""

from __future__ import annotations

import pandas as pd
import pytest

from social_crm.identity import model
from social_crm.identity.features import handle_letters
from social_crm_dev.bench import linking_inputs

pytestmark = pytest.mark.integration


def test_a_username_sure_by_the_name_it_spells_vouches_for_no_handle():
    profiles, customers, truth, known = linking_inputs(300, 500)
    # a victim: a customer the CRM knows on X, and who has no other profile in this world
    owners: dict[str, list[str]] = {}
    present = set(profiles["profile_key"])
    for key, customer in truth.items():
        if key in present:
            owners.setdefault(customer, []).append(key)
    victims = [c for k, c in known.items() if k.startswith("x:") and owners.get(c) == [k]]
    victim = customers[customers["customer_id"] == victims[0]].iloc[0]
    # an Instagram username is ASCII letters, digits, "." and "_" (rules.HANDLES)
    username = f"{handle_letters(victim['first_name'])}.{handle_letters(victim['last_name'])}"
    attacker = pd.DataFrame(
        [
            {
                "profile_key": f"instagram:{username}",
                "platform": "instagram",
                "display_name": None,
                "handle": username,
                "location": None,
            }
        ]
    )
    scored = model.score(pd.concat([profiles, attacker], ignore_index=True), customers, known)
    assert scored is not None
    right = scored.customer_rows
    vouched = right.loc[right["unique_id"] == victim["customer_id"], "instagram_username"].iloc[0]
    assert vouched != username, (
        f"the impersonator's username {vouched!r}, sure by name alone, is vouched as the "
        "victim's Instagram username"
    )
