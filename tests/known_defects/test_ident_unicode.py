"""Odd but ordinary text in names, as an unlucky customer writes them: invisible format
characters that copy and paste bring along (soft hyphen, zero-width space, word joiner, byte
order mark), and Latin letters that Unicode does not decompose (Turkish dotless ı, French œ).
The identity model compares names folded by features.fold ("names are folded first
(diacritics dropped ...)", docs/data-model.md#identity-resolution); a folded name that differs
from the same name typed plainly misses its customer, and a pair that is not scored is outside
the reach of their opt-out and erasure."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from social_crm.identity import features, model
from social_crm_dev.bench import linking_inputs

pytestmark = [
    # an open defect an outside attack found: runs in `make eval` until it is fixed
    pytest.mark.eval_only,
    pytest.mark.xfail(strict=True, reason="open identity defect"),
]


# Cf characters that render as nothing inside a word
INVISIBLE = ["\u00ad", "\u200b", "\u2060", "\ufeff", "\u200c", "\u200d"]
NAMES = ["Olivia Skogmo", "Jakub Woźnoliak", "Arthur Whitunbrook", "Vera Andling", "Emma Aaslie"]


@given(
    name=st.sampled_from(NAMES),
    mark=st.sampled_from(INVISIBLE),
    where=st.integers(min_value=1, max_value=4),
)
@settings(max_examples=60, deadline=None)
def test_an_invisible_format_character_inside_a_name_does_not_change_it(name, mark, where):
    """'Oli\\u00advia Skogmo' (a soft hyphen) folds to 'oli via skogmo': forename 'oli'.
    Inside the surname it is worse: 'Skog\\ufeffmo' leaves the surname 'mo'."""
    first, last = name.split(" ")
    typed = f"{first[:where]}{mark}{first[where:]} {last}"
    forenames = frozenset({features.fold(first)})
    assert features.split_display_name(typed, forenames) == features.split_display_name(
        name, forenames
    )


@pytest.mark.parametrize(
    ("written", "typed"),
    [("Işık Yılmaz", "Isik Yilmaz"), ("Chloé Cœurdevey", "Chloe Coeurdevey")],
)
def test_a_latin_letter_without_a_decomposition_folds_to_its_plain_letters(written, typed):
    """The dotless ı is dropped as if it were punctuation: 'Işık Yılmaz' folds to
    'is k y lmaz' (forename 'is', surname 'lmaz'), so the customer 'Isik Yilmaz' (typed
    without the Turkish keyboard) shares neither name with her own profile."""
    assert features.fold(written) == features.fold(typed)


@pytest.fixture(scope="module")
def world():
    return linking_inputs(300, 500)


@pytest.mark.slow
def test_a_soft_hyphen_in_a_facebook_name_keeps_it_in_the_customers_privacy_reach(world):
    """Through the model: a customer's own Facebook profile, their exact name with a soft
    hyphen in the surname ('Ava Fai\u00adrby': surname 'rby'), is not even scored with them
    (no pair from 0.01): their opt-out and erasure do not reach it (privacy_exclusion_probability
    0.02), nor is it linked."""
    mark = "\u00ad"
    profiles, customers, truth, known = world
    present = set(profiles["profile_key"])
    owned = {c for k, c in truth.items() if k in present} | set(known.values())
    victim = customers[~customers["customer_id"].isin(owned)].iloc[0]
    last = victim["last_name"]
    shown = f"{victim['first_name']} {last[:3]}{mark}{last[3:]}"
    mine = pd.DataFrame(
        [
            {
                "profile_key": "facebook:970000001",
                "platform": "facebook",
                "display_name": shown,
                "handle": None,
                "location": None,
            }
        ]
    )
    scored = model.score(pd.concat([profiles, mine], ignore_index=True), customers, known)
    pairs = scored.pairs
    pair = pairs[
        (pairs["profile_key"] == "facebook:970000001")
        & (pairs["customer_id"] == victim["customer_id"])
    ]
    probability = float(pair["match_probability"].max()) if len(pair) else 0.0
    print(repr(shown), probability)
    assert probability >= 0.02
