"""A burst of likes (bought, or a bot network's) on one Instagram media, against the ranking
promise (docs/data-model.md#influence: influence ranks people as the simulator's truth does,
the answers from others a profile's messages draw). Likes are "evidence of pull, not
answers", yet the estimate multiplies a profile's expected answers by a pull that the likes
drive: a profile that drew fewer comments than another, on as many media, is ranked above it
once its media's like_count jumps. The real estimator (influence.interaction_influence), with
Hypothesis drawing the platform, the two profiles' comments and the burst."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from social_crm.customer_value.influence import interaction_influence


@settings(max_examples=60, deadline=None)
@given(
    others=st.lists(st.integers(min_value=0, max_value=8), min_size=12, max_size=40),
    fewer=st.integers(min_value=0, max_value=3),
    more=st.integers(min_value=5, max_value=12),
    burst=st.integers(min_value=5_000, max_value=1_000_000),
)
def test_infl_a_like_burst_does_not_rank_a_profile_above_one_that_drew_more_answers(
    others, fewer, more, burst
):
    messages, drawn = [], []
    comments = {"buyer": fewer, "answered": more} | {f"p{i}": c for i, c in enumerate(others)}
    for name, count in comments.items():
        key = f"instagram:{name}"
        for day in range(5):  # five media each, a week apart, 20 likes each
            messages.append((key, "media", float(day * 7)))
            drawn.append((key, "like", float(day * 7), 20.0))
        drawn += [(key, "comment_received", 3.0, 1.0)] * count
    drawn.append(("instagram:buyer", "like", 1.0, float(burst)))
    found = interaction_influence(messages, drawn, {})
    buyer, answered = found["instagram:buyer"], found["instagram:answered"]
    assert buyer.influence <= answered.influence, (
        f"{fewer} comments + {burst} likes ranks above {more} comments:"
        f" {buyer.influence:.2f} > {answered.influence:.2f}"
    )
