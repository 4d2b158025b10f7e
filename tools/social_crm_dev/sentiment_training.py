"""Learn the sentiment scorer's weights from human-labelled public text, and measure it.

The data is the project's shared sentiment folder (`SENTIMENT_DATA_DIR`, by default
`../shared/sentiment` beside the repository): English tweets (TweetEval sentiment, validation
split) and Norwegian review sentences (NoReC sentence, train and dev splits). The data never
enters the repository; the weights learned from it do (`sentiment_model.npz`), and this module
rebuilds them: `python -m social_crm_dev.sentiment_training`.

How each language is measured, on text the weights did not learn from:
* Norwegian: trained on NoReC's train split, measured on its dev split.
* English: only one split is shared, so the measure is 5-fold cross-validation on it (each
  tweet scored by weights learned from the other four fifths); the shipped weights then learn
  from all of it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from social_crm.paths import repo_root
from social_crm.sentiment import model
from social_crm_dev import settings as dev_settings

# inverse regularisation strength of each language's regression (chosen by cross-validation on
# the training data: Norwegian on its train split, English within its folds)
C = {"en": 1.0, "no": 1.0}
TRAINING = {"en": "en_tweeteval_val.jsonl", "no": "no_norec_sentence_train.jsonl"}
HELD_OUT = {"no": "no_norec_sentence_dev.jsonl"}
FOLDS = 5


def data_dir() -> Path:
    configured = dev_settings.load().sentiment_data_dir
    return Path(configured) if configured else repo_root().parent / "shared" / "sentiment"


@dataclass(frozen=True)
class Labelled:
    texts: list[str]
    labels: np.ndarray


def load(name: str) -> Labelled:
    rows = [json.loads(line) for line in (data_dir() / name).open(encoding="utf-8")]
    return Labelled([r["text"] for r in rows], np.array([r["label"] for r in rows]))


def _idf(counts) -> np.ndarray:
    """Smoothed inverse document frequency, as scikit-learn's TfidfTransformer computes it."""
    df = np.bincount(counts.indices, minlength=counts.shape[1])  # csr: one index per (doc, term)
    n = counts.shape[0]
    return np.log((1 + n) / (1 + df)) + 1.0


def fit(data: Labelled, lang: str) -> model.TrainedScorer:
    langs = [lang] * len(data.texts)
    counts = model.hashed_counts(data.texts, langs)
    word_idf, char_idf = _idf(counts[0].tocsr()), _idf(counts[1].tocsr())
    x = model.features(data.texts, langs, word_idf, char_idf, counts)
    regression = LogisticRegression(
        C=C[lang], solver="newton-cg", max_iter=1000, class_weight="balanced"
    )
    regression.fit(x, data.labels)
    order = [list(regression.classes_).index(c) for c in model.CLASSES]
    return model.TrainedScorer(
        lang,
        word_idf,
        char_idf,
        regression.coef_[order].astype(np.float32),
        regression.intercept_[order],
    )


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    return float(f1_score(truth, predicted, average="macro", labels=list(model.CLASSES)))


def predict(scorer: model.TrainedScorer, texts: Sequence[str]) -> list[str]:
    probabilities = scorer.probabilities(texts, [scorer.lang] * len(texts))
    return [model.CLASSES[int(p.argmax())] for p in probabilities]


def cross_validated_f1(data: Labelled, lang: str) -> float:
    predicted = np.empty(len(data.texts), dtype=object)
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    for train, test in folds.split(data.texts, data.labels):
        scorer = fit(Labelled([data.texts[i] for i in train], data.labels[train]), lang)
        predicted[test] = predict(scorer, [data.texts[i] for i in test])
    return macro_f1(data.labels, list(predicted))


def main() -> int:
    arrays: dict[str, np.ndarray] = {}
    for lang, name in TRAINING.items():
        data = load(name)
        scorer = fit(data, lang)
        if lang in HELD_OUT:
            held_out = load(HELD_OUT[lang])
            f1 = macro_f1(held_out.labels, predict(scorer, held_out.texts))
            measure = f"held-out macro-F1 {f1:.3f}"
        else:
            measure = f"{FOLDS}-fold cross-validated macro-F1 {cross_validated_f1(data, lang):.3f}"
        print(f"{lang}: {len(data.texts)} texts, {measure}", file=sys.stderr)
        arrays |= {
            f"{lang}__word_idf": scorer.word_idf.astype(np.float32),
            f"{lang}__char_idf": scorer.char_idf.astype(np.float32),
            f"{lang}__coef": scorer.coef,
            f"{lang}__intercept": scorer.intercept.astype(np.float32),
        }
    np.savez_compressed(model.MODEL_FILE, **arrays)
    size = model.MODEL_FILE.stat().st_size / 1e6
    print(f"wrote {model.MODEL_FILE} ({size:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
