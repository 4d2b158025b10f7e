"""Language, sentiment and intent of customer messages: one function, `score_messages`, used by
the nightly scoring step and by `social-crm sentiment score`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from social_crm.sentiment import intent, languages, model


@cache
def version() -> str:
    """The scorer's version: the trained weights, the lexicons and the intent rules. Messages
    scored by another version are scored again."""
    return f"{model.version()}-{intent.RULES_VERSION}"


def score_messages(messages: Sequence[dict]) -> list[dict]:
    """Each message ({"id", "text", "lang": optional}) with "lang", "sentiment" (negative |
    neutral | positive), "score" (-1..1) and "intent" added."""
    texts = [m.get("text") or "" for m in messages]
    langs = languages.detect(texts, [m.get("lang") for m in messages])
    scored = model.score(texts, langs)
    return [
        {
            **m,
            "lang": lang,
            "sentiment": sentiment,
            "score": value,
            "intent": intent.intent(text, sentiment),
        }
        for m, text, lang, (sentiment, value) in zip(messages, texts, langs, scored, strict=True)
    ]


def batches(items: Iterable[dict], size: int) -> Iterable[list[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
