"""Emoticons are evidence in every language (docs/sentiment.md "Emoji and emoticons"): a sad
face after a message makes it more negative, a smile more positive, whichever scorer reads it;
the trained regressions count their n-grams without them (the Norwegian one had learned ":("
as neutral from colons and brackets in review text). An emoticon whose mouth is repeated for
emphasis (":((") is the emoticon said louder, and one whose mouth is a letter (":D") is an
emoticon, not a word."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from social_crm.sentiment import score_messages

FACTS = {
    "no": ["Pakken kom i dag", "Jeg bestilte to kopper", "Budet kom klokka fem"],
    "pl": ["Paczka przyszła dzisiaj", "Kurier przyjechał o piątej"],
    "sv": ["Paketet kom idag", "Budet kom klockan fem"],
    "en": ["The parcel came today", "The courier came at five"],
}
# (emoticon, the class it is evidence for: 0 negative, 2 positive)
EMOTICONS = [(":(", 0), (":-(", 0), (":'(", 0), (":)", 2), (":-)", 2), (":D", 2)]


def _p(body: str, lang: str) -> list[float]:
    m = score_messages([{"id": 1, "text": body, "lang": lang}])[0]
    return [m["p_negative"], m["p_neutral"], m["p_positive"]]


@settings(max_examples=20, deadline=None)
@given(
    lang_body=st.sampled_from([(lang, b) for lang, bodies in FACTS.items() for b in bodies]),
    emoticon=st.sampled_from(EMOTICONS),
)
@example(lang_body=("no", "Pakken kom i dag"), emoticon=(":(", 0))
def test_an_emoticon_is_evidence_for_its_feeling_in_every_language(lang_body, emoticon):
    lang, body = lang_body
    face, cls = emoticon
    plain, marked = _p(body, lang), _p(f"{body} {face}", lang)
    assert marked[cls] > plain[cls], (
        f"{body!r} ({lang}): adding {face!r} moves P({['negative', '', 'positive'][cls]}) "
        f"from {plain[cls]:.2f} to {marked[cls]:.2f} (neutral {plain[1]:.2f} -> {marked[1]:.2f})"
    )


@settings(max_examples=12, deadline=None)
@given(
    lang_body=st.sampled_from([("sv", "Paketet kom idag"), ("de", "Das Paket kam heute")]),
    face=st.sampled_from([(":((", 0), (":(((", 0), (":-((", 0), (":))", 2), (":)))", 2)]),
)
@example(lang_body=("sv", "Paketet kom idag"), face=(":((", 0))
def test_an_emoticon_with_its_mouth_repeated_is_evidence_as_the_single_one(lang_body, face):
    """ ":((" and ":))" (the mouth repeated for emphasis, as Polish and Swedish writers do)
    are evidence as ":(" and ":)" are (they counted as none: the no-evidence prior)."""
    lang, body = lang_body
    emoticon, cls = face
    single = ":(" if cls == 0 else ":)"
    plain, once, repeated = (
        _p(body, lang),
        _p(f"{body} {single}", lang),
        _p(f"{body} {emoticon}", lang),
    )
    assert once[cls] > plain[cls]  # the single emoticon is evidence
    assert repeated[cls] > plain[cls], (
        f"{body} {emoticon!r} ({lang}): P = {repeated[cls]:.2f}, as with no emoticon "
        f"({plain[cls]:.2f}); with {single!r}: {once[cls]:.2f}"
    )
