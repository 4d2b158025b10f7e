"""Cross-platform evidence (model.with_vouched_handles): the handle of an X profile the model is
sure of becomes its customer's X handle, against which the other platform's
profiles are compared. Never from a doubtful profile, never over what the CRM knows. And the u
probabilities with the true matches taken out (model._u_without_matches)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from social_crm.identity import model

SURE = model.VOUCH_PROBABILITY


def _right(x_handles: dict[str, str | None] | None = None) -> pd.DataFrame:
    x_handles = x_handles or {}
    ids = ["C1", "C2", "C3"]
    return pd.DataFrame(
        {
            "unique_id": ids,
            "x_handle": [x_handles.get(c) for c in ids],
            "instagram_username": [None] * len(ids),
        }
    )


LEFT = pd.DataFrame(
    {
        "unique_id": ["x:1", "x:2", "instagram:mia.w", "facebook:9"],
        "platform": ["x", "x", "instagram", "facebook"],
        "handle_key": ["coffee_fika227", "bean_brew9", "mia.w", None],
    }
)


def _pairs(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["profile_key", "customer_id", "match_probability"])


def _handles(right: pd.DataFrame) -> dict[str, tuple]:
    right = right.astype(object).where(right.notna(), None)  # a missing handle: None
    return {
        c: (x, ig)
        for c, x, ig in zip(
            right["unique_id"], right["x_handle"], right["instagram_username"], strict=True
        )
    }


def test_a_sure_x_profiles_handle_becomes_its_customers_x_handle():
    vouched = model.with_vouched_handles(_right(), LEFT, _pairs(("x:1", "C1", 0.995)))
    assert _handles(vouched) == {
        "C1": ("coffee_fika227", None),
        "C2": (None, None),
        "C3": (None, None),
    }


def test_a_sure_instagram_profile_vouches_for_nobody():
    """An Instagram username is sure only by the name it spells: names never vouch."""
    right = _right()
    vouched = model.with_vouched_handles(right, LEFT, _pairs(("instagram:mia.w", "C2", 0.999)))
    assert vouched is right


def test_a_profile_with_another_possible_customer_vouches_for_nobody():
    right = _right()
    vouched = model.with_vouched_handles(
        right, LEFT, _pairs(("x:1", "C1", 0.995), ("x:1", "C2", 0.2))
    )
    assert vouched is right


def test_two_profiles_on_one_platform_sure_of_one_customer_vouch_for_neither():
    right = _right()
    vouched = model.with_vouched_handles(
        right, LEFT, _pairs(("x:1", "C1", 0.995), ("x:2", "C1", 0.999))
    )
    assert vouched is right


def test_a_profile_below_the_vouching_probability_vouches_for_nobody():
    right = _right()
    vouched = model.with_vouched_handles(right, LEFT, _pairs(("x:1", "C1", SURE - 0.01)))
    assert vouched is right


def test_a_profile_without_a_handle_vouches_for_nobody():
    right = _right()
    assert model.with_vouched_handles(right, LEFT, _pairs(("facebook:9", "C3", 1.0))) is right


@given(
    probabilities=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8),
    customers=st.lists(st.sampled_from(["C1", "C2", "C3"]), min_size=8, max_size=8),
    profiles=st.lists(st.sampled_from(list(LEFT["unique_id"])), min_size=8, max_size=8),
)
def test_a_handle_the_crm_knows_is_never_replaced_and_each_vouched_one_is_sure(
    probabilities, customers, profiles
):
    pairs = _pairs(*zip(profiles, customers, probabilities, strict=False)).drop_duplicates(
        ["profile_key", "customer_id"]
    )
    right = _right({"C1": "known_handle"})
    vouched = _handles(model.with_vouched_handles(right, LEFT, pairs))
    assert vouched["C1"][0] == "known_handle"
    handles = dict(zip(LEFT["unique_id"], LEFT["handle_key"], strict=True))
    for customer, (x, ig) in vouched.items():
        assert ig is None  # names never vouch: no Instagram username is vouched for
        for handle in (x, ig):
            if handle is None or handle == "known_handle":
                continue
            profile = next(k for k, h in handles.items() if h == handle)
            mine = pairs[pairs["profile_key"] == profile]
            assert set(mine["customer_id"][mine["match_probability"] >= SURE]) == {customer}
            assert (mine["match_probability"] >= model.VOUCH_RIVAL_PROBABILITY).sum() == 1


def _parameters(prior: float, levels: list[tuple[float, float]]) -> dict:
    return {
        "probability_two_random_records_match": prior,
        "comparisons": [
            {
                "comparison_levels": [
                    {"is_null_level": True},
                    *({"m_probability": m, "u_probability": u} for m, u in levels),
                ]
            }
        ],
    }


def test_the_true_matches_are_taken_out_of_a_rare_agreements_u():
    """An Instagram username equal to the customer's X handle, as the demo's world counted it:
    u 1.19e-4, m 0.28, prior 2.9e-4: 0.8e-4 of that u is true matches."""
    fixed = model._u_without_matches(_parameters(2.9e-4, [(0.28, 1.19e-4)]))
    u = fixed["comparisons"][0]["comparison_levels"][1]["u_probability"]
    assert abs(u - (1.19e-4 - 2.9e-4 * 0.28) / (1 - 2.9e-4)) < 1e-12


@given(
    prior=st.floats(0.0, 0.01),
    levels=st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(1e-9, 1.0)), min_size=1),
)
def test_a_corrected_u_is_a_probability_no_less_than_a_tenth_of_the_counted_one(prior, levels):
    """... and no more than the counted one where the level is evidence of a match (m >= u)."""
    fixed = model._u_without_matches(_parameters(prior, levels))
    for (m, counted), level in zip(
        levels, fixed["comparisons"][0]["comparison_levels"][1:], strict=True
    ):
        assert counted / 10 <= level["u_probability"] <= 1.0
        if m >= counted:
            assert level["u_probability"] <= counted
