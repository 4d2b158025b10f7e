"""What is read of a message (`text.normalize`, docs/sentiment.md "What is read of a message"):
everything that is dropped or made plain is dropped before the 2,000-character cut, so
invisible or styled characters can neither hide a complaint nor stretch what is read."""

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from social_crm.sentiment import languages, score_messages, text

COMPLAINTS = [
    "This is terrible, I hate it",
    "Worst coffee ever, never buying again",
    "Nie polecam, kawa była zimna i obrzydliwa",
    "Elendig service, aldri igjen",
]
# invisible format characters (Unicode category Cf): zero-width space, non-joiner, joiner,
# direction marks, soft hyphen, byte order mark, word joiner
FORMAT_CHARACTERS = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u00ad", "\ufeff", "\u2060"]


def _one(body: str, lang: str | None = None) -> dict:
    return score_messages([{"id": 1, "text": body, "lang": lang}])[0]


def _probabilities(m: dict) -> str:
    return f"{m['p_negative']:.2f}/{m['p_neutral']:.2f}/{m['p_positive']:.2f}"


@settings(max_examples=40, deadline=None)
@given(
    body=st.text(max_size=300),
    marks=st.lists(st.sampled_from(FORMAT_CHARACTERS), max_size=6_000),
)
@example(body=COMPLAINTS[0], marks=["\u200b"] * 2_000)
def test_format_characters_before_a_text_do_not_change_what_is_read(body, marks):
    assert text.normalize("".join(marks) + body) == text.normalize(body)


@settings(max_examples=15, deadline=None)
@given(
    body=st.sampled_from(COMPLAINTS),
    mark=st.sampled_from(FORMAT_CHARACTERS),
    count=st.integers(min_value=0, max_value=5_000),
)
@example(body=COMPLAINTS[0], mark="\u200b", count=2_000)
@example(body=COMPLAINTS[0], mark="\u200e", count=2_000)
def test_a_complaint_behind_invisible_characters_reads_as_the_complaint(body, mark, count):
    plain = _one(body)
    padded = _one(mark * count + body)
    assert (padded["lang"], padded["sentiment"]) == (plain["lang"], plain["sentiment"]), (
        f"{count} x U+{ord(mark):04X} before {body!r}: {padded['lang']}/{padded['sentiment']} "
        f"({_probabilities(padded)}) instead of {plain['lang']}/{plain['sentiment']}"
    )


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.text(max_size=3_000),
        # characters NFKC writes as several (up to 18: U+FDFA is a phrase of four words)
        st.sampled_from(["\ufdfa", "\ufdfb", "\u3300", "\u337f", "\u2474"]).map(
            lambda ch: ch * 2_000
        ),
    )
)
def test_at_most_max_chars_characters_are_read_whatever_normalising_writes(body):
    assert len(text.normalize(body)) <= text.MAX_CHARS


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=500))
def test_what_is_read_is_read_the_same_a_second_time(body):
    once = text.normalize(body)
    assert text.normalize(once) == once


@settings(max_examples=10, deadline=None)
@given(
    mark=st.sampled_from(["\u0332", "\u0305", "\u0333", "\u035f"]),
    word=st.sampled_from(["terrible", "awful", "horrible", "disgusting"]),
)
def test_letters_styled_with_combining_marks_read_as_the_plain_letters(mark, word):
    """A word underlined or overlined by a fancy-text generator (t̲e̲r̲r̲i̲b̲l̲e̲) reads as the
    word: no precomposed letter holds those marks, so NFKC leaves them, and they split it."""
    styled = "This is " + "".join(ch + mark for ch in word)
    assert text.normalize(styled) == f"This is {word}"


def test_letters_with_accents_typed_as_combining_marks_keep_their_accents():
    decomposed = unicodedata.normalize("NFD", "Kaffen på kafé var dårlig, zażółć gęślą jaźń")
    assert text.normalize(decomposed) == "Kaffen på kafé var dårlig, zażółć gęślą jaźń"


def test_an_emoji_keeps_its_variation_selector():
    assert text.normalize("Love it ❤️") == "Love it ❤️"


@settings(max_examples=12, deadline=None)
@given(
    apostrophe=st.sampled_from(["\u02bc", "\u00b4", "`", "\u2032"]),
    sentence=st.sampled_from(
        [
            "I don{a}t like it",
            "I didn{a}t enjoy it",
            "I can{a}t recommend it",
            "I wouldn{a}t recommend it",
        ]
    ),
)
def test_a_negation_typed_with_an_apostrophe_look_alike_negates(apostrophe, sentence):
    """Modifier letter apostrophe, acute accent, backtick and prime between letters (what
    non-English keyboards type) read as the apostrophe, so "don´t like" negates as "don't
    like" does."""
    straight = _one(sentence.format(a="'"), "en")
    confusable = _one(sentence.format(a=apostrophe), "en")
    assert straight["sentiment"] == "negative"
    assert (confusable["sentiment"], _probabilities(confusable)) == (
        straight["sentiment"],
        _probabilities(straight),
    ), f"{sentence.format(a=apostrophe)!r}: {confusable['sentiment']}"


LOOK_ALIKES = {"a": "а", "e": "е", "o": "о", "i": "і", "c": "с", "p": "р", "x": "х", "y": "у"}
LOOK_ALIKE_COMPLAINTS = [
    ("pl", "Nie polecam"),
    ("no", "Ikke bra"),
    ("en", "I do not recommend it"),
    ("en", "Worst service ever"),
]


@settings(max_examples=20, deadline=None)
@given(complaint=st.sampled_from(LOOK_ALIKE_COMPLAINTS), data=st.data())
@example(complaint=("pl", "Nie polecam"), data=None)
def test_a_complaint_typed_with_cyrillic_look_alikes_reads_as_the_complaint(complaint, data):
    """Cyrillic letters drawn as Latin ones (а е о і с р х у), in a word that has Latin letters
    too, read as the Latin letters: "Niе polecam" with a Cyrillic "е" is still "nie"."""
    lang, body = complaint
    if data is None:  # the "e" of "Nie" typed on a Cyrillic layout
        swapped = body.replace("ie", "iе", 1)
    else:
        positions = [i for i, ch in enumerate(body) if ch in LOOK_ALIKES]
        chosen = data.draw(st.sets(st.sampled_from(positions), min_size=1, max_size=2))
        swapped = "".join(LOOK_ALIKES[ch] if i in chosen else ch for i, ch in enumerate(body))
    plain, odd = _one(body), _one(swapped)
    assert plain["sentiment"] == "negative"
    assert (odd["lang"], odd["sentiment"]) == (plain["lang"], "negative"), (
        f"{swapped!r} ({swapped.encode('unicode_escape').decode()}): {odd['lang']}/"
        f"{odd['sentiment']} ({_probabilities(odd)})"
    )


def test_a_word_wholly_in_cyrillic_is_left_as_it_is():
    assert text.normalize("Спасибо, всё хорошо") == "Спасибо, всё хорошо"


def test_a_message_opening_with_many_handles_is_detected_from_its_words():
    """The detector's 500 characters are counted after links and @handles are taken out: a
    reply that opens with 600 characters of handles is detected from the sentence after them,
    not read as undetermined."""
    handles = " ".join(f"@user{i:03d}" for i in range(70))
    body = handles + " Kawa była zimna i dostawa spóźniona, nie polecam tego sklepu nikomu"
    assert len(handles) > languages.DETECT_CHARS
    assert languages.detect([body]) == ["pl"]
