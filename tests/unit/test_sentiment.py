"""Language, sentiment and intent rules of the message scorer (pure functions)."""

import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from social_crm.sentiment import cli as sentiment_cli
from social_crm.sentiment import intent, languages, model, score_messages, text


def test_norwegian_written_forms_and_platform_tags_are_one_language():
    assert [languages.normalize(t) for t in ("nb", "nn", "no", "EN", "pt-BR")] == [
        "no",
        "no",
        "no",
        "en",
        "pt",
    ]


def test_x_tags_that_name_no_language_are_detected_instead():
    assert languages.normalize("qme") is None
    assert languages.detect(["Jag älskar den här muggen, tack!"], ["und"]) == ["sv"]


def test_text_without_letters_is_undetermined():
    assert languages.detect(["👍👍"]) == ["und"]


def test_negation_marks_the_next_words_until_punctuation():
    tokens = text.words("I do not like this mug. Love it", "en")
    assert "neg_like" in tokens and "love" in tokens


def test_links_and_mentions_do_not_make_text_unique():
    assert text.clean("@alice see https://t.co/x1") == "@user see http"


def test_the_idea_tag_is_a_sure_signal_whatever_the_sentiment():
    assert intent.intent("#idea this is terrible, make it decaf", "negative") == "idea"


def test_inflected_polish_discount_words_are_discount_requests():
    assert intent.intent("Czy są jakieś zniżki na młynek?", "neutral") == "discount"


def test_a_question_word_first_makes_a_question_without_a_question_mark():
    assert intent.intent("hvordan rengjør jeg kvernen", "neutral") == "product_question"


def test_a_negative_statement_is_a_complaint():
    assert intent.intent("The mug arrived cracked and nobody cares", "negative") == "complaint"


def test_a_negative_question_is_a_question():
    assert intent.intent("Why is the grinder so loud?", "negative") == "product_question"


def test_a_named_service_failure_is_a_complaint_even_when_asked():
    assert intent.intent("Gdzie jest mój zwrot?", "neutral") == "complaint"


def test_polish_negation_turns_a_positive_word():
    assert model.lexicon_valence("Polecam ten ekspres", "pl") > 0
    assert model.lexicon_valence("Nie polecam tego ekspresu", "pl") < 0


def test_scores_lie_between_minus_one_and_one_and_agree_with_the_label():
    scored = score_messages(
        [
            {"id": 1, "text": "Absolutely love this coffee, thank you!"},
            {"id": 2, "text": "Dette var en skikkelig skuffelse, elendig kundeservice."},
            {"id": 3, "text": "Beznadziejna obsługa, nie polecam."},
        ]
    )
    assert [m["sentiment"] for m in scored] == ["positive", "negative", "negative"]
    assert all(-1 <= m["score"] <= 1 for m in scored)
    assert scored[0]["score"] > 0 > scored[1]["score"]


def test_the_platform_language_tag_is_kept():
    (scored,) = score_messages([{"id": "a", "text": "Takk for sist!", "lang": "nb"}])
    assert scored["lang"] == "no"


def test_the_command_scores_good_lines_and_names_bad_ones():
    lines = [
        json.dumps({"id": "1", "text": "Great service, thanks!"}),
        "not json",
        json.dumps({"id": "2", "text": 5}),
        json.dumps({"id": "3", "text": "Hur lång är leveranstiden?", "lang": "sv"}),
    ]
    out, err = io.StringIO(), io.StringIO()
    assert sentiment_cli.score_stream(lines, out, err, batch_size=2) == 1
    scored = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [m["id"] for m in scored] == ["1", "3"]
    assert set(scored[0]) == {
        "id",
        "text",
        "lang",
        "sentiment",
        "score",
        "intent",
        "p_negative",
        "p_neutral",
        "p_positive",
    }
    assert "line 2: not JSON" in err.getvalue() and "line 3:" in err.getvalue()


def test_a_staff_correction_with_an_unknown_sentiment_is_refused_naming_it():
    import pytest

    from social_crm.extract.crm import InvalidRow, sentiment_override_record

    row = {"message_id": "123_456", "sentiment": "furious", "decided_at": "2026-11-30T10:00:00Z"}
    with pytest.raises(InvalidRow, match="sentiment 'furious' is not one of negative"):
        sentiment_override_record(row)


