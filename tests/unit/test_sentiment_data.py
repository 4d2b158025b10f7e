"""The sentiment training-data loader (tools/social_crm_dev/sentiment_data.py) on small folders
written here: dev stays held out, conflicting copies go, absent sources are skipped."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm_dev import sentiment_data as sd

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäöøæłśżźęąó", min_size=1, max_size=8)
SENTENCE = st.lists(WORD, min_size=1, max_size=12).map(" ".join)
LABEL = st.sampled_from(sd.LABELS)


@contextmanager
def folders(shared: dict[str, list[tuple[str, str]]], semeval: dict | None = None):
    """A shared folder of jsonl files and an extra folder holding the SemEval source's files
    (`semeval`: file name -> lines, and "commit" -> the commit fetched, else the source's;
    absent -> the source is not fetched)."""
    with tempfile.TemporaryDirectory() as tmp:
        data, extra = Path(tmp, "shared"), Path(tmp, "extra")
        data.mkdir()
        for name, rows in shared.items():
            lines = (json.dumps({"lang": "x", "text": t, "label": label}) for t, label in rows)
            (data / name).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        if semeval is not None:
            folder = extra / sd.SEMEVAL_TWITTER.name
            folder.mkdir(parents=True)
            for path in sd.SEMEVAL_TWITTER.paths:
                lines = semeval.get(Path(path).name, [])
                (folder / Path(path).name).write_text("".join(lines), encoding="utf-8")
            manifest = {"commit": semeval.get("commit", sd.SEMEVAL_TWITTER.commit)}
            (folder / "SOURCE.json").write_text(json.dumps(manifest), encoding="utf-8")
        env = {"SENTIMENT_DATA_DIR": str(data), "SENTIMENT_EXTRA_DIR": str(extra)}
        with mock.patch.dict(os.environ, env):
            yield


def _semeval_line(i: int, label: str, text: str) -> str:
    return f"{i}\t{label}\t{text}\n"


def _escaped(text: str) -> str:
    """A text as the older SemEval files write it: every non-ASCII character and comma as a
    `\\uXXXX` escape (characters beyond the BMP as two)."""
    out = []
    for ch in text:
        if ch.isascii() and ch != ",":
            out.append(ch)
        else:
            units = ch.encode("utf-16-be")
            out += [f"\\u{units[i : i + 2].hex()}" for i in range(0, len(units), 2)]
    return "".join(out)


@given(SENTENCE, LABEL, LABEL, st.sampled_from(["upper", "punct", "link", "mention", "escape"]))
def test_a_dev_text_written_differently_is_dropped_from_training(text, dev_label, label, how):
    """The dev copy (TweetEval's) has "@user" where the training copy names someone."""
    variant = {
        "upper": f"@Someone {text.upper()}",
        "punct": f'"@someone {text}!!" ',
        "link": f"@someone {text} https://t.co/abc123",
        "mention": f"@some_one_else {text}",
        "escape": _escaped(f"@someone {text}, ’"),
    }[how]
    dev_text = f"@user {text}, ’" if how == "escape" else f"@user {text}"
    shared = {"en_tweeteval_val.jsonl": [(dev_text, dev_label)]}
    semeval = {"twitter-2013train-A.tsv": [_semeval_line(1, label, variant)]}
    with folders(shared, semeval):
        data = sd.load("en", "train")
    assert data.pairs == []
    assert data.counts[0].in_dev == 1


@given(SENTENCE, st.lists(SENTENCE, min_size=8, max_size=8, unique=True), LABEL)
def test_a_training_text_that_begins_as_a_dev_tweet_does_is_dropped(text, words, label):
    """Published copies of one tweet differ past its beginning ("@name's" became "@user")."""
    opening = " ".join(w.split()[0] for w in words)
    shared = {"en_tweeteval_val.jsonl": [(f"{opening} @user {text}", "neutral")]}
    semeval = {"twitter-2016dev-A.tsv": [_semeval_line(7, label, f"RT {opening} @bob's {text}")]}
    with folders(shared, semeval):
        assert sd.labelled("en", "train") == []


@given(SENTENCE, LABEL, LABEL)
def test_a_training_text_with_two_labels_is_dropped_and_one_with_one_label_kept_once(
    text, first, second
):
    rows = [(text, first), (text.upper(), second), ("entirely other words here", "neutral")]
    with folders({"no_norec_sentence_train.jsonl": rows, "no_norec_sentence_dev.jsonl": []}):
        pairs = sd.labelled("no", "train")
    expected = [(text, first)] if first == second else []
    assert pairs == [*expected, ("entirely other words here", "neutral")]


@given(st.text(min_size=1, max_size=40).filter(lambda t: t.strip() and "\t" not in t))
def test_escaped_characters_of_a_semeval_line_are_decoded(text):
    text = text.replace("\n", " ").replace("\r", " ").strip()
    assert sd.SEMEVAL_TWITTER.parse(_semeval_line(1, "positive", _escaped(text))) == (
        text,
        "positive",
    )


def test_a_missing_source_is_skipped_with_a_warning(caplog):
    rows = [("Bra hotell", "positive")]
    with folders({"sv_absabank_imm_train.jsonl": rows}), caplog.at_level(logging.WARNING):
        assert sd.labelled("sv", "train") == rows
        assert sd.labelled("en", "train") == []
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "sv_absabank_imm_dev.jsonl skipped" in messages
    assert f"{sd.SEMEVAL_TWITTER.name} skipped" in messages


def test_dev_is_read_as_published_duplicates_and_all():
    rows = [("Bra.", "positive"), ("bra", "positive"), ("Bra.", "positive")]
    with folders({"sv_absabank_imm_dev.jsonl": rows}):
        assert sd.labelled("sv", "dev") == rows


def test_an_unknown_label_is_an_error_naming_the_file():
    with (
        folders({"pl_polemo2_hotels_train.jsonl": [("Super hotel", "ambivalent")]}),
        pytest.raises(ValueError, match="pl_polemo2_hotels_train.jsonl: label 'ambivalent'"),
    ):
        sd.labelled("pl", "train")


def test_an_unknown_language_or_split_is_an_error():
    with pytest.raises(ValueError, match="split='test'"):
        sd.labelled("en", "test")


def test_provenance_names_each_source_present_with_its_commit_and_texts():
    shared = {"en_tweeteval_val.jsonl": [("a dev tweet", "neutral")]}
    semeval = {"twitter-2013train-A.tsv": [_semeval_line(1, "positive", "so good"), "junk\n"]}
    with folders(shared, semeval):
        assert sd.provenance("en", "train") == [
            {
                "source": sd.SEMEVAL_TWITTER.name,
                "repository": sd.SEMEVAL_TWITTER.repository,
                "commit": sd.SEMEVAL_TWITTER.commit,
                "texts": 1,
            }
        ]
        assert sd.provenance("en", "dev") == [
            {
                "source": "en_tweeteval_val.jsonl",
                "shared_folder_file": "en_tweeteval_val.jsonl",
                "texts": 1,
            }
        ]


@pytest.mark.parametrize(
    "line",
    [
        '{"lang": "sv", "text": "Bra", "label": "positive"',
        '{"lang": "sv", "text": "Bra"}',
        "[1, 2]",
    ],
    ids=["cut short", "no label", "not an object"],
)
def test_a_bad_line_in_a_shared_file_is_an_error_naming_file_and_line(line):
    with folders({"sv_absabank_imm_train.jsonl": [("Dålig", "negative")]}):
        path = Path(os.environ["SENTIMENT_DATA_DIR"], "sv_absabank_imm_train.jsonl")
        path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
        with pytest.raises(ValueError, match=r"sv_absabank_imm_train\.jsonl:2: not a JSON object"):
            sd.labelled("sv", "train")


def test_a_line_of_an_extra_source_that_does_not_read_is_counted_not_lost_silently():
    lines = [_semeval_line(1, "positive", "so good"), "junk\n", "2\tpositive-ish\ttext\n"]
    with folders({}, {"twitter-2015train-A.tsv": lines}):
        count = sd.load("en", "train").counts[0]
    assert (count.read, count.kept, count.unreadable) == (3, 1, 2)


@given(st.lists(st.sampled_from([":)", ":(", ":-D", ";)", ":'(", "!!!", "?", "<3"]), unique=True))
def test_texts_of_punctuation_alone_are_told_apart(emoticons):
    """Emoticons are all punctuation: none is the dev text "...", nor a copy of another."""
    rows = [(e, "positive" if ")" in e or "D" in e else "negative") for e in emoticons]
    shared = {
        "no_norec_sentence_train.jsonl": rows,
        "no_norec_sentence_dev.jsonl": [("...", "neutral")],
    }
    with folders(shared):
        assert sd.labelled("no", "train") == rows


def test_a_short_text_is_a_copy_of_a_dev_text_only_when_all_of_it_matches():
    shared = {
        "no_norec_sentence_train.jsonl": [("@user", "neutral"), ("RT @user", "neutral")],
        "no_norec_sentence_dev.jsonl": [("RT @someone !", "neutral")],
    }
    with folders(shared):
        assert sd.labelled("no", "train") == [("@user", "neutral")]


def _mirror(tmp: Path, files: dict[str, str]) -> tuple[Path, str]:
    """A git directory laid out as `fetch` expects (`<owner>+<name>/repo`), holding `files` in
    one commit: (the mirror folder, the commit)."""
    work = tmp / "work"
    work.mkdir()
    for path, text in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text, encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(work)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "data"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, check=True)
    mirror = tmp / "mirror"
    (mirror / "owner+data").mkdir(parents=True)
    (work / ".git").rename(mirror / "owner+data" / "repo")
    return mirror, commit.stdout.decode().strip()


