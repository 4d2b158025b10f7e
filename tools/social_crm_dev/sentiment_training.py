"""Learn the sentiment scorer's weights from human-labelled public text, and measure them.

The data comes through `social_crm_dev.sentiment_data.labelled(lang, split)` (the project's
shared sentiment folder, `SENTIMENT_DATA_DIR`, by default `../shared/sentiment` beside the
repository, and the public train splits it adds). The data never enters the repository;
the weights learned from it do (`sentiment_model.npz`), and this module rebuilds them:
`python -m social_crm_dev.sentiment_training`.

What is learned, per language with a trained scorer (English, Norwegian, Polish):
* a logistic regression on the language's train split;
* a temperature that calibrates it, fitted on the first half of the language's dev split (a
  fixed shuffle), or for the languages in `CALIBRATED_ON_TRAIN` on cross-validated logits of
  their train split; the second half of dev measures the calibration error. A temperature does
  not move the likeliest class, so macro-F1 on all of dev stays a measure on unseen text.
A language without a train split (English when its extra tweets are not copied in) learns from
its dev split; it is then measured by 5-fold cross-validation, and the temperature is fitted on
the out-of-fold logits of the first half.
Besides: the emoji term (from every train text with an emoji or emoticon) and the lexicon scorer
for other languages, Swedish among them (from the train splits of `LEXICON_TRAINING` read through
their lexicons). Swedish has no trained scorer: its only labels (ABSAbank-Imm) are stance towards
immigration, another task than a message's tone, and a scorer trained with them read everyday
Swedish worse than the lexicon (docs/sentiment.md).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold

from social_crm.sentiment import model
from social_crm_dev import sentiment_data

log = logging.getLogger(__name__)

# inverse regularisation strength of each language's regression (Norwegian: the best of 0.5, 2, 4
# and 8 on a fifth of its train split held out; the others not tuned)
C = {"en": 1.0, "no": 4.0, "pl": 1.0}
FOLDS = 5
# languages whose temperature is fitted on cross-validated logits of their whole train split
# (7,651 texts) rather than on half of dev (706): Norwegian's dev half gave a temperature whose
# calibration error on the other half was 0.051, the train split's 0.033 (docs/sentiment.md).
# English and Polish have dev halves of 1,000 and 1,575 texts
CALIBRATED_ON_TRAIN = ("no",)
# the share of the lexicon scorer's evidence added to a language's regression logits
# (`model.lexicon_evidence`): Norwegian's chosen by 5-fold cross-validation on its train split
# from 0, 0.25, 0.5, 0.75, 1, 1.5, 2 (macro-F1 0.614, 0.618, 0.614, 0.608, 0.603, 0.594,
# 0.591); the regression alone gives the lexicon little weight on short texts ("Elendig.")
LEXICON_WEIGHT = {"no": 0.25}
# the languages whose regression also reads `model.sentence_evidence` (the lexicon scorer's
# evidence of the most polar sentence per word): a short evaluative text ("Elendig.",
# "Irytujące.") read neutral without it (P(negative) 0.22 and 0.06), dev macro-F1 moved by
# less than 0.005 (docs/sentiment.md)
SENTENCE_EVIDENCE = ("no", "pl")
SEED = 0
# the dev sets measured one by one: (language, name, file)
DEV_SETS = (
    ("en", "TweetEval validation", "en_tweeteval_val.jsonl"),
    ("no", "NoReC sentence dev", "no_norec_sentence_dev.jsonl"),
    ("pl", "PolEmo 2.0 hotels dev", "pl_polemo2_hotels_dev.jsonl"),
    ("pl", "Allegro Reviews dev", "pl_allegro_reviews_dev.jsonl"),
    ("sv", "ABSAbank-Imm dev", "sv_absabank_imm_dev.jsonl"),
)
TRAINED = ("en", "no", "pl")
# the train splits the emoji term and the lexicon scorer learn from: every labelled one, Swedish's
# stance labels included (its texts' polar words still mostly lean the way of their label; without
# them the lexicon scorer's calibration error on the no, pl and sv dev sets together is 0.040
# rather than 0.023, and the everyday Swedish messages and Swedish dev macro-F1 do not move)
LEXICON_TRAINING = ("en", "no", "pl", "sv")
ECE_BINS = 15
# the social messages whose no-evidence class shares are the lexicon scorer's prior: the only
# social (tweet) train split here; the others are review sentences and stance texts
NO_EVIDENCE_SOURCE = "en"


def data_dir() -> Path:
    return sentiment_data.data_dir()


def labelled(lang: str, split: str) -> list[tuple[str, str]]:
    """(text, label) pairs of a language's split, as `social_crm_dev.sentiment_data` gives them."""
    return sentiment_data.labelled(lang, split)


