"""Sentiment measured on real, human-labelled text nobody here wrote (the shared sentiment
folder; `SENTIMENT_DATA_DIR`): macro-F1 and the confusion matrix of each dev set, and the
calibration error of each language. Each test prints its measure; the floors sit a little under
what the scorer reaches, so a regression fails. Skipped, saying why, where the folder is absent.
English is measured on its dev tweets, which the shipped weights did not learn from when its
extra train tweets are there (`social_crm_dev.sentiment_data`); without them (a checkout where
they were not copied in), by cross-validation on the dev tweets: `make eval` runs all folds,
`make test` one."""

import numpy as np
import pytest

from social_crm.sentiment import model, score_messages
from social_crm_dev import sentiment_training as training

pytestmark = pytest.mark.eval

# macro-F1 floors per dev set, a little under the measured figure (docs/sentiment.md)
FLOORS = {
    "NoReC sentence dev": 0.59,
    "PolEmo 2.0 hotels dev": 0.79,
    "Allegro Reviews dev": 0.60,
    # Swedish is read by the lexicon scorer (tone); this set labels stance towards immigration,
    # so its figure says how far tone is from stance, not how well Swedish tone is read
    "ABSAbank-Imm dev": 0.24,
}
ECE_CEILING = 0.05
# the Swedish lexicon scorer's error against stance labels (0.361, docs/sentiment.md): only a
# guard against it growing, not a calibration target. It was 0.338 before the scorer's
# no-evidence prior became social messages' (mostly neutral): the stance set's texts without a
# polar word are 46% negative stance
SWEDISH_STANCE_ECE_CEILING = 0.38


@pytest.fixture(scope="module", autouse=True)
def shared_data():
    if not (training.data_dir() / training.DEV_SETS[1][2]).exists():
        pytest.skip(f"no shared sentiment data in {training.data_dir()} (set SENTIMENT_DATA_DIR)")


def _english_has_a_train_split() -> bool:
    return bool(training.labelled("en", "train"))


def _report(title: str, data: training.Labelled, probabilities: np.ndarray) -> float:
    predicted = [model.CLASSES[int(i)] for i in probabilities.argmax(axis=1)]
    f1 = training.macro_f1(data.labels, predicted)
    matrix = training.confusion(data.labels, predicted)
    print(f"\n{title}, {len(data.texts):,} texts: macro-F1 {f1:.3f}")
    print("  confusion (rows true, columns predicted: negative, neutral, positive)")
    for name, row in zip(model.CLASSES, matrix, strict=True):
        print(f"  {name:>8}: " + " ".join(f"{n:5d}" for n in row))
    return f1


def _macro_f1_through_the_scorer(data: training.Labelled, lang: str | None) -> float:
    scored = score_messages([{"id": i, "text": t, "lang": lang} for i, t in enumerate(data.texts)])
    return training.macro_f1(data.labels, [m["sentiment"] for m in scored])


@pytest.mark.parametrize(
    ("lang", "name", "file"), [s for s in training.DEV_SETS if s[0] != "en"], ids=lambda v: v
)
def test_macro_f1_on_each_dev_set(lang, name, file, capsys):
    data = training.load(file, lang)
    with capsys.disabled():
        f1 = _report(f"{lang} {name}", data, model.probabilities(data.texts, data.langs))
    assert f1 >= FLOORS[name]


def test_polish_macro_f1_on_both_dev_sets_together(capsys):
    data = training.Labelled.of(training.labelled("pl", "dev"), "pl")
    with capsys.disabled():
        f1 = _report("pl both dev sets", data, model.probabilities(data.texts, data.langs))
    assert f1 >= 0.60


def test_norwegian_macro_f1_when_the_language_is_detected(capsys):
    f1 = _macro_f1_through_the_scorer(training.load(training.DEV_SETS[1][2]), None)
    with capsys.disabled():
        print(f"\nNorwegian, language detected rather than given: macro-F1 {f1:.3f}")
    assert f1 >= 0.57


def _english_held_out() -> tuple[training.Labelled, np.ndarray]:
    """English dev tweets and the shipped weights' logits of them (which they did not learn
    from when English has a train split)."""
    data = training.Labelled.of(training.labelled("en", "dev"), "en")
    return data, model.trained_scorers()["en"].logits(data.texts, data.langs)


def test_english_macro_f1_on_dev_tweets_the_shipped_weights_did_not_learn(capsys):
    if not _english_has_a_train_split():
        pytest.skip("English extra train tweets absent: the cross-validated tests measure it")
    data, logits = _english_held_out()
    with capsys.disabled():
        f1 = _report("en TweetEval validation (held out)", data, model.softmax(logits))
    assert f1 >= 0.64


@pytest.mark.eval_only
def test_english_macro_f1_cross_validated_on_dev_tweets(capsys):
    """Without the extra train tweets: weights learned from four fifths of the dev tweets score
    the fifth left out, for each fifth (2,000 tweets are too few to reach the target)."""
    if _english_has_a_train_split():
        pytest.skip("English has its train tweets: the shipped weights are measured instead")
    data = training.Labelled.of(training.labelled("en", "dev"), "en")
    logits = training.cross_validated_logits(data, "en")
    with capsys.disabled():
        f1 = _report("en TweetEval validation, 5-fold", data, model.softmax(logits))
    assert f1 >= 0.60


