"""The influence estimator (customer_value/influence.py): empirical Bayes pull, whatever the
input."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from social_crm.customer_value.influence import (
    ANSWERS,
    LIKES,
    interaction_influence,
    posterior_pull,
)

counts = st.floats(min_value=0, max_value=1e6, allow_nan=False)
positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)
profiles = st.sampled_from(
    [f"{platform}:{n}" for platform in ("facebook", "x", "instagram") for n in range(12)]
)
any_float = st.floats(allow_nan=True, allow_infinity=True)
kinds = st.sampled_from(sorted(set(ANSWERS.values())))
interaction_types = st.sampled_from([*sorted(ANSWERS), LIKES, "visitor_post_comment"])


@given(counts, counts, positive, positive, positive)
def test_pull_grows_with_interactions_drawn_when_messages_are_fixed(
    drawn, more, expected, prior_mean, shape
):
    assert posterior_pull(drawn + more, expected, prior_mean, shape) >= posterior_pull(
        drawn, expected, prior_mean, shape
    )


@given(positive, positive)
def test_a_profile_with_no_messages_gets_the_prior_mean(prior_mean, shape):
    assert math.isclose(posterior_pull(0.0, 0.0, prior_mean, shape), prior_mean)


@given(
    st.lists(st.tuples(profiles, kinds, st.floats(0, 400)), min_size=20, max_size=80),
    st.lists(st.tuples(profiles, interaction_types, st.floats(0, 400), counts), max_size=80),
    st.integers(0, 10**7),
)
def test_profiles_without_messages_share_their_platforms_prior(messages, drawn, followers):
    """Two profiles with no message and nothing drawn, the same follower count: the same
    pull (the prior's mean there, finite and positive) and no influence."""
    quiet = ["x:quiet-1", "x:quiet-2"]
    found = interaction_influence(messages, drawn, dict.fromkeys(quiet, followers), quiet)
    first, second = found[quiet[0]], found[quiet[1]]
    assert first.pull == second.pull and 0 < first.pull < math.inf
    assert first.influence == second.influence == 0.0


@given(
    st.lists(st.tuples(profiles, st.text(max_size=12) | kinds, any_float), max_size=60),
    st.lists(
        st.tuples(profiles, st.text(max_size=12) | interaction_types, any_float, any_float),
        max_size=60,
    ),
    st.dictionaries(profiles, st.none() | st.integers(-(10**6), 10**18), max_size=20),
)
def test_no_input_gives_nan_or_infinity(messages, drawn, followers):
    for estimate in interaction_influence(messages, drawn, followers).values():
        assert all(
            math.isfinite(v) and v >= 0
            for v in (estimate.influence, estimate.pull, estimate.messages)
        )
