"""Text preparation shared by training and scoring: tokens, stems and negation scope.

Words are lower-cased and stemmed with the Snowball stemmer of their language (so "delivered",
"delivery" and "deliveries" share evidence), and words inside a negation's scope carry a mark
("not good" is not "good"): up to three words after a negation, cut at punctuation and at a
contrast word (`scope_ends`). The
intensifiers, dampeners, intensifying prefixes and contrast words per language are read by the
lexicon valence (`model.lexicon_valence`).
"""

from __future__ import annotations

import re
import sys
import unicodedata
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
    # Norwegian bokmål and nynorsk ("ikkje", "ingi"); the nynorsk "ei" is left out: it is far
    # more often the article ("ei bok")
    "no": {
        "ikke",
        "ikkje",
        "aldri",
        "ingen",
        "ingi",
        "intet",
        "ingenting",
        "inkje",
        "verken",
        "hverken",
        "neppe",
        "uten",
        "utan",
    },
    "da": {"ikke", "aldrig", "ingen", "intet", "ingenting", "hverken", "næppe", "uden"},
    "sv": {
        "inte",
        "icke",
        "ej",
        "aldrig",
        "ingen",
        "inget",
        "inga",
        "ingenting",
        "varken",
        "knappast",
        "utan",
    },
    "pl": {
        "nie",
        "nigdy",
        "żaden",
        "żadna",
        "żadne",
        "żadnego",
        "żadnej",
        "żadnych",
        "wcale",
        "nic",
        "brak",
        "bez",
        "ani",
    },
    "de": {"nicht", "kein", "keine", "keinen", "nie", "niemals", "nichts", "ohne"},
}
NEGATION_SCOPE = 3
# words that make the next polar word stronger or weaker, and prefixes that make a compound
# stronger ("jättebra", "skitdålig", "kjempefornøyd", "megaszybko"); from the languages' grammar
INTENSIFIERS = {
    "en": {"very", "really", "so", "extremely", "super", "totally", "absolutely", "incredibly"},
    "no": {"veldig", "helt", "utrolig", "ekstremt", "skikkelig", "svært", "så", "mega", "super"},
    "da": {"meget", "virkelig", "helt", "utrolig", "ekstremt", "så", "mega", "super"},
    "sv": {
        "riktigt",
        "väldigt",
        "mycket",
        "extremt",
        "otroligt",
        "helt",
        "sjukt",
        "grymt",
        "så",
        "super",
    },
    "pl": {
        "bardzo",
        "mega",
        "super",
        "strasznie",
        "naprawdę",
        "totalnie",
        "kompletnie",
        "zupełnie",
        "wyjątkowo",
        "niesamowicie",
        "tak",
    },
}
DAMPENERS = {
    "en": {"slightly", "somewhat", "kinda", "fairly", "quite"},
    "no": {"litt", "ganske", "nokså"},
    "da": {"lidt", "ganske", "temmelig"},
    "sv": {"lite", "ganska", "rätt", "typ"},
    "pl": {"trochę", "dość", "raczej", "nieco"},
}
INTENSIFYING_PREFIXES = {
    "no": ("kjempe", "super", "dritt", "drit", "mega"),
    "da": ("kæmpe", "super", "mega"),
    "sv": ("jätte", "super", "skit", "mega"),
    "pl": ("mega", "super"),
}
# "never" followed by "so" before a polar word says more, not the opposite ("aldri opplevd så
# dårlig service", "never been so happy": VADER's rule)
NEVER = {"en": "never", "no": "aldri", "da": "aldrig", "sv": "aldrig", "pl": "nigdy"}
SO = {"en": "so", "no": "så", "da": "så", "sv": "så", "pl": "tak"}
# a contrast: the clause after it says more than the one before ("fin, men dyr")
CONTRASTS = {"en": "but", "no": "men", "da": "men", "sv": "men", "pl": "ale", "de": "aber"}
# "too" before a word says there is more of it than wanted: "too expensive", "for dyr", "för
# dyr", "za drogi" are complaints whatever the word's own polarity. Words that say only this are
# read wherever they stand; "for"/"för"/"za" are also prepositions ("takk for maten", "för dig",
# "dziękuję za pomoc"), so they say "too" only after a form of "to be" or "alt" ("er for dyr",
# "alt for dyr", "jest za drogi") and before a word that is not a pronoun or article ("det er
# for deg"); Polish "za" only before an adjective's or adverb's ending (-y, -i, -a, -e, -o:
# "za drogi", "za późno"; not "za darmo", free)
EXCESS = {
    "en": {"too", "overly"},
    "no": {"altfor", "overdrevent"},
    "da": {"altfor", "overdrevent"},
    "sv": {"alltför", "överdrivet"},
    "pl": {"zbyt", "przesadnie"},
}
EXCESS_AFTER = {
    "no": ("for", {"er", "var", "blir", "ble", "vart", "alt", "altså", "litt", "rett"}),
    "da": ("for", {"er", "var", "bliver", "blev", "alt", "lidt"}),
    "sv": ("för", {"är", "var", "blir", "blev", "lite", "alldeles"}),
    "pl": ("za", {"jest", "są", "był", "była", "było", "były", "byli", "trochę"}),
}
NOT_EXCESSIVE = {
    "en": {"and", "but", "so", "please", "lol", "haha", "the", "a", "to", "i", "we", "you"},
    "no": {
        "meg",
        "deg",
        "seg",
        "oss",
        "dere",
        "dem",
        "han",
        "henne",
        "hun",
        "den",
        "det",
        "de",
        "en",
        "et",
        "ei",
        "alle",
        "min",
        "din",
        "sin",
        "vår",
        "deres",
        "noen",
        "hver",
        "å",
        "at",
    },
    "da": {
        "mig",
        "dig",
        "sig",
        "os",
        "jer",
        "dem",
        "ham",
        "hende",
        "han",
        "hun",
        "den",
        "det",
        "de",
        "en",
        "et",
        "alle",
        "min",
        "din",
        "sin",
        "vores",
        "nogen",
        "hver",
        "at",
    },
    "sv": {
        "mig",
        "dig",
        "sig",
        "oss",
        "er",
        "dem",
        "honom",
        "henne",
        "han",
        "hon",
        "den",
        "det",
        "de",
        "en",
        "ett",
        "alla",
        "min",
        "din",
        "sin",
        "vår",
        "någon",
        "något",
        "varje",
        "att",
    },
    "pl": {"darmo", "to", "co", "tę", "te", "mnie", "ciebie", "nie"},
}
POLISH_ADJECTIVE_ENDINGS = ("y", "i", "a", "e", "o")
NEGATED = "neg_"
TOKEN = re.compile(r"[#@]?\w+(?:['’]\w+)?|[!?.,;:]|[^\w\s]", re.UNICODE)
URL = re.compile(r"https?://\S+|www\.\S+")
MENTION = re.compile(r"@\w+")
CLAUSE_END = set(".,;:!?")


