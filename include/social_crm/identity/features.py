"""What a social profile and a CRM customer are compared on, made comparable: names folded to
plain lowercase letters, a display name split into forename and surname, the forename's known
nicknames, the letters of an X handle and of an email's local part, an X location as text.

The rules here are plain Python, unit-tested; the record linkage model (`model.py`) compares the
columns they make."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from nicknames import NickNamer

# letters NFKD does not take apart; "aa" is how Norwegian and Danish write å without the key
_LETTERS = str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ð": "d", "þ": "th"})
_NOT_LETTERS = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")

# what people write in a location field for a customer's country (ISO 3166-1 alpha-2 in the
# CRM): English and native names, common short forms
COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "GB": ("uk", "united kingdom", "england", "scotland", "wales", "britain", "great britain"),
    "IE": ("ireland", "eire"),
    "NO": ("norway", "norge", "noreg"),
    "SE": ("sweden", "sverige"),
    "DK": ("denmark", "danmark"),
    "FI": ("finland", "suomi"),
    "PL": ("poland", "polska"),
    "DE": ("germany", "deutschland"),
    "NL": ("netherlands", "nederland", "holland"),
    "FR": ("france",),
    "ES": ("spain", "espana"),
    "IT": ("italy", "italia"),
    "US": ("usa", "united states", "us"),
}


def fold(text: str | None) -> str | None:
    """Lowercase letters and single spaces only: diacritics dropped (å -> a, and "aa" -> a on
    both sides, since Håkon is typed Haakon), punctuation, digits and emoji gone. None when no
    letter is left."""
    if not isinstance(text, str) or not text:
        return None
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_LETTERS))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _SPACES.sub(" ", _NOT_LETTERS.sub(" ", plain)).strip().replace("aa", "a")
    return plain or None


def split_display_name(
    name: str | None, forenames: frozenset[str] = frozenset()
) -> tuple[str | None, str | None]:
    """(forename, surname) of a display name: the first and the last word; a single word is a
    forename alone. An initial ("J." or "J") stays one letter. Written surname first ("Berg
    Nora"): when the last word is a known forename and the first is not, they are swapped."""
    folded = fold(name)
    if not folded:
        return None, None
    words = folded.split(" ")
    if len(words) == 1:
        return words[0], None
    first, last = words[0], words[-1]
    if last in forenames and first not in forenames:
        return last, first
    return first, last


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@cache
def forename_aliases(forename: str | None) -> tuple[str, ...]:
    """The forename, the names it is a nickname of, and its nicknames (an English list: Tom and
    Thomas share an alias, Kuba and Jakub do not)."""
    if not forename or len(forename) < 2:
        return ()
    namer = _nicknamer()
    names = {forename} | namer.canonicals_of(forename) | namer.nicknames_of(forename)
    return tuple(sorted(n for n in (fold(x) for x in names) if n))


def handle_letters(handle: str | None) -> str | None:
    """A handle's letters (an X handle's or an Instagram username's: digits, underscores and
    periods dropped)."""
    letters = fold(handle)
    return letters.replace(" ", "") if letters else None


_HANDLE_WORDS = re.compile(r"[_.\d]+")
_BEFORE_DIGITS = re.compile(r"[^\d]*")


def handle_name(
    handle: str | None, forenames: frozenset[str] = frozenset()
) -> tuple[str | None, str | None]:
    """(forename or initial, start of the surname) that a handle (X's, or an Instagram
    username) spells, as people build handles from their names: "mia_woodisle285" -> (mia,
    woodisle), "mia.woodisle" -> (mia, woodisle), "poppylan164" -> (poppy, lan) when poppy is a
    known forename, "hdahlseth42" -> (h, dahlseth). An underscore or a period separates the
    two; else the longest known forename the handle starts with (leaving 3 letters at least),
    else its first letter. The name is what comes before the digits: "hsandland880_ig" ->
    (h, sandland). (None, None) when it has fewer than 4 letters."""
    if isinstance(handle, str):
        # the name comes before the digits: what follows them is an ending ("hsandland880_ig")
        named = _BEFORE_DIGITS.match(handle)
        handle = named.group(0) if named and handle_letters(named.group(0)) else handle
    parts = _HANDLE_WORDS.split(handle) if isinstance(handle, str) else []
    words = [w for w in (handle_letters(part) for part in parts) if w]
    if len(words) >= 2:
        return words[0], words[1]
    letters = words[0] if words else ""
    if len(letters) < 4:
        return None, None
    for size in range(len(letters) - 3, 1, -1):
        if letters[:size] in forenames:
            return letters[:size], letters[size:]
    return letters[0], letters[1:]


# the fewest letters of a surname read from a handle (shown_name)
SHOWN_SURNAME_LETTERS = 5


def shown_name(
    display_name: str | None, handle: str | None, forenames: frozenset[str] = frozenset()
) -> tuple[str | None, str | None]:
    """(forename, surname) a profile shows: its display name's (split_display_name); a
    profile without one (an Instagram username is all Instagram shows of a person), or whose
    display name is one word that is nobody's forename (a pseudonym: "sunny 🌊✨"), shows the
    name its handle spells (handle_name) when that starts with a known forename or an initial
    and the rest has SHOWN_SURNAME_LETTERS or more: "chloe.rederford" -> (chloe, rederford).
    A shorter rest is often a surname's start ("sindre_foss33" for Fossberg), which as a
    surname would count against the true customer: such a handle, or "pixel.tiril" (a word,
    then a forename), shows no name, and only the handle comparison reads it."""
    named = split_display_name(display_name, forenames)
    if named[1] is not None or (named[0] is not None and named[0] in forenames):
        return named
    # no display name, or one word that is nobody's forename ("sunny 🌊✨", "mocha"): a
    # pseudonym, which says nothing of the name the handle may spell
    forename, surname = handle_name(handle, forenames)
    if (
        forename
        and surname
        and (len(forename) == 1 or forename in forenames)
        and len(surname) >= SHOWN_SURNAME_LETTERS
    ):
        return forename, surname
    return named


def email_letters(email: str | None) -> str | None:
    """The letters of an email's local part: jakob.bergheim.12@... -> jakobbergheim."""
    if not isinstance(email, str) or "@" not in email:
        return None
    return handle_letters(email.split("@", 1)[0])


def country_names(country: str | None) -> tuple[str, ...]:
    """Names of a CRM country (code or name) as a location field may spell them."""
    if not isinstance(country, str) or not country.strip():
        return ()
    code = country.strip().upper()
    if code in COUNTRY_NAMES:
        return COUNTRY_NAMES[code]
    name = fold(country)
    return (name,) if name else ()


def city_named(location: str | None, cities: frozenset[str]) -> str | None:
    """The first of `cities` (folded) that a folded location names, word-aligned: "oslo norway"
    names oslo, "new york" names new york. None when it names none of them."""
    if not location:
        return None
    words = location.split(" ")
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            candidate = " ".join(words[i : i + size])
            if candidate in cities:
                return candidate
    return None
