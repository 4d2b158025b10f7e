"""Language detection measured on real text (the dev splits of the shared sentiment folder;
skipped, saying why, without it): the fast detector's sure answers, which spare short texts
the high-accuracy detector, leave no language with fewer texts detected right than the
high-accuracy detector alone gives."""

import pytest

from social_crm.sentiment import languages, text
from social_crm_dev import sentiment_data

pytestmark = pytest.mark.eval

LANGS = ("en", "no", "pl", "sv")


def _high_accuracy_for_short_texts(texts: list[str]) -> list[str]:
    """Every short text by the high-accuracy detector, a long one by the fast one."""
    out = []
    for body in texts:
        bare = languages.detector_text(body)
        if sum(ch.isalpha() for ch in bare) < languages.MIN_LETTERS:
            out.append(languages.UNDETERMINED)
            continue
        slow = len(bare) < languages.SHORT_TEXT
        detector = languages._short_text_detector() if slow else languages._detector()
        out.append(languages._code(detector.detect_language_of(bare)))
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_no_fewer_dev_texts_are_detected_right_than_by_the_high_accuracy_detector(lang):
    texts = [text.normalize(t) for t, _ in sentiment_data.labelled(lang, "dev")]
    if not texts:
        pytest.skip(f"no {lang} dev text in {sentiment_data.data_dir()} (SENTIMENT_DATA_DIR)")
    right = sum(code == lang for code in languages.detect(texts))
    before = sum(code == lang for code in _high_accuracy_for_short_texts(texts))
    print(f"\n{lang}: {right} of {len(texts)} dev texts detected right ({before} before)")
    assert right >= before
