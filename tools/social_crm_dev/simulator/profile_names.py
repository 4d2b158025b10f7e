"""What a social profile shows of its owner: the display name as people really type it, the X
handle and the X `location` free text. The CRM holds the name from a form (first name, last
name, city); a profile holds whatever its owner chose, so the two agree only loosely.

Facebook asks for the name people use in everyday life, so most Facebook names are the CRM name
or a near variant; X names and locations are free text ("Not necessarily a person's name";
location "Not necessarily a location, nor machine-parseable": X's user data dictionary). The
sources are in docs/real-apis.md. Each profile draws on its own seeded stream (person,
platform): the rest of the world does not move when these rules change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from social_crm_dev.simulator.rng import rng_for

# everyday short forms of the simulator's first names (English ones are in public nickname
# lists; the Nordic and Polish diminutives are the kind a matcher's English list does not know)
NICKNAMES = {
    "Thomas": ("Tom", "Tommy"),
    "Oliver": ("Ollie",),
    "James": ("Jim", "Jamie"),
    "Henry": ("Hank", "Harry"),
    "Charlie": ("Chaz",),
    "Amelia": ("Millie", "Amy"),
    "Sophie": ("Soph",),
    "George": ("Georgie",),
    "Alfie": ("Alf",),
    "Archie": ("Arch",),
    "Harry": ("Hal",),
    "Jack": ("Jackie",),
    "Daisy": ("Dais",),
    "Grace": ("Gracie",),
    "Jakob": ("Jakke",),
    "Henrik": ("Henke",),
    "Magnus": ("Mange",),
    "Tobias": ("Tobbe",),
    "Mathias": ("Mattis",),
    "Ingrid": ("Inga",),
    "Jakub": ("Kuba",),
    "Antoni": ("Antek",),
    "Szymon": ("Szymek",),
    "Wojciech": ("Wojtek",),
    "Piotr": ("Piotrek",),
    "Tomasz": ("Tomek",),
    "Krzysztof": ("Krzysiek",),
    "Bartosz": ("Bartek",),
    "Zofia": ("Zosia",),
    "Hanna": ("Hania",),
    "Zuzanna": ("Zuza",),
    "Wiktoria": ("Wika",),
    "Agata": ("Aga",),
    "Alicja": ("Ala",),
    "Oliwia": ("Oliwka",),
    "William": ("Wille",),
    "Nils": ("Nisse",),
    "Gustav": ("Gurra",),
    "Erik": ("Ecke",),
    "Viktor": ("Vicke",),
    "Astrid": ("Assi",),
    "Linnea": ("Linn",),
}
# how people without the letter on their keyboard write it
ASCII = str.maketrans(
    {
        "å": "aa",
        "Å": "Aa",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "ä": "a",
        "ö": "o",
        "Ö": "O",
        "ą": "a",
        "ć": "c",
        "ę": "e",
        "ł": "l",
        "Ł": "L",
        "ń": "n",
        "ó": "o",
        "ś": "s",
        "Ś": "S",
        "ź": "z",
        "ż": "z",
        "Ż": "Z",
    }
)
COUNTRY_NAMES = {
    "en": ("UK", "England", "United Kingdom", "Scotland"),
    "no": ("Norway", "Norge"),
    "pl": ("Poland", "Polska"),
    "sv": ("Sweden", "Sverige"),
}
JOKES = (
    "somewhere over the rainbow",
    "in my head",
    "the moon",
    "everywhere & nowhere",
    "behind you",
    "Hogwarts",
    "she/her",
    "coffee shop",
)
EMOJI = ("☕️", "🌍", "🏔️", "🌊✨", "📍 home", "🇪🇺")
WORDS = ("coffee", "bean", "latte", "nordic", "pixel", "wander", "mocha", "fika", "brew", "sunny")

# (variant, share) of display names, per platform
FACEBOOK_NAMES = (
    ("exact", 0.62),
    ("ascii", 0.12),
    ("nickname", 0.07),
    ("typo", 0.05),
    ("initial_last", 0.03),
    ("first_initial", 0.03),
    ("reversed", 0.03),
    ("lowercase", 0.03),
    ("first_only", 0.02),
)
X_NAMES = (
    ("exact", 0.40),
    ("ascii", 0.12),
    ("nickname", 0.08),
    ("typo", 0.06),
    ("initial_last", 0.04),
    ("first_initial", 0.05),
    ("reversed", 0.03),
    ("lowercase", 0.06),
    ("first_only", 0.06),
    ("pseudonym", 0.10),
)
# (variant, share) of X locations
X_LOCATIONS = (
    ("empty", 0.30),
    ("city", 0.24),
    ("city_country", 0.12),
    ("ascii_city", 0.07),
    ("country", 0.08),
    ("emoji", 0.05),
    ("joke", 0.06),
    ("elsewhere", 0.08),
)


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    city: str
    lang: str  # en, no, pl, sv
    other_city: str  # a city of the same country that is not the person's


def _pick(rng: np.random.Generator, table: tuple[tuple[str, float], ...]) -> str:
    names = [n for n, _ in table]
    weights = np.array([w for _, w in table])
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def typo(rng: np.random.Generator, word: str) -> str:
    """One slip of the finger: a letter dropped, doubled, swapped with the next, or replaced."""
    if len(word) < 4:
        return word + word[-1]
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(4))
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    letters = "aeiounrstl"
    return word[:i] + letters[int(rng.integers(len(letters)))] + word[i + 1 :]


def display_name(seed: int, person_id: int, platform: str, p: Person) -> str:
    rng = rng_for(seed, "display_name", person_id, platform)
    variant = _pick(rng, FACEBOOK_NAMES if platform == "facebook" else X_NAMES)
    first, last = p.first, p.last
    if variant == "ascii":
        return f"{first} {last}".translate(ASCII)
    if variant == "nickname" and first in NICKNAMES:
        options = NICKNAMES[first]
        return f"{options[int(rng.integers(len(options)))]} {last}"
    if variant == "typo":
        return f"{first} {typo(rng, last)}" if rng.random() < 0.7 else f"{typo(rng, first)} {last}"
    if variant == "initial_last":
        return f"{first[0]}. {last}"
    if variant == "first_initial":
        return f"{first} {last[0]}."
    if variant == "reversed":
        return f"{last} {first}"
    if variant == "lowercase":
        return f"{first} {last}".lower()
    if variant == "first_only":
        return first
    if variant == "pseudonym":
        return f"{WORDS[int(rng.integers(len(WORDS)))]} {EMOJI[int(rng.integers(len(EMOJI)))]}"
    return f"{first} {last}"


def x_handle(seed: int, person_id: int, p: Person, salt: int) -> str:
    """An X username (letters, digits, underscore; at most 15 characters)."""
    rng = rng_for(seed, "x_handle", person_id)
    first = p.first.translate(ASCII).lower()
    last = p.last.translate(ASCII).lower()
    kind = int(rng.choice(5, p=(0.3, 0.2, 0.15, 0.1, 0.25)))
    if kind == 0:
        base = first + last[:3]
    elif kind == 1:
        base = f"{first}_{last}"
    elif kind == 2:
        base = first[0] + last
    elif kind == 3:
        base = first + last
    else:
        base = WORDS[int(rng.integers(len(WORDS)))] + "_" + WORDS[int(rng.integers(len(WORDS)))]
    suffix = str(salt % 997)
    return base[: 15 - len(suffix)] + suffix


def shows_surname(last_name: str, display_name: str, handle: str | None) -> bool:
    """Whether a profile shows something of its owner's surname that the identity model
    compares: the surname in its display name, or its start in its X handle; not a first name
    or a pseudonym alone (what no model can tell is theirs)."""
    surname = last_name.translate(ASCII).lower()
    return surname in display_name.translate(ASCII).lower() or surname[:3] in (handle or "").lower()


def x_location(seed: int, person_id: int, p: Person) -> str:
    rng = rng_for(seed, "x_location", person_id)
    variant = _pick(rng, X_LOCATIONS)
    countries = COUNTRY_NAMES[p.lang]
    country = countries[int(rng.integers(len(countries)))]
    if variant == "city":
        return p.city
    if variant == "city_country":
        return f"{p.city}, {country}"
    if variant == "ascii_city":
        return p.city.translate(ASCII)
    if variant == "country":
        return country
    if variant == "emoji":
        return EMOJI[int(rng.integers(len(EMOJI)))]
    if variant == "joke":
        return JOKES[int(rng.integers(len(JOKES)))]
    if variant == "elsewhere":
        return p.other_city
    return ""