def test_a_staff_correction_without_an_intent_keeps_the_scorers():
    from social_crm.extract.crm import sentiment_override_record

    row = {"message_id": "123_456", "sentiment": "Negative", "decided_at": "2026-11-30T10:00:00Z"}
    record = sentiment_override_record(row)
    assert record.payload["sentiment"] == "negative" and record.payload["intent"] is None


LANGS = ("en", "no", "da", "sv", "pl", "de", "und")


@given(st.lists(st.text(), min_size=1, max_size=5), st.sampled_from(LANGS))
@settings(max_examples=60, deadline=None)
def test_probabilities_lie_in_0_1_and_sum_to_1_for_any_unicode_text(texts, lang):
    p = model.probabilities(texts, [lang] * len(texts))
    assert p.shape == (len(texts), 3)
    assert np.all((p >= 0) & (p <= 1)) and np.allclose(p.sum(axis=1), 1.0)


@given(
    st.text(), st.sampled_from(["😡", "👎", "😍", "❤️", ":-(", "<3", "🙂"]), st.sampled_from(LANGS)
)
@settings(max_examples=60, deadline=None)
def test_appending_an_emoji_or_emoticon_to_any_text_is_scored(text_, sign, lang):
    ((sentiment, value),) = model.score([f"{text_} {sign}"], [lang])
    assert sentiment in model.CLASSES and -1 <= value <= 1


@given(st.sampled_from(LANGS))
def test_angry_and_thumbs_down_emoji_alone_are_negative_in_any_language(lang):
    assert model.score(["😡👎"], [lang])[0][0] == "negative"


@given(st.sampled_from(LANGS))
def test_a_negative_emoji_lowers_the_score_in_any_language(lang):
    base = "Thanks for the answer" if lang == "en" else "ok"
    plain, angry = model.probabilities([base, f"{base} 😡"], [lang, lang])
    assert angry[0] > plain[0]


def test_a_repeated_emoji_is_counted_once():
    assert np.array_equal(model.emoji_evidence(["😡😡😡"]), model.emoji_evidence(["😡"]))


def test_an_empty_batch_has_no_rows():
    assert model.probabilities([], []).shape == (0, 3)


@pytest.mark.parametrize(
    ("lang", "positive", "negated"),
    [
        ("sv", "Bra", "Inte bra alls"),
        ("no", "Bra", "Ikke bra i det hele tatt"),
        ("pl", "Polecam", "Nie polecam"),
        ("en", "Good", "Not good at all"),
    ],
)
def test_negation_moves_a_positive_word_towards_negative(lang, positive, negated):
    pos, neg = model.probabilities([positive, negated], [lang, lang])
    assert neg[0] > pos[0] and neg[2] < pos[2]


@pytest.mark.parametrize(
    ("lang", "plain", "stronger"),
    [
        ("sv", "dålig kundservice", "riktigt dålig kundservice"),
        ("sv", "bra", "jättebra"),
        ("no", "fornøyd", "kjempefornøyd"),
        ("no", "dårlig service", "veldig dårlig service"),
        ("pl", "dobry", "bardzo dobry"),
    ],
)
def test_an_intensifier_or_intensifying_prefix_strengthens_the_lexicon_valence(
    lang, plain, stronger
):
    plain_valence = model.lexicon_valence(plain, lang)
    assert plain_valence != 0
    assert abs(model.lexicon_valence(stronger, lang)) > abs(plain_valence)
    assert np.sign(model.lexicon_valence(stronger, lang)) == np.sign(plain_valence)


@pytest.mark.parametrize(
    ("lang", "plain", "weaker"),
    [("sv", "dålig", "ganska dålig"), ("no", "bra", "litt bra"), ("pl", "dobry", "raczej dobry")],
)
def test_a_dampener_weakens_the_lexicon_valence(lang, plain, weaker):
    assert 0 < abs(model.lexicon_valence(weaker, lang)) < abs(model.lexicon_valence(plain, lang))