@dataclass(frozen=True)
class Labelled:
    texts: list[str]
    labels: np.ndarray
    langs: list[str]

    @classmethod
    def of(cls, pairs: Sequence[tuple[str, str]], lang: str) -> Labelled:
        return cls([t for t, _ in pairs], np.array([y for _, y in pairs]), [lang] * len(pairs))

    def __add__(self, other: Labelled) -> Labelled:
        return Labelled(
            self.texts + other.texts,
            np.concatenate([self.labels, other.labels]),
            self.langs + other.langs,
        )

    def take(self, rows: Sequence[int]) -> Labelled:
        return Labelled(
            [self.texts[i] for i in rows], self.labels[rows], [self.langs[i] for i in rows]
        )


def load(name: str, lang: str | None = None) -> Labelled:
    rows = [json.loads(line) for line in (data_dir() / name).open(encoding="utf-8")]
    return Labelled(
        [r["text"] for r in rows],
        np.array([r["label"] for r in rows]),
        [lang or r["lang"] for r in rows],
    )


def training_data(lang: str) -> Labelled:
    """What a language's scorer learns from (empty when the language has no train split)."""
    return Labelled.of(labelled(lang, "train"), lang)


def _idf(counts) -> np.ndarray:
    """Smoothed inverse document frequency, as scikit-learn's TfidfTransformer computes it."""
    df = np.bincount(counts.indices, minlength=counts.shape[1])  # csr: one index per (doc, term)
    n = counts.shape[0]
    return np.log((1 + n) / (1 + df)) + 1.0


def fit(data: Labelled, lang: str, lexicon: model.Linear | None = None) -> model.TrainedScorer:
    """A language's regression; with `lexicon` (the lexicon scorer) and the language in
    `SENTENCE_EVIDENCE`, its rows end with the `model.sentence_evidence` columns."""
    sentences = lexicon if lang in SENTENCE_EVIDENCE else None
    counts = model.hashed_counts(data.texts, data.langs)
    word_idf, char_idf = _idf(counts[0].tocsr()), _idf(counts[1].tocsr())
    x = model.features(data.texts, data.langs, word_idf, char_idf, counts, sentences)
    regression = LogisticRegression(
        C=C[lang], solver="newton-cg", max_iter=1000, class_weight="balanced"
    )
    regression.fit(x, data.labels)
    order = [list(regression.classes_).index(c) for c in model.CLASSES]
    weights = model.Linear(regression.coef_[order].astype(np.float32), regression.intercept_[order])
    return model.TrainedScorer(lang, word_idf, char_idf, weights, sentences=sentences)


def fit_emoji(data: Labelled) -> model.Linear:
    """The learned part of the emoji term: a regression over VADER's ratings of the emoticons of
    every train text that has any (its intercept is not used: a text without one gets no
    term)."""
    x = model.emoji_features(data.texts)
    has = np.abs(x).sum(axis=1) > 0
    regression = LogisticRegression(C=1.0, max_iter=1000)
    regression.fit(x[has], data.labels[has])
    order = [list(regression.classes_).index(c) for c in model.CLASSES]
    log.info("emoticon term learned from %d texts", int(has.sum()))
    return model.Linear(regression.coef_[order], regression.intercept_[order])


def no_evidence_shares(data: Labelled) -> np.ndarray:
    """The shares of negative, neutral and positive among the social messages (the English
    tweets, `NO_EVIDENCE_SOURCE`) with no evidence of a feeling: no word VADER rates, no emoji,
    no emoticon. What a message that says nothing polar most likely is (measured on SemEval
    2013-2016 train: 5,395 such tweets, 0.088 / 0.607 / 0.305)."""
    social = data.take([i for i, lang in enumerate(data.langs) if lang == NO_EVIDENCE_SOURCE])
    if not social.texts:
        raise RuntimeError(
            f"no {NO_EVIDENCE_SOURCE} train texts: run `python -m social_crm_dev.sentiment_data"
            " fetch` first (the lexicon scorer's prior is measured on them)"
        )
    words = model.lexicon_features(social.texts, social.langs)[:, 2]
    signs = np.abs(model.emoji_features(social.texts)).sum(axis=1)
    emoji = np.abs(model.emoji_evidence(social.texts)).sum(axis=1)
    plain = social.labels[(words == 0) & (signs == 0) & (emoji == 0)]
    shares = np.array([(plain == c).mean() for c in model.CLASSES])
    log.info("no-evidence prior from %d %s texts: %s", len(plain), NO_EVIDENCE_SOURCE, shares)
    return shares


