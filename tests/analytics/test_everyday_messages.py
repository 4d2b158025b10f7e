"""Sentiment of everyday messages to a brand, as people write them on Facebook, X and Instagram
(`everyday_messages.csv`: lang, text, expected, and kind: what the message tests, ";" between
two), in English, Norwegian, Swedish and Polish:
negation ("Inte bra alls...", "nie polecam", "not bad at all"), intensifiers, emoji only,
emoticons, short replies, questions, sarcasm (the expected label is what the writer means),
typos, capitals, a second language. Written by hand for this test from knowledge of the
languages, not from the simulator's templates nor from the shared data; never used to train or
tune the scorer (docs/sentiment-data.md).

Each language's test prints the share `model.score` labels as expected, with the misses, and
asserts a floor a little under what the shipped scorer reaches, so a regression fails."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from social_crm.sentiment import model

pytestmark = pytest.mark.eval

MESSAGES = Path(__file__).with_name("everyday_messages.csv")
LANGS = ("en", "no", "sv", "pl")
# share labelled as expected: about two messages under what the shipped scorer reaches
# (measured 2026-12-07 with Swedish read by the lexicon scorer: en 0.690, no 0.643, sv 0.786,
# pl 0.833, all 0.738; see docs/sentiment.md)
FLOOR = {"en": 0.64, "no": 0.59, "sv": 0.73, "pl": 0.78}
OVERALL_FLOOR = 0.70
# what every language's list holds at least one of
KINDS = (
    "negation",
    "intensifier",
    "emoji only",
    "emoticon",
    "short reply",
    "question",
    "sarcasm",
    "exclamation",
)
# a strongly polar word or short exclamation alone ("Elendig.", "Hemskt.", "Irytujące.",
# "Awful."): the probability of its polarity must reach this, not only be the likeliest
EXCLAMATION = "exclamation"
EXCLAMATION_FLOOR = 0.5


def _rows() -> list[dict[str, str]]:
    with MESSAGES.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def scored() -> list[tuple[dict[str, str], str]]:
    rows = _rows()
    labels = model.score([r["text"] for r in rows], [r["lang"] for r in rows])
    return [(row, label) for row, (label, _) in zip(rows, labels, strict=True)]


@pytest.mark.parametrize("lang", LANGS)
def test_each_language_lists_forty_messages_of_every_label_and_kind(lang):
    rows = [r for r in _rows() if r["lang"] == lang]
    kinds = {kind for r in rows for kind in r["kind"].split(";")}
    assert len(rows) >= 40
    assert set(Counter(r["expected"] for r in rows)) == set(model.CLASSES)
    assert [k for k in KINDS if k not in kinds] == []


def _exclamations() -> list[dict[str, str]]:
    return [r for r in _rows() if EXCLAMATION in r["kind"].split(";")]


@pytest.mark.parametrize(
    "row", _exclamations(), ids=lambda r: f"{r['lang']}-{r['text']}-{r['expected']}"
)
def test_a_strongly_polar_exclamation_alone_reads_as_its_polarity(row, capsys):
    p = model.probabilities([row["text"]], [row["lang"]])[0]
    found = float(p[model.CLASSES.index(row["expected"])])
    with capsys.disabled():
        print(f"\n{row['lang']} {row['text']!r}: P({row['expected']}) {found:.2f}")
    assert found >= EXCLAMATION_FLOOR


@pytest.mark.parametrize("lang", LANGS)
def test_everyday_messages_are_labelled_as_people_mean_them(lang, scored, capsys):
    mine = [(row, label) for row, label in scored if row["lang"] == lang]
    right = sum(label == row["expected"] for row, label in mine) / len(mine)
    misses = [
        f"    expected {row['expected']:8} got {label:8} ({row['kind']}) {row['text']}"
        for row, label in mine
        if label != row["expected"]
    ]
    with capsys.disabled():
        print(f"\n{lang} everyday messages: {right:.3f} right ({len(mine)} messages)")
        print("\n".join(misses))
    assert right >= FLOOR[lang]


def test_everyday_messages_overall(scored, capsys):
    right = sum(label == row["expected"] for row, label in scored) / len(scored)
    by_kind: dict[str, list[bool]] = {}
    for row, label in scored:
        for kind in row["kind"].split(";"):
            by_kind.setdefault(kind, []).append(label == row["expected"])
    with capsys.disabled():
        print(f"\nall everyday messages: {right:.3f} right ({len(scored)} messages)")
        for kind, hits in sorted(by_kind.items()):
            print(f"    {kind:12} {sum(hits) / len(hits):.3f} of {len(hits)}")
    assert right >= OVERALL_FLOOR
