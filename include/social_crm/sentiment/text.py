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
import string
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
# after "er for" / "är för" a noun says who or what a thing is for ("Presenten är för mamma",
# "Rabatten er for medlemmer"), an adjective or adverb that there is too much of it ("er for
# dyr", "är för sent"): the ambiguous "for"/"för" says "too" only before a negative word of
# the language's lexicon, an adjective of degree (size, price, time, temperature, strength,
# weight, amount: what people say there is too much or too little of; in its inflections), or
# a word with an adjective's or participle's ending (-ig, -lig, -leg, -sam, -som, -isk, -ende,
# -ande, -dd: "for vanskelig", "för långsam", "för högljudd"; not -et, -at, -t: the definite
# neuter noun, "for barnet")
DEGREE_ADJECTIVES = {
    "no": set(
        "stor stort store liten lite lita små dyr dyrt dyre sen sent seint sene tidleg varm"
        " varmt varme kald kaldt kalde sterk sterkt sterke svak svakt svake søt søtt søte"
        " bitter bittert bitre salt lang langt lange lenge kort korte høy høyt høye lav lavt"
        " lave treg tregt trege tung tungt tunge lett lette tynn tynt tynne tykk tykt tykke"
        " smal smalt smale bred bredt brede trang trangt trange mye mange få gammel gammelt"
        " gamle ung ungt unge fort rask raskt raske sur surt sure hard hardt harde myk mykt"
        " myke full fullt fulle tom tomt tomme sein".split()
    ),
    "da": set(
        "stor stort store lille små dyr dyrt dyre sen sent sene varm varmt varme kold koldt"
        " kolde stærk stærkt stærke svag svagt svage sød sødt søde bitter bittert bitre salt"
        " lang langt lange længe kort korte høj højt høje lav lavt lave tung tungt tunge let"
        " lette tynd tyndt tynde tyk tykt tykke smal smalt smalle bred bredt brede trang"
        " trangt trange meget mange få gammel gammelt gamle ung ungt unge hurtig hurtigt"
        " sur surt sure hård hårdt hårde blød blødt bløde fuld fuldt fulde tom tomt tomme".split()
    ),
    "sv": set(
        "stor stort stora liten litet lilla små dyr dyrt dyra sen sent sena varm varmt varma"
        " kall kallt kalla stark starkt starka svag svagt svaga söt sött söta bitter bittert"
        " bittra salt salta lång långt långa länge kort korta hög högt höga låg lågt låga"
        " tung tungt tunga lätt lätta tunn tunt tunna tjock tjockt tjocka smal smalt smala"
        " bred brett breda trång trångt trånga mycket många få gammal gammalt gamla ung"
        " ungt unga snabb snabbt snabba sur surt sura hård hårt hårda mjuk mjukt mjuka full"
        " fullt fulla tom tomt tomma".split()
    ),
}
ADJECTIVE_ENDINGS = (
    "ig",
    "igt",
    "iga",
    "ige",
    "lig",
    "ligt",
    "liga",
    "lige",
    "leg",
    "legt",
    "lege",
    "sam",
    "samt",
    "samma",
    "som",
    "somt",
    "somme",
    "isk",
    "iskt",
    "iska",
    "iske",
    "ende",
    "ande",
    "dd",
)
NEGATED = "neg_"
# a line break is a token of its own (it ends a clause: `scope_ends`), other white space parts
# tokens
LINE_BREAKS = frozenset("\n\u2028\u2029")
TOKEN = re.compile(r"[#@]?\w+(?:['’]\w+)?|[!?.,;:]|[\n\u2028\u2029]|[^\w\s]", re.UNICODE)
URL = re.compile(r"https?://\S+|www\.\S+")
MENTION = re.compile(r"@\w+")
# punctuation that ends a clause: sentence and clause marks, the dashes that part clauses ("Ikke
# dyr \u2014 bra service"; a hyphen joins words and is left out) and the ideographic full stop
CLAUSE_END = set(".,;:!?") | {"\u2014", "\u2013", "\u3002"}


