"""The lexicon builder (tools/social_crm_dev/sentiment_lexicons.py): which rows a source adds,
and that the project's own rows always stay as they are."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from social_crm_dev import sentiment_data as sd
from social_crm_dev import sentiment_lexicons as sl

LEMMA = st.text(alphabet="abdefgiklmnoprstuvåäö", min_size=sl.MIN_STEM, max_size=12)
POLARITY = st.sampled_from(["pos", "neg"])
PART_OF_SPEECH = st.sampled_from(["av", "ab", "vb", "vbm"])
ENTRIES = st.lists(
    st.tuples(LEMMA, POLARITY, PART_OF_SPEECH), max_size=20, unique_by=lambda e: e[0]
)


def _record_commit(source: sd.ExtraSource) -> None:
    """The SOURCE.json `fetch` writes beside a source's files."""
    manifest = sd.extra_dir() / source.name / "SOURCE.json"
    manifest.write_text(json.dumps({"commit": source.commit}), encoding="utf-8")


def _build(
    entries: list[tuple[str, str, str]] | None,
    project: list[sl.Row],
    afinn: list[tuple[str, int]] | None = None,
) -> list[sl.Row]:
    """The builder's rows from a Sentimentlex file holding `entries` and an AFINN Danish file
    holding `afinn` (None: not fetched)."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        mock.patch.dict(os.environ, {"SENTIMENT_EXTRA_DIR": tmp}),
    ):
        if entries is not None:
            path = sd.source_file(sd.SPRAKBANKEN_SENTIMENTLEX, sd.SPRAKBANKEN_SENTIMENTLEX.paths[0])
            path.parent.mkdir(parents=True)
            _record_commit(sd.SPRAKBANKEN_SENTIMENTLEX)
            with path.open("w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["word", "polarity", "strength", "part_of_speech", "confidence"])
                for word, polarity, pos in entries:
                    writer.writerow([word, polarity, 2 if polarity == "pos" else -2, pos, "0.5"])
        if afinn is not None:
            path = sd.source_file(sd.AFINN_DANISH, sd.AFINN_DANISH.paths[0])
            path.parent.mkdir(parents=True)
            _record_commit(sd.AFINN_DANISH)
            lines = (f"{word}\t{value}\n" for word, value in afinn)
            path.write_text("".join(lines), encoding="utf-8")
        return sl.build(project)


@given(ENTRIES)
def test_the_projects_rows_are_kept_first_and_win_every_stem(entries):
    project = [sl.Row("sv", word, 9.0, sl.PROJECT) for word, _, _ in entries[:5]]
    project.append(sl.Row("pl", "super", 2.5, sl.PROJECT))
    rows = _build(entries, project)
    assert rows[: len(project)] == project
    assert len({r.key() for r in rows}) == len(rows)


@given(ENTRIES)
def test_only_adjectives_and_adverbs_are_taken_with_the_sign_of_their_polarity(entries):
    rows = _build(entries, [])
    expected = {(w, p == "pos") for w, p, pos in entries if pos in sl.SPRAKBANKEN_KEPT}
    assert {(r.stem, r.polarity > 0) for r in rows} == expected


def test_a_short_lemma_becomes_whole_words_and_a_long_one_a_stem():
    rows = _build([("glad", "pos", "av"), ("besviken", "neg", "av")], [])
    assert [r.stem for r in rows] == ["glad=", "gladt=", "glada=", "glade=", "besviken"]


@given(st.lists(st.tuples(LEMMA, st.integers(-5, 5)), max_size=20, unique_by=lambda e: e[0]))
def test_afinns_danish_words_serve_danish_and_norwegian_as_whole_words(afinn):
    rows = _build(None, [], afinn)
    expected = {
        (lang, f"{w}=", v * sl.AFINN_SCALE)
        for w, v in afinn
        for lang in ("da", "no")
        if not (lang == "no" and w in sl.NOT_NORWEGIAN)
    }
    assert {(r.lang, r.stem, r.polarity) for r in rows} == expected


@given(
    st.lists(st.sampled_from(sorted(sl.NOT_NORWEGIAN)), min_size=1, unique=True),
    st.lists(st.tuples(LEMMA, st.integers(-5, 5)), max_size=10, unique_by=lambda e: e[0]),
)
def test_afinns_danish_words_of_another_norwegian_sense_stay_danish_only(false_friends, others):
    others = [(w, v) for w, v in others if w not in sl.NOT_NORWEGIAN]
    rows = _build(None, [], [(w, 3) for w in false_friends] + others)
    norwegian = {r.stem.removesuffix("=") for r in rows if r.lang == "no"}
    danish = {r.stem.removesuffix("=") for r in rows if r.lang == "da"}
    assert norwegian == {w for w, _ in others}
    assert danish == set(false_friends) | norwegian


def test_a_word_the_project_spells_as_a_stem_keeps_the_projects_polarity():
    project = [sl.Row("no", "elendig", -3.0, sl.PROJECT)]
    rows = _build(None, project, [("elendig", 4), ("elendige", -3)])
    assert [(r.lang, r.stem) for r in rows] == [
        ("no", "elendig"),
        ("da", "elendig="),
        ("da", "elendige="),
        ("no", "elendige="),
    ]


def test_an_unfetched_source_leaves_the_project_rows_alone(capsys):
    project = [sl.Row("sv", "bra", 2.0, sl.PROJECT)]
    assert _build(None, project) == project
    assert "its rows are left out" in capsys.readouterr().err


def test_the_file_reads_back_as_written():
    rows = [sl.Row("sv", "glad=", 2.0, sl.PROJECT), sl.Row("sv", "besviken", -2.5, sl.SPRAKBANKEN)]
    with tempfile.TemporaryDirectory() as tmp:
        sl.write(rows, Path(tmp, "lexicons.csv"))
        assert sl.read(Path(tmp, "lexicons.csv")) == rows


def test_the_shipped_file_has_no_norwegian_afinn_row_for_a_word_of_another_sense():
    found = [
        r.stem
        for r in sl.read()
        if r.lang == "no"
        and r.source == sl.AFINN_DA
        and r.stem.removesuffix("=") in sl.NOT_NORWEGIAN
    ]
    assert found == []