def test_fetch_copies_a_sources_files_at_its_commit_and_reports_a_missing_one(capsys):
    with tempfile.TemporaryDirectory() as tmp:
        mirror, commit = _mirror(Path(tmp), {"data/train.tsv": "1\tpositive\tgood\n"})
        good = sd.ExtraSource("x_good", "en", "owner/data", commit, ("data/train.tsv",), "CC0")
        bad = sd.ExtraSource("x_bad", "en", "owner/data", commit, ("data/test.tsv",), "CC0")
        with mock.patch.dict(os.environ, {"SENTIMENT_EXTRA_DIR": str(Path(tmp, "extra"))}):
            status = sd.fetch(mirror, (good, bad))
            assert sd.source_file(good, "data/train.tsv").read_text() == "1\tpositive\tgood\n"
            assert not (sd.extra_dir() / "x_bad").exists()
    assert status == 1
    assert "x_bad: data/test.tsv at commit" in capsys.readouterr().err


def test_a_source_fetched_at_another_commit_is_skipped_with_a_warning(caplog):
    semeval = {
        "twitter-2013train-A.tsv": [_semeval_line(1, "positive", "so good")],
        "commit": "0" * 40,
    }
    with folders({}, semeval), caplog.at_level(logging.WARNING):
        assert sd.labelled("en", "train") == []
    assert f"holds commit {'0' * 40}" in caplog.text


@given(st.text())
def test_a_key_keeps_no_punctuation_or_space_but_single_spaces_between_words(text):
    import unicodedata

    key = sd.dedupe_key(text)
    blank = [
        ch for ch in key if ch != " " and (unicodedata.category(ch)[0] in "PZ" or ch.isspace())
    ]
    words = key.split(" ")
    alone = not any(unicodedata.category(ch)[0] not in "PZ" and not ch.isspace() for ch in key)
    assert alone or (not blank and all(words)), (text, key)
