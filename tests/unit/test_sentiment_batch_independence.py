"""A message's stored probabilities are a function of the message: the batches of a rerun
after a failure, an incremental pass or the command line's --batch-size are not the first
run's, and the same message at the same scorer version must store the same values, to the
last bit."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from social_crm.sentiment import score_messages

KEYS = ("lang", "p_negative", "p_neutral", "p_positive", "score", "sentiment", "intent")
TEXTS = [
    "Inte bra alls",
    "Jeg elsker denne koppen!",
    "Å" * 600 + " bra",
    "Kawa była zimna, nie polecam",
    "Too expensive :(",
    "Love it 😍",
    "Elendig service, aldri igjen",
    "ok",
]


@settings(max_examples=20, deadline=None)
@given(
    message=st.sampled_from(TEXTS) | st.text(min_size=1, max_size=80),
    lang=st.sampled_from(["nb", "pl", "sv", "en", None]),
    neighbours=st.lists(st.sampled_from(TEXTS), min_size=1, max_size=40),
)
@example(
    message="Inte bra alls Jeg elsker denne koppen!",
    lang="nb",
    neighbours=TEXTS[:4],
)
def test_a_messages_probabilities_do_not_depend_on_the_rest_of_its_batch(message, lang, neighbours):
    alone = score_messages([{"id": "m", "text": message, "lang": lang}])[0]
    batch = [{"id": i, "text": t, "lang": lang} for i, t in enumerate(neighbours)]
    together = score_messages([*batch, {"id": "m", "text": message, "lang": lang}])[-1]
    assert {k: together[k] for k in KEYS} == {k: alone[k] for k in KEYS}