@pytest.mark.parametrize(
    ("lang", "doc"),
    [
        ("sv", "Ej bra"),
        ("sv", "Knappast bra"),
        ("no", "Neppe bra"),
        ("no", "Hverken bra eller billig"),
        ("pl", "Wcale dobry"),
        ("pl", "Żadnych dobrych stron"),
    ],
)
def test_each_languages_other_negation_words_turn_a_positive_word(lang, doc):
    assert model.lexicon_valence(doc, lang) < 0


@pytest.mark.parametrize(
    ("lang", "doc"),
    [
        ("no", "Aldri opplevd så dårlig service"),
        ("sv", "Aldrig sett så dålig service"),
    ],
)
def test_never_so_strengthens_rather_than_turns(lang, doc):
    polar_word = doc.split()[-2]
    assert model.lexicon_valence(polar_word, lang) < 0
    assert model.lexicon_valence(doc, lang) < 0


@pytest.mark.parametrize(
    ("lang", "good", "bad"),
    [("no", "fint", "dårlig"), ("sv", "bra", "dålig"), ("pl", "ładny", "zły")],
)
def test_the_clause_after_men_or_ale_weighs_more_than_the_one_before(lang, good, bad):
    contrast = text.CONTRASTS[lang]
    good_then_bad = model.lexicon_valence(f"{good}, {contrast} {bad}", lang)
    bad_then_good = model.lexicon_valence(f"{bad}, {contrast} {good}", lang)
    assert good_then_bad < bad_then_good


SWEDISH_WORDS = st.sampled_from(
    ["bra", "inte", "dålig", "riktigt", "usel", "kvalitet", "tack", "leverans", "jättebra", "😍"]
)


@given(st.lists(SWEDISH_WORDS, min_size=1, max_size=8).map(" ".join))
@settings(max_examples=30, deadline=None)
def test_swedish_is_read_by_the_lexicon_scorer(text_):
    w = model.weights()
    lexicon = model.lexicon_logits(w.lexicon, [text_], ["sv"]) / w.lexicon_temperature
    expected = model.softmax(lexicon + model.emoji_logits(w.emoji, [text_]))
    assert np.allclose(model.probabilities([text_], ["sv"]), expected)


# plain words per language: polar and not, none a negation or a contrast
PLAIN_WORDS = {
    "en": ["good", "service", "bad", "the", "order", "love", "so", "came"],
    "no": ["bra", "service", "dårlig", "pakken", "kom", "elendig", "så", "svarer"],
    "da": ["god", "service", "dårlig", "pakken", "kom", "elendig", "så", "svarer"],
    "sv": ["bra", "service", "dålig", "paketet", "kom", "usel", "så", "svarar"],
    "pl": ["dobry", "obsługa", "zły", "paczka", "przyszła", "polecam", "tak", "odpisuje"],
}


def clauses_with_negations(lang: str) -> st.SearchStrategy[list[str]]:
    """The tokens of a text in a language: clauses of plain words and negations, each ended by
    punctuation or the language's contrast word."""
    word = st.sampled_from(PLAIN_WORDS[lang] + sorted(text.NEGATIONS[lang]))
    boundary = st.sampled_from(sorted(text.CLAUSE_END) + [text.CONTRASTS[lang]])
    clause = st.tuples(st.lists(word, min_size=1, max_size=6), boundary)
    return st.lists(clause, min_size=2, max_size=4).map(
        lambda clauses: [t for words, end in clauses for t in [*words, end]]
    )


@given(
    st.sampled_from(sorted(PLAIN_WORDS)).flatmap(
        lambda lang: st.tuples(st.just(lang), clauses_with_negations(lang))
    )
)
@settings(max_examples=200, deadline=None)
def test_a_negation_never_marks_a_word_past_punctuation_or_a_contrast(lang_and_tokens):
    lang, tokens = lang_and_tokens
    read = text.words(" ".join(tokens), lang)
    assert len(read) == len(tokens)
    last_negation = None  # position of the last negation not yet cut by a boundary
    for i, (token, word) in enumerate(zip(tokens, read, strict=True)):
        if word.startswith(text.NEGATED):
            assert last_negation is not None and i - last_negation <= text.NEGATION_SCOPE
        if token in text.CLAUSE_END or token == text.CONTRASTS[lang]:
            last_negation = None  # written out here, not read from text.scope_ends
        elif token in text.NEGATIONS[lang]:
            last_negation = i


