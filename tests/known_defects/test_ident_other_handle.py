"""An unlucky customer: their Instagram username is exactly the X handle the CRM knows for them
(docs/data-model.md#instagram: "the Instagram username against the X handle the CRM knows ...
a blocking rule pairs them"), yet what the username is read as (features.shown_name) outweighs
it. Trained and scored as the `match_identities` step does (model.score) on a simulated
population (bench.linking_inputs), the customers carrying their known X handles as
run.CUSTOMERS gives them.

A link and every pair from `privacy_exclusion_probability` (0.02) decide what a customer's
opt-out and erasure reach (docs/data-model.md#consent): privacy errs on the side of the
person."""

from __future__ import annotations

import pandas as pd
import pytest

from social_crm.identity import features, model
from social_crm_dev.bench import linking_inputs

pytestmark = [
    pytest.mark.slow,
    # an open defect an outside attack found: runs in `make eval` until it is fixed
    pytest.mark.eval_only,
    pytest.mark.xfail(strict=True, reason="open identity defect"),
]

PRIVACY_REACH = 0.02  # dbt var privacy_exclusion_probability
REVIEW = 0.5  # dbt var identity_review_probability


@pytest.fixture(scope="module")
def scored():
    """Each customer the CRM knows on X has an Instagram profile of exactly that handle."""
    profiles, customers, _, known = linking_inputs(300, 500)
    handles = dict(zip(profiles["profile_key"], profiles["handle"], strict=True))
    x_handles = {c: handles[k].lower() for k, c in known.items() if k.startswith("x:")}
    customers = customers.assign(x_handle=[x_handles.get(c) for c in customers["customer_id"]])
    instagram = pd.DataFrame(
        {
            "profile_key": [f"instagram:{h}" for h in x_handles.values()],
            "platform": "instagram",
            "display_name": None,
            "handle": list(x_handles.values()),
            "location": None,
        }
    )
    result = model.score(pd.concat([profiles, instagram], ignore_index=True), customers, known)
    assert result is not None
    pairs = result.pairs
    probability = {
        (p, c): pr
        for p, c, pr in zip(
            pairs["profile_key"], pairs["customer_id"], pairs["match_probability"], strict=True
        )
    }
    surnames = dict(zip(customers["customer_id"], customers["last_name"], strict=True))
    return {
        f"instagram:{h}": (surnames[c], probability.get((f"instagram:{h}", c), 0.0))
        for c, h in x_handles.items()
    }


def test_an_instagram_username_equal_to_the_known_x_handle_is_within_privacy_reach(scored):
    """A username of words (`mocha_sunny172`, the X handle the CRM knows for Olivia Skogmo) is
    compared as 'their handle on the other platform' and still scores 0.0106: below 0.02, so
    Olivia's erasure request and opt-out do not reach the Instagram profile that carries her
    own X handle."""
    missed = {k: round(p, 4) for k, (_, p) in scored.items() if p < PRIVACY_REACH}
    print(missed)
    assert not missed, f"{len(missed)} of {len(scored)} out of the customer's privacy reach"


def test_a_truncated_surname_in_a_username_does_not_count_against_its_owner(scored):
    """X handles stop at 15 characters: `arthur_whitun93` (Arthur Whitunbrook's known X handle)
    is read as the name Arthur *Whitun*, a surname that disagrees with Whitunbrook, and the
    Instagram profile of exactly that handle scores 0.12: not even in the review queue."""
    truncated = {
        k: round(p, 4)
        for k, (surname, p) in scored.items()
        if (start := features.handle_name(k.split(":", 1)[1])[1])
        and len(start) >= features.SHOWN_SURNAME_LETTERS
        and (features.fold(surname) or "").startswith(start)
        and features.fold(surname) != start
    }
    low = {k: p for k, p in truncated.items() if p < REVIEW}
    print(low)
    assert not low, f"{len(low)} of {len(truncated)} usernames read as a truncated surname"


def test_the_aa_fold_does_not_join_a_forename_to_the_next_word():
    """`veraand312` (Vera Andling's X handle: Vera + And...) folds to `verand` ("aa" is read
    as å), so the handle no longer starts with the forename Vera plus 3 letters: it is read
    as the initial V and the surname `erand`, which disagrees with Andling (0.049 for the
    Instagram profile of exactly her known X handle)."""
    assert features.handle_name("veraand312", frozenset({"vera"}))[0] == "vera"
