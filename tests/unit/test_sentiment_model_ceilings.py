"""Readings the trained scorers get wrong because of what they learned, not because of a rule
(docs/sentiment.md "What is not met"): kept as strict expected failures, so a scorer that
reads them right says so."""

import pytest

from social_crm.sentiment import model, score_messages, text

# everyday facts and questions without a polar word, emoji or emoticon
FACTS = [
    ("pl", "Mam pytanie o zamówienie numer 4521."),  # I have a question about order 4521
    ("pl", "Jutro idę do sklepu."),  # tomorrow I am going to the shop
    ("pl", "Zwrot zrobiłem w sklepie."),  # I made the return in the shop
    ("pl", "Kupiłem dwa kubki i jedną paczkę kawy."),  # I bought two mugs and a pack of coffee
    ("pl", "Hotel jest przy dworcu."),  # the hotel is by the station
    ("pl", "Kubek za 30 zł"),  # a mug for 30 zł
    ("no", "Jeg kjøpte to kopper og en pakke kaffe."),  # I bought two mugs and a pack of coffee
]
NO_EVIDENCE_CEILING = (
    "model ceiling: the Polish and Norwegian regressions learned from reviews, where a sentence"
    " without a polar word is often a complaint or praise (Polish hotel reviews without one are"
    " 0.472 negative); their n-grams are evidence beyond the lexicon. Reading every dev text"
    " without lexicon evidence as neutral would take NoReC dev from 0.609 to 0.532, PolEmo"
    " from 0.821 to 0.463, Allegro from 0.604 to 0.593. Social messages labelled in these"
    " languages are needed."
)


@pytest.mark.parametrize(("lang", "body"), FACTS)
def test_a_fact_without_polar_word_emoji_or_emoticon_has_no_evidence(lang, body):
    read = text.normalize(body)
    assert model.lexicon_valence(read, lang) == 0.0
    assert not model.has_signs([read])[0]


@pytest.mark.xfail(strict=True, reason=NO_EVIDENCE_CEILING)
@pytest.mark.parametrize(("lang", "body"), FACTS)
def test_a_fact_without_polar_word_emoji_or_emoticon_reads_neutral(lang, body):
    message = score_messages([{"id": 1, "text": body, "lang": lang}])[0]
    assert message["sentiment"] == "neutral", (
        f"{body!r} ({lang}): {message['sentiment']} "
        f"({message['p_negative']:.2f}/{message['p_neutral']:.2f}/{message['p_positive']:.2f})"
    )