# how much of a message is read: language and sentiment are plain in its first few thousand
# characters, and reading a 100 kB message whole costs seconds of the detector's time
MAX_CHARS = 2_000
# an emoticon typed against the word before it ("Dzięki:(", "thanks:)")
ATTACHED_EMOTICON = re.compile(r"(?<=[^\W\d_])([:;=]'?-?[()\[\]DPpOo/|*]|<3)(?=\s|$)")


@cache
def _format_characters() -> dict[int, None]:
    """Every format character (Unicode category Cf) mapped to nothing, for one str.translate
    (built once a process, 0.2 s)."""
    return dict.fromkeys(
        cp for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == "Cf"
    )


# acknowledgements that say nothing of a feeling ("ok", "k", "okay", "okej")
ACKNOWLEDGEMENTS = {"ok", "okay", "okey", "okej", "oki", "k", "kk", "okk"}


def normalize(text: str) -> str:
    """A message as it is read: its first MAX_CHARS characters; compatibility forms made plain
    (NFKC: fullwidth and styled letters, letters typed with combining marks); format characters
    dropped (zero-width spaces and joiners, soft hyphens, direction marks: invisible, and inside
    a word they split it); an emoticon typed against a word parted from it."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS])
    text = text.translate(_format_characters())
    return ATTACHED_EMOTICON.sub(r" \1", text)


@cache
def scope_ends(lang: str) -> frozenset[str]:
    """The tokens that end a negation's scope: clause and sentence punctuation (. , ; : ! ?)
    and the language's contrast word ("not cheap, but good", "ikke billig men bra": the words
    after it are not negated; Councill, McDonald & Velikovich 2010,
    https://aclanthology.org/W10-3110/; Pang, Lee & Vaithyanathan 2002,
    https://aclanthology.org/W02-1011/). The one rule `words` and `model.lexicon_valence`
    both read."""
    contrast = CONTRASTS.get(lang)
    return frozenset(CLAUSE_END | ({contrast} if contrast else set()))


@cache
def excess_words(lang: str) -> frozenset[str]:
    """The words that may say "too" in a language (`is_excess` decides)."""
    return frozenset(EXCESS.get(lang, set()) | {EXCESS_AFTER.get(lang, ("", set()))[0]} - {""})


def is_excess(previous: str, token: str, following: str, lang: str) -> bool:
    """Whether `token` says "too" about `following` ("too expensive", "er for dyr", "jest za
    drogi"): see `EXCESS`."""
    if token not in EXCESS.get(lang, ()):
        word, after = EXCESS_AFTER.get(lang, ("", set()))
        if token != word or previous not in after:
            return False
        if lang == "pl" and not following.endswith(POLISH_ADJECTIVE_ENDINGS):
            return False
    return following.isalpha() and following not in NOT_EXCESSIVE.get(lang, ())


def says_nothing(text: str) -> bool:
    """Whether a (normalized) text carries no evidence of a feeling: no characters but
    whitespace and punctuation, or only acknowledgements ("ok", "k")."""
    tokens = [t for t in TOKEN.findall(text.lower()) if t not in CLAUSE_END]
    return all(t in ACKNOWLEDGEMENTS for t in tokens)


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
    ends = scope_ends(lang)
    out: list[str] = []
    scope = 0
    for token in TOKEN.findall(clean(text).lower()):
        if token in ends:
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
