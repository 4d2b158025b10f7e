"""`score_messages` gives each message the scorer's three probabilities beside its label and
score, consistent with them."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from social_crm.sentiment import model, score_messages

LANGS = st.sampled_from([None, "en", "no", "sv", "pl", "da", "und"])
TEXTS = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["Love it! 😍", "Inte bra alls...", "😡👎", "Nie polecam", "ikke bra"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TEXTS, LANGS), min_size=1, max_size=5))
def test_each_message_gets_probabilities_summing_to_one(messages):
    scored = score_messages([{"id": i, "text": t, "lang": g} for i, (t, g) in enumerate(messages)])
    for m in scored:
        p = [m["p_negative"], m["p_neutral"], m["p_positive"]]
        assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in p)
        assert math.isclose(sum(p), 1.0, abs_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TEXTS, LANGS), min_size=1, max_size=5))
def test_the_label_is_the_likeliest_class_and_the_score_p_positive_minus_p_negative(messages):
    scored = score_messages([{"id": i, "text": t, "lang": g} for i, (t, g) in enumerate(messages)])
    for m in scored:
        p = {c: m[f"p_{c}"] for c in model.CLASSES}
        assert p[m["sentiment"]] == max(p.values())
        assert m["score"] == round(p["positive"] - p["negative"], 4)


def test_the_probabilities_are_the_models():
    texts, langs = ["Love it! 😍", "Nie polecam, zimna kawa"], ["en", "pl"]
    scored = score_messages(
        [{"id": i, "text": t, "lang": g} for i, (t, g) in enumerate(zip(texts, langs, strict=True))]
    )
    expected = model.probabilities(texts, langs)
    assert [[m["p_negative"], m["p_neutral"], m["p_positive"]] for m in scored] == expected.tolist()
