"""Text preparation shared by training and scoring: tokens, stems and negation scope.

Words are lower-cased and stemmed with the Snowball stemmer of their language (so "delivered",
"delivery" and "deliveries" share evidence), and words inside a negation's scope carry a mark
("not good" is not "good"): up to three words after a negation, cut at punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache

import snowballstemmer

STEMMERS = {
    "en": "english",
    "no": "norwegian",
    "da": "danish",
    "sv": "swedish",
    "de": "german",
}
# negation words per language (the Polish "nie" is also a prefix: "niedobry" is a word of its own)
NEGATIONS = {
    "en": {
        "not",
        "no",
        "never",
        "none",
        "nothing",
        "nobody",
        "neither",
        "nor",
        "without",
        "cannot",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "wont",
        "wouldnt",
        "cant",
        "couldnt",
        "shouldnt",
        "havent",
        "hasnt",
        "hadnt",
        "aint",
    },
    "no": {"ikke", "ikkje", "aldri", "ingen", "intet", "ingenting", "verken", "uten", "utan"},
    "da": {"ikke", "aldrig", "ingen", "intet", "ingenting", "hverken", "uden"},
    "sv": {"inte", "icke", "aldrig", "ingen", "inget", "inga", "ingenting", "varken", "utan"},
    "pl": {"nie", "nigdy", "żaden", "żadna", "żadne", "nic", "bez", "ani"},
    "de": {"nicht", "kein", "keine", "keinen", "nie", "niemals", "nichts", "ohne"},
}
NEGATION_SCOPE = 3
NEGATED = "neg_"
TOKEN = re.compile(r"[#@]?\w+(?:['’]\w+)?|[!?.,;:]|[^\w\s]", re.UNICODE)
URL = re.compile(r"https?://\S+|www\.\S+")
MENTION = re.compile(r"@\w+")
CLAUSE_END = set(".,;:!?")


@cache
def _stemmer(lang: str) -> Callable[[str], str] | None:
    name = STEMMERS.get(lang)
    if not name:
        return None
    # a message's words are mostly words seen before: stem each once per process
    return lru_cache(maxsize=200_000)(snowballstemmer.stemmer(name).stemWord)


def clean(text: str) -> str:
    """The text with links and @mentions replaced by placeholders (neither carries sentiment,
    and both would otherwise make every message unique)."""
    return MENTION.sub("@user", URL.sub("http", text))


def words(text: str, lang: str) -> list[str]:
    """Stemmed, negation-marked word tokens of a text; punctuation and emoji are kept as they
    are (they carry sentiment)."""
    stemmer = _stemmer(lang)
    negations = NEGATIONS.get(lang, set())
    out: list[str] = []
    scope = 0
    for token in TOKEN.findall(clean(text).lower()):
        if token in CLAUSE_END:
            scope = 0
            out.append(token)
            continue
        bare = token.replace("'", "").replace("’", "")
        if bare in negations:
            scope = NEGATION_SCOPE
            out.append(bare)
            continue
        stem = stemmer(bare) if stemmer and bare.isalpha() else bare
        if scope and bare.isalpha():
            stem = NEGATED + stem
            scope -= 1
        out.append(stem)
    return out