def fit_lexicon(data: Labelled) -> model.Linear:
    """The lexicon scorer: a regression over `model.lexicon_inputs` (valence, |valence|, any
    evidence) of the texts of languages with a lexicon, read through it (unweighted), whose
    intercept is not learned but set to the log of `no_evidence_shares`: a text with no polar
    word, emoji or emoticon gets the shares of social messages with none, and the weights are
    learned around that point. A learned intercept (without the evidence input) was the
    pooled reviews' and stance texts' balance (negative likeliest: Polish hotel reviews are
    mostly negative), so every Swedish question came out negative (docs/sentiment.md)."""
    keep = [i for i, lang in enumerate(data.langs) if lang in model.lexicons()]
    part = data.take(keep)
    prior = np.log(no_evidence_shares(data))
    x = model.lexicon_inputs(part.texts, part.langs)
    return model.Linear(fit_slopes(x, part.labels, prior), prior)


def fit_slopes(x: np.ndarray, labels: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """The weights (classes x features) of a multinomial logistic regression whose intercept is
    given, not learned: L2-penalised negative log-likelihood as scikit-learn's
    LogisticRegression(C=1) weighs it, minimised by L-BFGS."""
    truth = np.array([model.CLASSES.index(y) for y in labels])
    onehot = np.eye(len(model.CLASSES))[truth]
    shape = (len(model.CLASSES), x.shape[1])

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(shape)
        z = x @ w.T + intercept
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        nll = -float(np.log(np.clip(p[np.arange(len(truth)), truth], 1e-300, None)).sum())
        grad = (p - onehot).T @ x + w
        return nll + 0.5 * float((w * w).sum()), grad.ravel()

    found = minimize(loss, np.zeros(shape).ravel(), jac=True, method="L-BFGS-B")
    return found.x.reshape(shape)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of the labels."""
    truth = np.array([model.CLASSES.index(y) for y in labels])

    def nll(log_t: float) -> float:
        p = model.softmax(logits / np.exp(log_t))
        return float(-np.log(np.clip(p[np.arange(len(truth)), truth], 1e-12, None)).mean())

    return float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x))


def halves(n: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed split of dev into the half that fits the temperature and the half that
    measures calibration."""
    order = np.random.default_rng(SEED).permutation(n)
    return np.sort(order[: n // 2]), np.sort(order[n // 2 :])


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    return float(f1_score(truth, predicted, average="macro", labels=list(model.CLASSES)))


def confusion(truth: Sequence[str], predicted: Sequence[str]) -> np.ndarray:
    """Rows: the true class; columns: the predicted one (`model.CLASSES` order)."""
    return confusion_matrix(truth, predicted, labels=list(model.CLASSES))


def reliability(
    probabilities: np.ndarray, truth: Sequence[str], bins: int = ECE_BINS
) -> tuple[float, list[tuple[float, float, int, float, float]]]:
    """Expected calibration error (top label, equal-width bins over confidence) and the
    reliability table: (bin low, bin high, texts, mean confidence, accuracy) per non-empty bin."""
    confidence = probabilities.max(axis=1)
    right = np.array(
        [model.CLASSES[int(p.argmax())] == y for p, y in zip(probabilities, truth, strict=True)]
    )
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        inside = which == b
        if not inside.any():
            continue
        conf, acc = float(confidence[inside].mean()), float(right[inside].mean())
        ece += inside.mean() * abs(conf - acc)
        table.append((float(edges[b]), float(edges[b + 1]), int(inside.sum()), conf, acc))
    return float(ece), table


def cross_validated_logits(
    data: Labelled, lang: str, folds: int = FOLDS, lexicon: model.Linear | None = None
) -> np.ndarray:
    """Each text's logits by weights learned from the other folds."""
    out = np.empty((len(data.texts), len(model.CLASSES)))
    split = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    for train, test in split.split(data.texts, data.labels):
        held_out = data.take(test)
        out[test] = fit(data.take(train), lang, lexicon).logits(held_out.texts, held_out.langs)
    return out


@dataclass(frozen=True)
class Learned:
    scorer: model.TrainedScorer
    measure: str


def learn(lang: str, lexicon: model.Linear) -> Learned:
    """A language's scorer, calibrated, and how it was measured; `lexicon` is the lexicon
    scorer whose evidence `LEXICON_WEIGHT` adds."""
    dev = Labelled.of(labelled(lang, "dev"), lang)
    train = training_data(lang)
    fit_half, _ = halves(len(dev.texts))
    weight = LEXICON_WEIGHT.get(lang, 0.0)

    def evidence(data: Labelled) -> np.ndarray:
        return weight * model.lexicon_evidence(lexicon, data.texts, data.langs) if weight else 0.0

    if len(train.texts):
        scorer = fit(train, lang, lexicon)
        dev_logits = scorer.logits(dev.texts, dev.langs) + evidence(dev)
        measure = f"trained on {len(train.texts):,} texts, measured on {len(dev.texts):,} dev"
    else:
        dev_logits = cross_validated_logits(dev, lang, lexicon=lexicon)
        scorer = fit(dev, lang, lexicon)
        measure = f"no train split: {FOLDS}-fold cross-validated on {len(dev.texts):,} dev"
    if len(train.texts) and lang in CALIBRATED_ON_TRAIN:
        temperature = fit_temperature(
            cross_validated_logits(train, lang, lexicon=lexicon) + evidence(train), train.labels
        )
        measure += ", calibrated on its train split cross-validated"
    else:
        temperature = fit_temperature(dev_logits[fit_half], dev.labels[fit_half])
    scorer = model.TrainedScorer(
        lang,
        scorer.word_idf,
        scorer.char_idf,
        scorer.weights,
        temperature,
        weight,
        scorer.sentences,
    )
    return Learned(scorer, f"{measure}; temperature {temperature:.3f}")


def _arrays(name: str, weights: model.Linear, temperature: float | None = None) -> dict:
    out = {
        f"{name}__coef": weights.coef.astype(np.float32),
        f"{name}__intercept": weights.intercept.astype(np.float32),
    }
    if temperature is not None:
        out[f"{name}__temperature"] = np.float32(temperature)
    return out


def _scorer_arrays(scorer: model.TrainedScorer) -> dict:
    lang = scorer.lang
    return {
        f"{lang}__word_idf": scorer.word_idf.astype(np.float32),
        f"{lang}__char_idf": scorer.char_idf.astype(np.float32),
        f"{lang}__lexicon_weight": np.float32(scorer.lexicon_weight),
        f"{lang}__{model.SENTENCE_COLUMNS}": np.bool_(scorer.sentences is not None),
    } | _arrays(lang, scorer.weights, scorer.temperature)


def main(argv: Sequence[str] | None = None) -> int:
    """Rebuild every weight; or, with `--only LANG[,LANG]`, relearn those languages' scorers
    and keep the rest of the saved weights (the emoji term and the lexicon scorer included,
    which the relearned scorers then read): the English tweets and the lexicon scorer's prior
    need the extra sources (`sentiment_data fetch`), a Norwegian or Polish change does not."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--only"] and len(args) == 2:
        only = tuple(args[1].split(","))
        unknown = [lang for lang in only if lang not in TRAINED]
        if unknown:
            raise SystemExit(f"--only: {unknown} have no trained scorer (one of {TRAINED})")
        with np.load(model.MODEL_FILE) as saved:
            arrays = {key: saved[key] for key in saved.files if key.split("__")[0] not in only}
        lexicon = model.weights().lexicon
    elif not args:
        only = TRAINED
        every_train = Labelled([], np.array([], dtype=str), [])
        for lang in LEXICON_TRAINING:
            every_train = every_train + Labelled.of(labelled(lang, "train"), lang)
        arrays = _arrays(model.EMOJI_TERM, fit_emoji(every_train))
        lexicon = fit_lexicon(every_train)
        arrays |= _arrays(model.LEXICON_SCORER, lexicon, 1.0)
    else:
        raise SystemExit("usage: python -m social_crm_dev.sentiment_training [--only LANG[,LANG]]")
    for lang in only:
        learned = learn(lang, lexicon)
        log.info("%s: %s", lang, learned.measure)
        arrays |= _scorer_arrays(learned.scorer)
    np.savez_compressed(model.MODEL_FILE, **arrays)
    size = model.MODEL_FILE.stat().st_size / 1e6
    log.info("wrote %s (%.1f MB)", model.MODEL_FILE, size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
