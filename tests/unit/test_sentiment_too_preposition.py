"""The "too" rule's reach (docs/sentiment.md: "for", "för", "za" are also prepositions). After
"er"/"är" the preposition "for"/"för" before a noun says who or what something is for:
"Presenten är för mamma" (the present is for mum), "Rabatten er for medlemmer" (the discount is
for members); neither has a polar word, and neither is a complaint. Before an adjective it says
"too": "Kvernen er for dyr" is one."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from social_crm.sentiment import model, score_messages, text

FRAMES = {
    "sv": (
        "{} är för {}",
        ["Presenten", "Rabatten", "Koppen", "Erbjudandet"],
        ["mamma", "medlemmar", "te", "nya kunder", "barn"],
    ),
    "no": (
        "{} er for {}",
        ["Gaven", "Rabatten", "Koppen", "Tilbudet"],
        ["mamma", "medlemmer", "te", "nye kunder", "barn"],
    ),
}


@settings(max_examples=20, deadline=None)
@given(lang=st.sampled_from(sorted(FRAMES)), data=st.data())
@example(lang="sv", data=None)
def test_for_before_a_noun_after_to_be_is_no_complaint(lang, data):
    frame, subjects, nouns = FRAMES[lang]
    if data is None:
        body = "Presenten är för mamma"
    else:
        body = frame.format(data.draw(st.sampled_from(subjects)), data.draw(st.sampled_from(nouns)))
    message = score_messages([{"id": 1, "text": body, "lang": lang}])[0]
    valence = model.lexicon_valence(text.normalize(body), lang)
    assert message["sentiment"] != "negative" and message["intent"] != "complaint", (
        f"{body!r} ({lang}): {message['sentiment']}, intent {message['intent']} "
        f"({message['p_negative']:.2f}/{message['p_neutral']:.2f}/{message['p_positive']:.2f}),"
        f" lexicon valence {valence:.2f}"
    )


@settings(max_examples=30, deadline=None)
@given(lang=st.sampled_from(sorted(FRAMES)), data=st.data())
def test_for_before_a_noun_after_to_be_leaves_the_lexicon_valence_unturned(lang, data):
    frame, subjects, nouns = FRAMES[lang]
    body = frame.format(data.draw(st.sampled_from(subjects)), data.draw(st.sampled_from(nouns)))
    assert model.lexicon_valence(text.normalize(body), lang) >= 0.0


ADJECTIVES = {
    "sv": ("Kvarnen är för {}", ["dyr", "sent", "långsam", "högljudd", "krånglig", "dålig"]),
    "no": ("Kvernen er for {}", ["dyr", "seint", "treg", "vanskelig", "irriterende", "dårlig"]),
}


@settings(max_examples=20, deadline=None)
@given(lang=st.sampled_from(sorted(ADJECTIVES)), data=st.data())
def test_for_before_an_adjective_after_to_be_is_still_a_complaint(lang, data):
    frame, adjectives = ADJECTIVES[lang]
    body = frame.format(data.draw(st.sampled_from(adjectives)))
    assert model.lexicon_valence(text.normalize(body), lang) < 0