def test_english_macro_f1_on_one_fold_of_dev_tweets_learned_from_the_others(capsys):
    """The cross-validation above, its first fold only (a fifth of the time): the same floor."""
    from sklearn.model_selection import StratifiedKFold

    if _english_has_a_train_split():
        pytest.skip("English has its train tweets: the shipped weights are measured instead")
    data = training.Labelled.of(training.labelled("en", "dev"), "en")
    folds = StratifiedKFold(training.FOLDS, shuffle=True, random_state=training.SEED)
    train, held_out = next(folds.split(data.texts, data.labels))
    scorer = training.fit(data.take(train), "en")
    part = data.take(held_out)
    with capsys.disabled():
        f1 = _report(
            "en TweetEval validation, one fold learned from the other four",
            part,
            model.softmax(scorer.logits(part.texts, part.langs)),
        )
    assert f1 >= 0.60


def _calibration(lang: str, data: training.Labelled, probabilities: np.ndarray) -> float:
    """Calibration error on the half of dev the temperature was not fitted on, printed with its
    reliability table."""
    _, measured = training.halves(len(data.texts))
    ece, table = training.reliability(probabilities[measured], data.labels[measured])
    print(
        f"\n{lang}: expected calibration error {ece:.3f} ({len(measured):,} dev texts,"
        f" {training.ECE_BINS} bins, top label)"
    )
    for low, high, n, confidence, accuracy in table:
        print(
            f"  {low:.2f}-{high:.2f}: {n:5d} texts, confidence {confidence:.3f},"
            f" accuracy {accuracy:.3f}"
        )
    return ece


@pytest.mark.parametrize("lang", ["no", "pl"])
def test_calibration_error_on_the_dev_half_not_used_to_calibrate(lang, capsys):
    data = training.Labelled.of(training.labelled(lang, "dev"), lang)
    with capsys.disabled():
        ece = _calibration(lang, data, model.probabilities(data.texts, data.langs))
    assert ece <= ECE_CEILING


def test_swedish_error_against_stance_labels_does_not_grow(capsys):
    """Swedish messages get the lexicon scorer, which reads tone and is calibrated on the train
    splits of every language with a lexicon together. Swedish's only dev set labels stance
    towards immigration (208 neutral, 198 negative, 68 positive): a text's stance is not its
    tone, so this error measures the distance between the two tasks, not Swedish calibration
    (no tone-labelled Swedish text is here). Printed; the ceiling only guards against growth."""
    data = training.Labelled.of(training.labelled("sv", "dev"), "sv")
    with capsys.disabled():
        ece = _calibration(
            "sv (lexicon scorer, against stance labels)",
            data,
            model.probabilities(data.texts, data.langs),
        )
    assert ece <= SWEDISH_STANCE_ECE_CEILING


def test_english_calibration_error_on_dev_tweets_the_weights_did_not_learn(capsys):
    if not _english_has_a_train_split():
        pytest.skip("English extra train tweets absent: the shipped weights cannot be measured")
    data, logits = _english_held_out()
    temperature = model.trained_scorers()["en"].temperature
    probabilities = model.softmax(
        logits / temperature + model.emoji_logits(model.weights().emoji, data.texts)
    )
    with capsys.disabled():
        ece = _calibration("en", data, probabilities)
    assert ece <= ECE_CEILING


def test_the_lexicon_scorer_is_calibrated_where_it_reads_evidence(capsys):
    """Languages without a trained scorer get the lexicon scorer; it is measured here on the
    dev sets of the languages whose lexicon it learned from, read through the lexicon only, on
    the texts with evidence of a feeling (a polar word, an emoji or an emoticon): there its
    probabilities are learned. A text without any gets the shares of social messages with none
    (mostly neutral, `sentiment_training.no_evidence_shares`), not these review and stance sets'
    (Polish hotel reviews without a polar word are mostly negative); all texts are printed
    too."""
    data = training.Labelled([], np.array([], dtype=str), [])
    for lang in ("no", "pl", "sv"):
        data = data + training.Labelled.of(training.labelled(lang, "dev"), lang)
    w = model.weights()
    inputs = model.lexicon_inputs(data.texts, data.langs)
    found = w.lexicon.logits(inputs) / w.lexicon_temperature
    probabilities = model.softmax(found + model.emoji_logits(w.emoji, data.texts))
    evidence = np.flatnonzero(inputs[:, 2] > 0)
    with capsys.disabled():
        _calibration("lexicon scorer (no, pl, sv dev), all texts", data, probabilities)
        ece = _calibration(
            "lexicon scorer (no, pl, sv dev), texts with evidence",
            data.take(evidence),
            probabilities[evidence],
        )
    assert ece <= ECE_CEILING


def _detected_languages(file: str) -> list[str]:
    texts = training.load(file).texts
    return [m["lang"] for m in score_messages([{"id": 0, "text": t} for t in texts])]


def test_english_tweets_are_detected_as_english(capsys):
    langs = _detected_languages(training.DEV_SETS[0][2])
    share = langs.count("en") / len(langs)
    with capsys.disabled():
        print(f"\nEnglish tweets detected as English: {share:.3f}")
    assert share >= 0.97


def test_norwegian_sentences_reach_the_norwegian_scorer(capsys):
    langs = _detected_languages(training.DEV_SETS[1][2])
    share = sum(model.TRAINED_FOR.get(lang) == "no" for lang in langs) / len(langs)
    with capsys.disabled():
        print(f"\nNorwegian sentences scored by the Norwegian scorer: {share:.3f}")
    assert share >= 0.9
