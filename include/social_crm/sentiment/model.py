"""Sentiment of a message: negative, neutral or positive, with a score in -1..1.

Two kinds of scorer, chosen by the message's language:

* **Trained** (English; Norwegian, which also scores Danish and Swedish): a multinomial logistic
  regression over hashed word n-grams (stemmed, negation-marked; `text.words`), hashed character
  n-grams, and VADER's lexicon-and-rule scores (VADER also reads emoji and emoticons in any
  language). The weights are learned by `tools/social_crm_dev/sentiment_training.py` from the
  human-labelled data in the project's shared sentiment folder and ship as `sentiment_model.npz`
  (weights only, no text).
* **Lexicon** (Polish, and any language without a trained model): the language's polarity
  stems (`lexicons.csv`) with negation, plus VADER's reading of emoji and emoticons.

The score is P(positive) - P(negative) for a trained scorer, the lexicon's normalised valence
otherwise.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from social_crm.sentiment import text as text_prep

MODEL_FILE = Path(__file__).with_name("sentiment_model.npz")
LEXICON_FILE = Path(__file__).with_name("lexicons.csv")
CLASSES = ("negative", "neutral", "positive")
HASH_BITS = 18
# the trained scorer of each language (Danish and Swedish are close enough to Norwegian for its
# character n-grams and stems to carry over; not measured: no labelled Danish or Swedish here)
TRAINED_FOR = {"en": "en", "no": "no", "da": "no", "sv": "no"}
# a lexicon valence this far from zero is not neutral (VADER's own threshold on its compound)
LEXICON_THRESHOLD = 0.05


def _word_ngrams(doc: tuple[str, str]) -> list[str]:
    """Word unigrams and bigrams of a (language, text) pair: stemmed and negation-marked by the
    text's own language, so a Swedish "inte bra" reads as the Norwegian "ikke bra"."""
    lang, body = doc
    tokens = text_prep.words(body, lang)
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


@cache
def _word_hasher() -> HashingVectorizer:
    return HashingVectorizer(
        analyzer=_word_ngrams, n_features=2**HASH_BITS, alternate_sign=False, norm=None
    )


@cache
def _char_hasher() -> HashingVectorizer:
    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 4),
        n_features=2**HASH_BITS,
        alternate_sign=False,
        norm=None,
        preprocessor=lambda doc: text_prep.clean(doc).lower(),
    )


@cache
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def _vader_input(doc: str, lang: str) -> str:
    """What VADER reads of a text: all of an English one; of any other only the letterless
    tokens (emoji, emoticons, "!!!"), as its word lexicon is English."""
    if lang == "en":
        return doc
    return " ".join(token for token in doc.split() if not any(ch.isalpha() for ch in token))