LEXICON_LANGS = ("no", "da", "sv", "pl")


@given(st.sampled_from(LEXICON_LANGS), st.data())
@settings(max_examples=100, deadline=None)
def test_negations_before_punctuation_or_a_contrast_leave_the_lexicon_valence_after_it(lang, data):
    negations = st.sampled_from(sorted(text.NEGATIONS[lang]))
    before = data.draw(st.lists(negations, min_size=1, max_size=3))
    cut = data.draw(st.sampled_from(sorted(text.CLAUSE_END) + [text.CONTRASTS[lang]]))
    after = data.draw(st.lists(st.sampled_from(PLAIN_WORDS[lang]), min_size=1, max_size=6))
    plain = PLAIN_WORDS[lang][1]  # a word without polarity
    negated = model.lexicon_valence(" ".join([plain, *before, cut, *after]), lang)
    without = model.lexicon_valence(" ".join([plain, *[plain] * len(before), cut, *after]), lang)
    assert negated == pytest.approx(without)


# Swedish words that carry no feeling: questions and statements a customer writes
SWEDISH_PLAIN = st.sampled_from(
    [
        "finns",
        "det",
        "en",
        "rabattkod",
        "till",
        "kaffet",
        "när",
        "kommer",
        "den",
        "tillbaka",
        "i",
        "lager",
        "öppnar",
        "ni",
        "på",
        "lördag",
        "hur",
        "mycket",
        "kostar",
        "leveransen",
    ]
)


@given(st.lists(SWEDISH_PLAIN, min_size=1, max_size=8).map(" ".join), st.sampled_from("?."))
@settings(max_examples=50, deadline=None)
def test_a_swedish_message_without_a_polar_word_is_most_likely_neutral(words, end):
    message = words + end
    assert model.lexicon_valence(message, "sv") == 0
    assert model.score([message], ["sv"])[0][0] == "neutral"


# "too" before an adjective, in each language: (the words before, "too", adjectives that are
# not polar)
TOO = {
    "en": ("The grinder is", "too", ["expensive", "small", "big", "slow", "loud", "heavy"]),
    "no": ("Kvernen er", "for", ["dyr", "liten", "stor", "treg", "høy", "tung"]),
    "da": ("Kværnen er alt", "for", ["dyr", "lille", "stor", "langsom", "høj", "tung"]),
    "sv": ("Kvarnen är", "för", ["dyr", "liten", "stor", "långsam", "högljudd", "tung"]),
    "pl": ("Młynek jest", "za", ["drogi", "mały", "duży", "wolny", "głośny", "ciężki"]),
}


@given(st.sampled_from(sorted(TOO)), st.data())
@settings(max_examples=40, deadline=None)
def test_too_before_an_adjective_reads_as_a_complaint(lang, data):
    before, too, adjectives = TOO[lang]
    adjective = data.draw(st.sampled_from(adjectives))
    plain = model.lexicon_valence(f"{before} {adjective}", lang)
    assert model.lexicon_valence(f"{before} {too} {adjective}", lang) < min(plain, 0)


# evaluative participles and adjectives people end a complaint with, in their inflections
# (bokmål and nynorsk; Polish masculine, feminine and neuter), and questions without a polar word
EVALUATIVE = {
    "no": [
        "irriterende",
        "irriterande",
        "skuffende",
        "skuffande",
        "frustrerende",
        "frustrerande",
        "frustrert",
        "elendig",
        "håplaust",
        "kjedeleg",
        "forferdeleg",
    ],
    "sv": ["irriterande", "frustrerande", "besviken", "pinsamt", "uselt"],
    "pl": [
        "irytujący",
        "irytujące",
        "irytująca",
        "rozczarowujące",
        "rozczarowujący",
        "frustrujące",
        "frustrujący",
        "wkurzające",
        "beznadziejne",
    ],
}
QUESTIONS = {
    "no": ["Hvorfor er den alltid utsolgt?", "Når kommer den tilbake?"],
    "sv": ["Varför är den alltid slutsåld?", "När kommer den tillbaka?"],
    "pl": ["Dlaczego ten produkt jest zawsze wyprzedany?", "Kiedy wróci do sprzedaży?"],
}


