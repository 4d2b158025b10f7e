"""Language, sentiment and intent of customer messages: one function, `score_messages`, used by
the nightly scoring step and by `social-crm sentiment score`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from social_crm.sentiment import intent, languages, model, text

NO_FEELING = np.array([0.0, 1.0, 0.0])


# the modules whose code decides a reading: what is read of a message, the language detection,
# the features and scorers, the intent rules
READING_MODULES = (text, languages, model, intent)


@cache
def version() -> str:
    """The scorer's version: the trained weights, the lexicons, the emoji ranking and the
    packages whose data decide a reading (`model.version`), the code of the modules that read
    a message, and the tracked brands' names the language detector reads a text without
    (brands.csv: a brand added changes how the messages naming it are detected). Messages
    scored by another version are scored again."""
    digest = hashlib.sha256(model.version().encode())
    for module in READING_MODULES:
        assert module.__file__ is not None  # modules of the package, read from files
        digest.update(Path(module.__file__).read_bytes())
    digest.update("\n".join(languages.brand_names()).encode())
    return f"{digest.hexdigest()[:16]}-{intent.RULES_VERSION}"


def score_messages(messages: Sequence[dict]) -> list[dict]:
    """Each message ({"id", "text", "lang": optional}) with "lang", "sentiment" (negative |
    neutral | positive: the likeliest class), "score" (-1..1: P(positive) - P(negative)),
    "p_negative", "p_neutral", "p_positive" (the scorer's probabilities, summing to 1) and
    "intent" added."""
    texts = [text.normalize(m.get("text") or "") for m in messages]
    langs = languages.detect(texts, [m.get("lang") for m in messages])
    probabilities = model.probabilities(texts, langs)
    # a text with no evidence of a feeling (empty, a photo's comment, "ok") is neutral
    for i, body in enumerate(texts):
        if text.says_nothing(body):
            probabilities[i] = NO_FEELING
    scored = []
    for m, body, lang, p in zip(messages, texts, langs, probabilities, strict=True):
        sentiment, value = model.label_and_score(p)
        scored.append(
            {
                **m,
                "lang": lang,
                "sentiment": sentiment,
                "score": value,
                **{f"p_{name}": float(share) for name, share in zip(model.CLASSES, p, strict=True)},
                "intent": intent.intent(body, sentiment),
            }
        )
    return scored


def batches(items: Iterable[dict], size: int) -> Iterable[list[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