def lexicon_features(texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    """VADER's positive, negative and compound scores of each text, and the valence of the
    text's own language's lexicon."""
    vader = _vader()
    rows = []
    for doc, lang in zip(texts, langs, strict=True):
        read = _vader_input(doc, lang)
        s = vader.polarity_scores(read) if read else NO_VADER
        rows.append((s["pos"], s["neg"], s["compound"], _valence(doc, lang, s["compound"])))
    return np.asarray(rows, dtype=np.float64).reshape(len(texts), 4)


NO_VADER = {"pos": 0.0, "neg": 0.0, "compound": 0.0}


def _tfidf(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Sublinear term frequency times idf, each row scaled to unit length."""
    counts = counts.astype(np.float64)
    counts.data = 1.0 + np.log(counts.data)
    weighted = counts @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ weighted


def hashed_counts(
    texts: Sequence[str], langs: Sequence[str]
) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Word and character n-gram counts (the parts training computes idf on)."""
    pairs = list(zip(langs, texts, strict=True))
    return _word_hasher().transform(pairs), _char_hasher().transform(texts)


def features(
    texts: Sequence[str],
    langs: Sequence[str],
    word_idf: np.ndarray,
    char_idf: np.ndarray,
    counts: tuple[sparse.csr_matrix, sparse.csr_matrix] | None = None,
) -> sparse.csr_matrix:
    """The model's input rows; `counts`, when training has them already, are the texts'
    `hashed_counts`."""
    word_counts, char_counts = counts if counts is not None else hashed_counts(texts, langs)
    dense = sparse.csr_matrix(lexicon_features(texts, langs))
    return sparse.hstack(
        [_tfidf(word_counts, word_idf), _tfidf(char_counts, char_idf), dense], format="csr"
    )


@dataclass(frozen=True)
class TrainedScorer:
    lang: str
    word_idf: np.ndarray
    char_idf: np.ndarray
    coef: np.ndarray  # classes x features
    intercept: np.ndarray

    def probabilities(self, texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
        x = features(texts, langs, self.word_idf, self.char_idf)
        logits = np.asarray(x @ self.coef.T) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return odds / odds.sum(axis=1, keepdims=True)


@cache
def trained_scorers() -> dict[str, TrainedScorer]:
    with np.load(MODEL_FILE) as saved:
        langs = sorted({key.split("__")[0] for key in saved.files})
        return {
            lang: TrainedScorer(
                lang,
                saved[f"{lang}__word_idf"].astype(np.float64),
                saved[f"{lang}__char_idf"].astype(np.float64),
                saved[f"{lang}__coef"].astype(np.float64),
                saved[f"{lang}__intercept"].astype(np.float64),
            )
            for lang in langs
        }


@dataclass(frozen=True)
class Lexicon:
    """One language's polarity stems: a stem matches the words it begins (the longest stem
    wins), or, when written with a closing "=", only that word ("fin=": not "finns")."""

    stems: dict[str, float]
    words: dict[str, float]

    def polarity(self, token: str) -> float:
        found = self.words.get(token)
        if found is not None:
            return found
        for end in range(len(token), 1, -1):
            found = self.stems.get(token[:end])
            if found is not None:
                return found
        return 0.0


@cache
def lexicons() -> dict[str, Lexicon]:
    stems: dict[str, dict[str, float]] = {}
    words: dict[str, dict[str, float]] = {}
    with LEXICON_FILE.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            stem, polarity = row["stem"], float(row["polarity"])
            if stem.endswith("="):
                words.setdefault(row["lang"], {})[stem[:-1]] = polarity
            else:
                stems.setdefault(row["lang"], {})[stem] = polarity
    return {
        lang: Lexicon(stems.get(lang, {}), words.get(lang, {})) for lang in stems.keys() | words
    }


NO_LEXICON = Lexicon({}, {})


def lexicon_valence(doc: str, lang: str) -> float:
    """The lexicon's valence of a text in -1..1: polarity of the words their stems begin, turned
    by negation, plus VADER's compound for emoji and emoticons, normalised as VADER does."""
    read = _vader_input(doc, lang)
    return _valence(doc, lang, _vader().polarity_scores(read)["compound"] if read else 0.0)


def _valence(doc: str, lang: str, vader_compound: float) -> float:
    lexicon = lexicons().get(lang, NO_LEXICON)
    negations = text_prep.NEGATIONS.get(lang, set())
    total = 0.0
    scope = 0
    for token in text_prep.TOKEN.findall(text_prep.clean(doc).lower()):
        if token in text_prep.CLAUSE_END:
            scope = 0
            continue
        if token in negations:
            scope = text_prep.NEGATION_SCOPE
            continue
        polarity = lexicon.polarity(token)
        if scope:
            polarity *= -0.74  # VADER's factor for a negated word
            scope -= 1
        total += polarity
    total += 4 * vader_compound
    return total / math.sqrt(total * total + 15)  # VADER's normalisation (alpha = 15)


def probabilities(texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    """P(negative), P(neutral), P(positive) of each text (columns in `CLASSES` order, each row
    sums to 1), by the scorer of its language."""
    out = np.empty((len(texts), len(CLASSES)), dtype=np.float64)
    scorers = trained_scorers()
    by_scorer: dict[str, list[int]] = {}
    for i, lang in enumerate(langs):
        name = TRAINED_FOR.get(lang)
        if name in scorers:
            by_scorer.setdefault(name, []).append(i)
        else:
            out[i] = _lexicon_probabilities(lexicon_valence(texts[i], lang))
    for name, rows in by_scorer.items():
        out[rows] = scorers[name].probabilities([texts[i] for i in rows], [langs[i] for i in rows])
    return out


def _lexicon_probabilities(valence: float) -> np.ndarray:
    """A lexicon's valence as probabilities (not calibrated): neutral while it stays within the
    threshold, beyond it the valence's side, the surer the farther."""
    if valence > LEXICON_THRESHOLD:
        return np.array([0.0, (1.0 - valence) / 2, (1.0 + valence) / 2])
    if valence < -LEXICON_THRESHOLD:
        return np.array([(1.0 - valence) / 2, (1.0 + valence) / 2, 0.0])
    return np.array([0.0, 1.0, 0.0])


def score(texts: Sequence[str], langs: Sequence[str]) -> list[tuple[str, float]]:
    """(sentiment, score) of each text: the likeliest class and P(positive) - P(negative)."""
    return [
        (CLASSES[int(p.argmax())], round(float(p[2] - p[0]), 4))
        for p in probabilities(texts, langs)
    ]


def version() -> str:
    """Changes whenever the trained weights or the lexicons change: every message is scored
    again once."""
    digest = hashlib.sha256(MODEL_FILE.read_bytes() + LEXICON_FILE.read_bytes())
    return digest.hexdigest()[:16]


def label_and_score(p: np.ndarray) -> tuple[str, float]:
    """(sentiment, score) of one row of `probabilities`: the likeliest class and
    P(positive) - P(negative) (what `score` gives, for a caller that keeps the probabilities)."""
    return CLASSES[int(p.argmax())], round(float(p[2] - p[0]), 4)