@given(st.sampled_from(sorted(EVALUATIVE)), st.data())
@settings(max_examples=60, deadline=None)
def test_an_evaluative_word_after_a_question_makes_the_lexicon_valence_negative(lang, data):
    question = data.draw(st.sampled_from(QUESTIONS[lang]))
    word = data.draw(st.sampled_from(EVALUATIVE[lang]))
    assert model.lexicon_valence(question, lang) == 0
    assert model.lexicon_valence(f"{question} {word.capitalize()}.", lang) < 0


NORWEGIAN_WORDS = st.sampled_from(
    ["bra", "ikke", "elendig", "veldig", "kvaliteten", "takk", "pakken", "hvorfor", "?", "😡"]
)


@given(st.lists(NORWEGIAN_WORDS, min_size=1, max_size=8).map(" ".join))
@settings(max_examples=30, deadline=None)
def test_the_norwegian_scorer_adds_the_lexicon_evidence_at_its_weight(text_):
    w = model.weights()
    scorer = w.trained["no"]
    assert scorer.lexicon_weight > 0
    evidence = model.lexicon_evidence(w.lexicon, [text_], ["no"])
    regression = scorer.logits([text_], ["no"]) + scorer.lexicon_weight * evidence
    expected = model.softmax(regression / scorer.temperature + model.emoji_logits(w.emoji, [text_]))
    assert np.allclose(model.probabilities([text_], ["no"]), expected)


# words the Norwegian and Polish lexicons do not rate, and words they rate strongly
UNRATED = {
    "no": ["pakken", "kom", "i", "dag", "og", "jeg", "fikk"],
    "pl": ["paczka", "przyszła", "dziś", "i", "mam", "na", "kuriera"],
}
RATED = {"no": ["elendig", "fantastisk", "skuffende"], "pl": ["porażka", "rewelacja", "irytujące"]}


@given(
    st.sampled_from(["no", "pl"]).flatmap(
        lambda lang: st.tuples(
            st.just(lang),
            st.lists(st.sampled_from(UNRATED[lang]), min_size=1, max_size=6).map(" ".join),
            st.sampled_from(RATED[lang]),
        )
    )
)
@settings(max_examples=30, deadline=None)
def test_a_text_has_the_sentence_evidence_of_its_polar_sentence_alone(case):
    lang, neutral, polar = case
    lexicon = model.weights().lexicon
    whole = model.sentence_evidence(lexicon, [f"{neutral}. {polar.capitalize()}."], [lang])
    alone = model.sentence_evidence(lexicon, [f"{polar.capitalize()}."], [lang])
    assert np.allclose(whole, alone)
    assert np.abs(alone).sum() > 0


@given(
    st.sampled_from(["no", "pl"]).flatmap(
        lambda lang: st.tuples(
            st.just(lang),
            st.sampled_from(RATED[lang]),
            st.lists(st.sampled_from(UNRATED[lang]), min_size=1, max_size=6).map(" ".join),
        )
    )
)
@settings(max_examples=30, deadline=None)
def test_a_polar_word_weighs_less_in_a_longer_sentence(case):
    lang, polar, neutral = case
    lexicon = model.weights().lexicon
    short = model.sentence_evidence(lexicon, [polar], [lang])
    longer = model.sentence_evidence(lexicon, [f"{neutral} {polar}"], [lang])
    assert np.abs(longer).sum() < np.abs(short).sum()


@given(
    st.sampled_from(["no", "pl"]).flatmap(
        lambda lang: st.tuples(
            st.just(lang), st.lists(st.sampled_from(UNRATED[lang]), max_size=8).map(" ".join)
        )
    )
)
@settings(max_examples=20, deadline=None)
def test_a_text_without_a_rated_word_has_no_sentence_evidence(case):
    lang, neutral = case
    found = model.sentence_evidence(model.weights().lexicon, [neutral], [lang])
    assert np.all(found == 0)
