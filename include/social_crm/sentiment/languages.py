"""Which language a message is in: the platform's own tag where it gives one (X's `lang`), else
lingua's detector, which ships its models inside its wheel (nothing is downloaded).

Languages are ISO 639-1 codes; Norwegian Bokmål and Nynorsk are both "no" (X tags Norwegian
"no"; lingua tells the two written forms apart). Text no language can be told from (emoji only,
a link, "ok") is "und", X's own code for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from social_crm.extract import brands
from social_crm.sentiment import text as text_prep

UNDETERMINED = "und"
# the languages the detector chooses among: the four the scorer has models or lexicons for,
# and the neighbours their messages are most often confused with (a Danish message is told
# from a Norwegian one rather than forced into it)
DETECTED = (
    Language.ENGLISH,
    Language.BOKMAL,
    Language.NYNORSK,
    Language.SWEDISH,
    Language.POLISH,
    Language.DANISH,
    Language.GERMAN,
)
# the codes X and Facebook use that mean the same language as another code
ALIASES = {"nb": "no", "nn": "no"}
# X's `lang` values that name no language: undetermined, no linguistic content, media links,
# hashtags or mentions only, emoji only (X API v2 Tweet object, field `lang`)
NOT_A_LANGUAGE = {"und", "zxx", "qam", "qct", "qht", "qme", "qst", "art"}
# below this many letters a detector guesses
MIN_LETTERS = 3


@cache
def _detector() -> LanguageDetector:
    # low accuracy mode: trigram models only, 40 MB instead of 300 MB for these languages;
    # measured on the shared data, 99.1% of English tweets and 94.4% of Norwegian review
    # sentences still reach their scorer (high accuracy: 99.9% and 95.6%)
    return LanguageDetectorBuilder.from_languages(*DETECTED).with_low_accuracy_mode().build()


@cache
def _short_text_detector() -> LanguageDetector:
    # a short text is read with every n-gram model: trigrams alone read "I love this brand"
    # and "Love it :)" as Norwegian (lingua's own advice: high accuracy for texts under 120
    # characters, https://github.com/pemistahl/lingua-py#93-low-accuracy-mode-versus-high-accuracy-mode);
    # 230 MB resident with these languages, and 2,000 short texts a 0.1 s
    return LanguageDetectorBuilder.from_languages(*DETECTED).build()


# below this many characters a text is short (lingua's threshold for its high-accuracy mode)
SHORT_TEXT = 120
# how much of a text the detector reads: its language is plain by then (the dev and train texts
# of en, no, pl and sv are detected the same as when read up to text.MAX_CHARS, 2,000), and
# the fast detector's time grows with the length (long texts were half of its time)
DETECT_CHARS = 500
# the languages whose short texts the fast detector reads as well as the high-accuracy one
# where it gives them this share of its confidence (Nynorsk's and Bokmål's added up), which
# then reads about a third of short texts rather than all (it was a third of scoring's time).
# Measured on the dev texts of en, no, pl and sv: each language's texts detected right, the
# same count as before; on their train texts 6 English tweets in 20,359 more, 3 Norwegian
# sentences in 7,651 and 1 Polish review in 26,141 fewer (read as English). The fast
# detector's sure Norwegian, Danish, Swedish or German is wrong more often than the slow one's.
SURE_OF = {"en": 0.99, "pl": 0.99}


def _code(language: Language | None) -> str:
    if language is None:
        return UNDETERMINED
    code = language.iso_code_639_1.name.lower()
    return ALIASES.get(code, code)


def normalize(tag: str | None) -> str | None:
    """A platform's language tag as the scorer's code, or None when it names no language."""
    if not tag:
        return None
    # a locale-style tag ("pl_PL", "pl-PL", "PL") names its language first
    code = re.split(r"[-_]", tag.strip().lower())[0]
    if code in NOT_A_LANGUAGE:
        return None
    return ALIASES.get(code, code)


@cache
def brand_names() -> tuple[str, ...]:
    """The tracked brands' names (brands.csv), which say nothing of a message's language: the
    detector reads a text without them (so they are part of the scorer's version)."""
    return tuple(
        sorted({b.name for b in brands.load() if b.name.strip()}, key=lambda n: (-len(n), n))
    )


@cache
def _brand_names() -> re.Pattern[str] | None:
    names = brand_names()
    if not names:
        return None
    return re.compile("|".join(re.escape(n) for n in names), re.IGNORECASE)


def detector_text(text: str) -> str:
    """What the detector reads of a text: without links, @handles and the brands' names (a
    message addressed "@fjordbrew ..." or "Fjordbrew Coffee ..." is in the language of the
    rest)."""
    bare = text_prep.MENTION.sub(" ", text_prep.URL.sub(" ", text))
    names = _brand_names()
    return names.sub(" ", bare) if names is not None else bare


def _has_letters(text: str) -> bool:
    """Whether a text has MIN_LETTERS letters (counted until there are enough)."""
    found = 0
    for ch in text:
        if ch.isalpha():
            found += 1
            if found >= MIN_LETTERS:
                return True
    return False


def _sure_of(texts: list[str]) -> list[str | None]:
    """The fast detector's language of each short text where it is sure (SURE_OF), else None."""
    out: list[str | None] = []
    for values in _detector().compute_language_confidence_values_in_parallel(texts):
        shares: dict[str, float] = {}
        for value in values:
            code = _code(value.language)
            shares[code] = shares.get(code, 0.0) + value.value
        best = max(shares, key=shares.__getitem__, default=None)
        out.append(best if best in SURE_OF and shares[best] >= SURE_OF[best] else None)
    return out


def detect(texts: Sequence[str], tags: Sequence[str | None] | None = None) -> list[str]:
    """The language of each text: its tag where the platform gave one, else detected: a long
    text by the fast detector, a short one by the fast detector where it is sure of English or
    Polish, else by the high-accuracy one."""
    tags = tags if tags is not None else [None] * len(texts)
    result = [normalize(tag) for tag in tags]
    read = {
        i: detector_text(texts[i])[:DETECT_CHARS] for i, code in enumerate(result) if code is None
    }
    todo = [i for i, bare in read.items() if _has_letters(bare)]
    short = [i for i in todo if len(read[i]) < SHORT_TEXT]
    long = [i for i in todo if len(read[i]) >= SHORT_TEXT]
    if short:
        for i, code in zip(short, _sure_of([read[i] for i in short]), strict=True):
            result[i] = code
        short = [i for i in short if result[i] is None]
    for detector, part in ((_short_text_detector, short), (_detector, long)):
        if part:
            found = detector().detect_languages_in_parallel_of([read[i] for i in part])
            for i, language in zip(part, found, strict=True):
                result[i] = _code(language)
    return [code or UNDETERMINED for code in result]