# how much of a message is read: language and sentiment are plain in its first few thousand
# characters, and reading a 100 kB message whole costs seconds of the detector's time. The bound
# is on the text as it is read (`normalize`): what is dropped does not count, what NFKC writes
# out at length does
MAX_CHARS = 2_000
# the raw characters made plain at a time (a combining mark is never parted from its letter)
WINDOW = 4 * MAX_CHARS
# an emoticon typed against the word before it ("Dzięki:(", "thanks:)")
ATTACHED_EMOTICON = re.compile(r"(?<=[^\W\d_])([:;=]'?-?[()\[\]DPpOo/|*]|<3)(?=\s|$)")
# look-alikes of the apostrophe typed between letters ("donʼt", "don´t", "don`t", "don′t":
# modifier letter apostrophe, acute accent, grave accent, prime; what non-English keyboards
# type), read as the apostrophe; before NFKC, which writes the acute accent as a space and a
# combining mark
APOSTROPHE = re.compile(r"(?<=[^\W\d_])[\u02bc\u00b4`\u2032](?=[^\W\d_])")
APOSTROPHE_LIKE = re.compile(r"[\u02bc\u00b4`\u2032]")
# Cyrillic and Greek letters drawn as Latin ones (Unicode's confusables, UTS #39,
# https://www.unicode.org/reports/tr39/): in a word that also has a Latin letter ("Niе" with a
# Cyrillic "е"), typed on a second keyboard layout or to slip past monitoring, they are read as
# the Latin letters; a word wholly in Cyrillic or Greek is left as it is
LATIN_LOOK_ALIKES = str.maketrans(
    "аеорсухіјѕԁһԛԝАВЕКМНОРСТХІЈЅοαΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhqwABEKMHOPCTXIJSoaABEZHIKMNOPTYX",
)
MIXED_WORD = re.compile(r"\w*[a-zA-Z\u00c0-\u024f]\w*")
HAS_LOOK_ALIKE = re.compile("[аеорсухіјѕԁһԛԝАВЕКМНОРСТХІЈЅοαΑΒΕΖΗΙΚΜΝΟΡΤΥΧ]")
# variation selectors (category Mn) choose an emoji's look and are kept: they are part of it
VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def _category(category: str, keep: re.Pattern[str] | None = None) -> frozenset[str]:
    """Every character of a Unicode general category but those `keep` matches."""
    return frozenset(
        ch
        for ch in map(chr, range(sys.maxunicode + 1))
        if unicodedata.category(ch) == category and (keep is None or not keep.match(ch))
    )


@cache
def _format_characters() -> frozenset[str]:
    """Every format character (Unicode category Cf; built once a process, 0.2 s)."""
    return _category("Cf")


@cache
def _lone_marks() -> frozenset[str]:
    """Every combining mark (Unicode category Mn) but the variation selectors: what NFKC leaves
    of them had no precomposed letter to join (a letter "underlined" with U+0332 by a
    fancy-text generator), and inside a word they split it. Variation selectors choose an
    emoji's look and are kept."""
    return _category("Mn", VARIATION_SELECTORS)


def _dropped(characters: frozenset[str], text: str) -> str:
    """The text without `characters` (found by one set intersection: most texts have none)."""
    found = characters.intersection(text)
    return text.translate(dict.fromkeys(map(ord, found))) if found else text


def _latin_words(text: str) -> str:
    """Cyrillic and Greek look-alikes in a word that has a Latin letter, read as Latin."""
    if HAS_LOOK_ALIKE.search(text) is None:
        return text
    return MIXED_WORD.sub(lambda m: m.group().translate(LATIN_LOOK_ALIKES), text)


def _plain(raw: str) -> str:
    """A stretch of a message made plain: format characters dropped, apostrophe look-alikes
    read as the apostrophe, NFKC, leftover combining marks dropped, look-alike letters in Latin
    words read as Latin."""
    text = _dropped(_format_characters(), raw)
    if APOSTROPHE_LIKE.search(text) is not None:
        text = APOSTROPHE.sub("'", text)
    return _latin_words(_dropped(_lone_marks(), unicodedata.normalize("NFKC", text)))


