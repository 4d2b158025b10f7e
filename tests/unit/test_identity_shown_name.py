"""The name a profile shows (features.shown_name): its display name's, else the name its handle
spells (an Instagram username is all Instagram shows of a person), never a name read from
noise. Hypothesis over hostile text: Unicode, confusables, control characters, emoji, empty."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from social_crm.identity import features

FORENAMES = frozenset({"chloe", "leo", "sindre", "mia", "tiril"})
LETTERS = re.compile(r"^[a-z]+$")
# hostile characters a name or a username may carry: zero-width and control characters,
# letters from other scripts that look Latin, emoji, combining marks
HOSTILE = st.sampled_from(
    ["\u200b", "\u200d", "\x00", "\x1b", "\u202e", "а", "е", "о", "ο", "ℓ", "🙂", "☕️", "\u0301"]
)
TEXT = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.lists(st.one_of(HOSTILE, st.sampled_from(["chloe", "leo", ".", "_", "rederford", "7"]))).map(
        "".join
    ),
)


def test_a_username_of_a_forename_and_a_surname_shows_that_name():
    assert features.shown_name(None, "chloe.rederford", FORENAMES) == ("chloe", "rederford")


def test_a_username_glued_after_a_known_forename_shows_that_name():
    assert features.shown_name(None, "leooldley79", FORENAMES) == ("leo", "oldley")


def test_a_username_of_a_word_then_a_forename_shows_no_name():
    assert features.shown_name(None, "pixel.tiril", FORENAMES) == (None, None)


def test_a_username_with_a_surnames_start_only_shows_no_name():
    """ "sindre_foss33" for Fossberg: as a surname "foss" would count against the true
    customer; the handle comparison reads it instead."""
    assert features.shown_name(None, "sindre_foss33", FORENAMES) == (None, None)


def test_a_pseudonym_gives_way_to_the_name_the_handle_spells():
    assert features.shown_name("sunny 🌊✨", "mia_woodisle285", FORENAMES) == ("mia", "woodisle")


def test_a_forename_alone_wins_over_the_handle():
    assert features.shown_name("Tiril", "mia_woodisle285", FORENAMES) == ("tiril", None)


def test_a_display_name_wins_over_the_handle():
    assert features.shown_name("Mia Woodisle", "chloe.rederford", FORENAMES) == (
        "mia",
        "woodisle",
    )


@given(display_name=TEXT, handle=TEXT)
def test_a_shown_name_is_plain_lowercase_letters_or_none(display_name, handle):
    forename, surname = features.shown_name(display_name, handle, FORENAMES)
    for part in (forename, surname):
        assert part is None or LETTERS.match(part)
    assert surname is None or forename is not None


@given(handle=TEXT)
def test_a_handle_shows_a_name_only_from_a_known_forename_or_an_initial(handle):
    forename, surname = features.shown_name(None, handle, FORENAMES)
    if forename is not None:
        assert len(forename) == 1 or forename in FORENAMES
        assert surname is not None and len(surname) >= features.SHOWN_SURNAME_LETTERS


# letters of other scripts (Cyrillic, Greek) that look like Latin ones; not a compatibility
# form of the Latin letter itself ("ℓ", fullwidth "ｌ"), which folds to it (the next test)
LOOK_ALIKES = {"a": "аα", "e": "е", "o": "оο", "c": "с", "r": "г", "l": "ӏ", "d": "ԁ", "h": "һ"}


@given(st.data())
def test_a_look_alike_letter_in_a_username_never_passes_for_the_plain_name(data):
    """A username that is a customer's name with one letter swapped for a look-alike of another
    script is not that name: an impersonation does not pass for the person."""
    plain = "chloe.rederford"
    at = data.draw(st.sampled_from([i for i, c in enumerate(plain) if c in LOOK_ALIKES]))
    disguised = plain[:at] + data.draw(st.sampled_from(LOOK_ALIKES[plain[at]])) + plain[at + 1 :]
    assert features.shown_name(None, disguised, FORENAMES) != ("chloe", "rederford")


def test_a_name_in_compatibility_letters_is_the_plain_name():
    """Styled letters (fullwidth, script l) are the Latin letters themselves (NFKD): people who
    style their name are still found; a look-alike of another script is not (above)."""
    assert features.shown_name("Ｃｈℓｏｅ Ｒｅｄｅｒｆｏｒｄ", None, FORENAMES) == (
        "chloe",
        "rederford",
    )
