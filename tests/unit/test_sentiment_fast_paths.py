"""The scorer's fast paths read exactly what scikit-learn's HashingVectorizer read before them:
the same hashed word and character n-gram counts, and probabilities within 1e-9 on real dev
text of the four languages (the shared sentiment folder; skipped, saying why, without it)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import HashingVectorizer

from social_crm.sentiment import model, text
from social_crm_dev import sentiment_data

LANGS = ("en", "no", "pl", "sv")


def _reference_counts(texts: list[str], langs: list[str]):
    """The counts as the scorer computed them with scikit-learn's own hashers."""
    words = HashingVectorizer(
        analyzer=lambda doc: model._word_ngrams(doc[1], doc[0]),
        n_features=2**model.HASH_BITS,
        alternate_sign=False,
        norm=None,
    )
    chars = HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 4),
        n_features=2**model.HASH_BITS,
        alternate_sign=False,
        norm=None,
        preprocessor=lambda doc: text.clean(doc).lower(),
    )
    return words.transform(list(zip(langs, texts, strict=True))), chars.transform(texts)


def _without_signs(texts: list[str], langs: list[str]) -> list[str]:
    """The texts as the n-grams read them: without emoticons and emoji but in the languages
    whose regression learned them (the emoji term reads them)."""
    return [
        t if model.TRAINED_FOR.get(lang) in model.SIGN_READERS else model._without_signs(t)
        for t, lang in zip(texts, langs, strict=True)
    ]


@pytest.fixture(scope="module")
def dev_texts() -> tuple[list[str], list[str]]:
    texts, langs = [], []
    for lang in LANGS:
        pairs = sentiment_data.labelled(lang, "dev")
        if not pairs:
            pytest.skip(f"no {lang} dev text in {sentiment_data.data_dir()} (SENTIMENT_DATA_DIR)")
        texts += [text.normalize(t) for t, _ in pairs]
        langs += [lang] * len(pairs)
    return texts, langs


def _same(a, b) -> bool:
    a, b = a.tocsr(), b.tocsr()
    a.sum_duplicates()
    b.sum_duplicates()
    return a.shape == b.shape and (a != b).nnz == 0


def test_hashed_counts_equal_scikit_learns_on_dev_text(dev_texts):
    texts, langs = dev_texts
    found = model.hashed_counts(texts, langs)
    # the n-grams are counted without emoticons and emoji (the emoji term reads them)
    expected = _reference_counts(_without_signs(texts, langs), langs)
    assert _same(found[0], expected[0])
    assert _same(found[1], expected[1])


def test_probabilities_equal_those_through_scikit_learns_hashers_on_dev_text(dev_texts):
    texts, langs = dev_texts
    # Danish and German rows too: Danish is read by the Norwegian scorer, German by the lexicon
    langs = [
        ("da" if i % 7 == 0 else "de" if i % 11 == 0 else lang) for i, lang in enumerate(langs)
    ]
    w = model.weights()
    expected = np.empty((len(texts), len(model.CLASSES)))
    found = model.probabilities(texts, langs)
    for name, scorer in w.trained.items():
        rows = [i for i, lang in enumerate(langs) if model.TRAINED_FOR.get(lang) == name]
        part, part_langs = [texts[i] for i in rows], [langs[i] for i in rows]
        counts = _reference_counts(_without_signs(part, part_langs), part_langs)
        x = model.features(
            part, part_langs, scorer.word_idf, scorer.char_idf, counts, scorer.sentences
        )
        regression = scorer.weights.logits(x)
        regression += scorer.lexicon_weight * model.lexicon_evidence(w.lexicon, part, part_langs)
        logits = regression / scorer.temperature
        expected[rows] = model.softmax(logits + model.emoji_logits(w.emoji, part))
    rows = [i for i, lang in enumerate(langs) if model.TRAINED_FOR.get(lang) not in w.trained]
    part, part_langs = [texts[i] for i in rows], [langs[i] for i in rows]
    logits = model.lexicon_logits(w.lexicon, part, part_langs) / w.lexicon_temperature
    expected[rows] = model.softmax(logits + model.emoji_logits(w.emoji, part))
    assert np.abs(found - expected).max() <= 1e-9


# letters, digits, punctuation, spaces of several kinds, emoji, links and mentions
PIECES = list("ab ęłÅø1!?.:;@#/\t\n\u00a0\u2003") + ["😀", "http://x.y/z ", "@fjord"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=20).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=6))
def test_character_counts_equal_scikit_learns_char_wb_counts(texts):
    assert _same(model._char_counts(texts), _reference_counts(texts, ["en"] * len(texts))[1])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=4))
def test_character_counts_equal_scikit_learns_on_any_unicode(texts):
    texts = [t.encode("utf-8", "ignore").decode("utf-8") for t in texts]  # no lone surrogates
    assert _same(model._char_counts(texts), _reference_counts(texts, ["en"] * len(texts))[1])


def test_character_counts_of_a_batch_of_too_many_distinct_characters_equal_scikit_learns():
    # 50,000 distinct code points: a 4-gram's number would not fit in 64 bits
    wide = " ".join(chr(0x10000 + i) + chr(0x10001 + i) for i in range(0, 50_000, 2))
    texts = [wide, "plain words"]
    assert _same(model._char_counts(texts), _reference_counts(texts, ["en"] * len(texts))[1])