def normalize(text: str) -> str:
    """A message as it is read, the one rule every reading takes it from: made plain first
    (format characters dropped: zero-width spaces and joiners, soft hyphens, direction marks,
    invisible and splitting the words they sit in; apostrophe look-alikes read as the
    apostrophe; NFKC: fullwidth and styled letters, letters typed with combining marks;
    combining marks left over dropped; Cyrillic and Greek look-alikes in a Latin word read as
    Latin), then cut to MAX_CHARS characters, so what is dropped does not count and what NFKC
    writes out at length is still bounded; an emoticon typed against a word parted from it.
    The raw text is made plain WINDOW characters at a time until MAX_CHARS are read."""
    parts: list[str] = []
    read = start = 0
    while start < len(text) and read < MAX_CHARS:
        end = start + WINDOW
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1  # a letter's combining marks stay with it
        part = _plain(text[start:end])
        parts.append(part)
        read += len(part)
        start = end
    return ATTACHED_EMOTICON.sub(r" \1", "".join(parts)[:MAX_CHARS])[:MAX_CHARS]


@cache
def scope_ends(lang: str) -> frozenset[str]:
    """The tokens that end a negation's scope: clause and sentence punctuation (. , ; : ! ?),
    a dash between clauses (\u2014, \u2013), a line break, and the language's contrast word
    ("not cheap, but good", "ikke billig men bra": the words after it are not negated; Councill,
    McDonald & Velikovich 2010, https://aclanthology.org/W10-3110/; Pang, Lee & Vaithyanathan
    2002, https://aclanthology.org/W02-1011/). The one rule every reading follows: `words`,
    `model.lexicon_valence` and, through `clause_starts`, VADER's reading of English."""
    contrast = CONTRASTS.get(lang)
    return frozenset(CLAUSE_END | LINE_BREAKS | ({contrast} if contrast else set()))


SPACED = re.compile(r"(\s*)(\S+)")


def clause_starts(body: str, lang: str) -> list[int]:
    """For each white-space-separated token of a text (the words VADER reads), the index of
    the first token of its clause, by `scope_ends`: a clause ends after a token that ends with
    (or is) a scope-ending mark ("late.", "\u2014"), at a line break, and before the contrast
    word."""
    ends = scope_ends(lang)
    contrast = CONTRASTS.get(lang)
    starts: list[int] = []
    start, ended = 0, False
    for i, (gap, token) in enumerate(SPACED.findall(body)):
        if ended or not ends.isdisjoint(gap) or token.lower().strip(string.punctuation) == contrast:
            start = i
        starts.append(start)
        ended = token[-1] in ends or token in ends
    return starts


@cache
def excess_words(lang: str) -> frozenset[str]:
    """The words that may say "too" in a language (`is_excess` decides)."""
    return frozenset(EXCESS.get(lang, set()) | {EXCESS_AFTER.get(lang, ("", set()))[0]} - {""})


def is_excess(
    previous: str,
    token: str,
    following: str,
    lang: str,
    is_negative: Callable[[str], bool] = lambda _: False,
) -> bool:
    """Whether `token` says "too" about `following` ("too expensive", "er for dyr", "jest za
    drogi"): see `EXCESS`; the ambiguous "for"/"för" only before a negative word of the
    language's lexicon (`is_negative`) or one that reads as an adjective (`DEGREE_ADJECTIVES`):
    before a positive word it is as often the preposition ("för nya kunder", "for gode
    venner")."""
    if token not in EXCESS.get(lang, ()):
        word, after = EXCESS_AFTER.get(lang, ("", set()))
        if token != word or previous not in after:
            return False
        if lang == "pl" and not following.endswith(POLISH_ADJECTIVE_ENDINGS):
            return False
        if (
            lang in DEGREE_ADJECTIVES
            and following not in DEGREE_ADJECTIVES[lang]
            and not following.endswith(ADJECTIVE_ENDINGS)
            and not is_negative(following)
        ):
            return False
    return following.isalpha() and following not in NOT_EXCESSIVE.get(lang, ())


# acknowledgements that say nothing of a feeling ("ok", "k", "okay", "okej")
ACKNOWLEDGEMENTS = {"ok", "okay", "okey", "okej", "oki", "k", "kk", "okk"}


def says_nothing(text: str) -> bool:
    """Whether a (normalized) text carries no evidence of a feeling: no characters but
    whitespace and punctuation, or only acknowledgements ("ok", "k")."""
    tokens = [t for t in TOKEN.findall(text.lower()) if t not in CLAUSE_END | LINE_BREAKS]
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
            # a line break ends a sentence as a full stop does (the trained scorers learned
            # from text without line breaks: "ikke dyr\nbra" reads as "ikke dyr. bra")
            out.append("." if token in LINE_BREAKS else token)
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
