"""Human-labelled sentiment text for training and measuring the scorer: the one reader of it.

`labelled(lang, split)` gives (text, label) pairs, labels in negative/neutral/positive, for
English, Norwegian, Swedish and Polish, split "train" or "dev":

* the project's shared sentiment folder (`SENTIMENT_DATA_DIR`, else `../shared/sentiment` beside
  the checkout; its README gives each file's source, licence and label mapping);
* extra public TRAIN splits (`EXTRA_SOURCES`), which a developer copies once from a local git
  mirror of their public repository into `SENTIMENT_EXTRA_DIR` (else `.local/sentiment-extra`):
  `python -m social_crm_dev.sentiment_data fetch --mirror DIR`. Nothing is downloaded at run
  time and no text enters the repository.

Every source is optional: one that is absent is skipped with a logged warning. Dev stays held
out: a training text whose normalised form (`dedupe_key`), or whose first words (`near_key`),
are also a dev text's is dropped from training, and a training text that occurs with two
different labels is dropped altogether. `python -m social_crm_dev.sentiment_data counts`
prints what each source gave.
Only train and dev splits are read: no file of any data set's test split is named here, nor
copied by `fetch`.
"""

from __future__ import annotations

import argparse
import functools
import html
import json
import logging
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from social_crm.paths import repo_root
from social_crm.sentiment import text as text_prep
from social_crm_dev import settings as dev_settings

log = logging.getLogger(__name__)

LABELS = ("negative", "neutral", "positive")
LANGS = ("en", "no", "sv", "pl")
SPLITS = ("train", "dev")

# the shared folder's files of each language and split
SHARED: dict[tuple[str, str], tuple[str, ...]] = {
    ("en", "train"): (),
    ("en", "dev"): ("en_tweeteval_val.jsonl",),
    ("no", "train"): ("no_norec_sentence_train.jsonl",),
    ("no", "dev"): ("no_norec_sentence_dev.jsonl",),
    ("sv", "train"): ("sv_absabank_imm_train.jsonl",),
    ("sv", "dev"): ("sv_absabank_imm_dev.jsonl",),
    ("pl", "train"): ("pl_polemo2_hotels_train.jsonl", "pl_allegro_reviews_train.jsonl"),
    ("pl", "dev"): ("pl_polemo2_hotels_dev.jsonl", "pl_allegro_reviews_dev.jsonl"),
}


def _tsv_id_label_text(line: str) -> tuple[str, str] | None:
    """A SemEval Twitter line, `id<TAB>label<TAB>text[<TAB>]`; the older years' files write
    non-ASCII characters (and commas) as JSON-style `\\uXXXX` escapes."""
    parts = line.rstrip("\n").split("\t")
    if len(parts) < 3 or parts[1] not in LABELS:
        return None
    return _unescape_u(parts[2]).strip(), parts[1]


_U_ESCAPES = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")


def _unescape_u(value: str) -> str:
    def decode(match: re.Match[str]) -> str:
        units = [int(match.group(0)[i + 2 : i + 6], 16) for i in range(0, len(match.group(0)), 6)]
        raw = b"".join(unit.to_bytes(2, "big") for unit in units)
        return raw.decode("utf-16-be", errors="replace")

    return _U_ESCAPES.sub(decode, value)


@dataclass(frozen=True)
class ExtraSource:
    """A public training split that is not in the shared folder: where it is published (a git
    repository at a commit), the files `fetch` copies, and how a line reads."""

    name: str
    lang: str
    repository: str
    commit: str
    paths: tuple[str, ...]
    licence: str
    # how a line of a labelled-text source reads (None for a lexicon, read by its builder)
    parse: Callable[[str], tuple[str, str] | None] | None = field(default=None, repr=False)


# SemEval Twitter sentiment, message polarity (subtask A), the train and dev files of the
# 2013-2016 editions: part of the pool TweetEval's sentiment train and validation splits were
# drawn from (Barbieri et al. 2020). The editions' test files (which TweetEval also trains on)
# are left out, as is the SemEval-2017 test set (TweetEval's test split): no test split is read.
SEMEVAL_TWITTER = ExtraSource(
    name="en_semeval_twitter_2013_2016",
    lang="en",
    repository="cbaziotis/datastories-semeval2017-task4",
    commit="faeee5fd1c2cf38e32179a4676dff53ae01adfa8",
    paths=tuple(
        f"dataset/Subtask_A/downloaded/twitter-{name}-A.tsv"
        for name in ("2013train", "2013dev", "2015train", "2016train", "2016dev", "2016devtest")
    ),
    licence="SemEval-2017 Task 4 data, research use under Twitter's terms (as TweetEval)",
    parse=_tsv_id_label_text,
)

EXTRA_SOURCES: tuple[ExtraSource, ...] = (SEMEVAL_TWITTER,)

# Språkbanken Text's Swedish sentiment lexicon (Sentimentlex; Nusko, Tahmasebi & Mogren 2016),
# CC BY 4.0, as copied into peterdalle/svensktext: read by sentiment_lexicons.py, not a text set
SPRAKBANKEN_SENTIMENTLEX = ExtraSource(
    name="sv_sprakbanken_sentimentlex",
    lang="sv",
    repository="peterdalle/svensktext",
    commit="48c437d3df9e2ae938a305365f903303f247061b",
    paths=("sentiment/sentimentlex.csv",),
    licence="CC BY 4.0 (Språkbanken Text)",
)

# AFINN's Danish word list, rated by hand (Nielsen 2011), in the AFINN repository (Apache-2.0)
AFINN_DANISH = ExtraSource(
    name="da_afinn",
    lang="da",
    repository="fnielsen/afinn",
    commit="1d6dfd2b2b8a604eafdd2d175b7a682a0ea0217d",
    paths=("afinn/data/AFINN-da-32.txt",),
    licence="Apache-2.0 (Finn Årup Nielsen, Technical University of Denmark)",
)

LEXICON_SOURCES: tuple[ExtraSource, ...] = (SPRAKBANKEN_SENTIMENTLEX, AFINN_DANISH)


def data_dir() -> Path:
    configured = dev_settings.load().sentiment_data_dir
    return Path(configured) if configured else repo_root().parent / "shared" / "sentiment"


def extra_dir() -> Path:
    configured = dev_settings.load().sentiment_extra_dir
    return Path(configured) if configured else repo_root() / ".local" / "sentiment-extra"


@functools.cache
def _blanks() -> dict[int, str]:
    """Every character `dedupe_key` reads as a space: punctuation (P*), separators (Z*) and
    whitespace, as a `str.translate` table (built once: a pass over every code point)."""
    return {
        point: " "
        for point in range(sys.maxunicode + 1)
        if unicodedata.category(chr(point)).startswith(("P", "Z")) or chr(point).isspace()
    }


def dedupe_key(text: str) -> str:
    """What makes two texts the same text: links dropped, @mentions alike, HTML entities and
    `\\uXXXX` escapes decoded, case, punctuation and spacing ignored (emoji kept); a text of
    punctuation alone (":)", ":(") keeps its punctuation, or every emoticon would be one text."""
    text = html.unescape(_unescape_u(text))
    text = text_prep.MENTION.sub("@user", text_prep.URL.sub(" ", text)).casefold()
    return " ".join(text.translate(_blanks()).split()) or " ".join(text.split())


# words that the published copies of one tweet spell differently ("@name's" became "@user")
_NOISE_WORDS = {"user", "rt", "mt", "s"}
NEAR_WORDS = 8


def near_key(text: str) -> str | None:
    """The first `NEAR_WORDS` words of a text's `dedupe_key`, without the words copies of a
    tweet differ in: a training text that begins as a dev text does is taken for a copy of it.
    None for a text with fewer words (only its whole `dedupe_key` can match)."""
    words = [w for w in dedupe_key(text).split() if w not in _NOISE_WORDS]
    return " ".join(words[:NEAR_WORDS]) if len(words) >= NEAR_WORDS else None


@dataclass
class SourceCount:
    """What one source gave one language's split."""

    source: str
    read: int = 0
    in_dev: int = 0  # training texts dropped as copies of a dev text of the language
    repeated: int = 0  # later copies of a text already kept with the same label
    conflicting: int = 0  # texts dropped because another copy has another label
    unreadable: int = 0  # lines of an extra source that do not read as (id, label, text)
    labels: Counter[str] = field(default_factory=Counter)

    @property
    def kept(self) -> int:
        return sum(self.labels.values())


@dataclass
class Labelled:
    lang: str
    split: str
    pairs: list[tuple[str, str]]
    counts: list[SourceCount]


def _shared_rows(name: str) -> Iterator[tuple[str, str]]:
    path = data_dir() / name
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, label = row["text"], row["label"]
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(
                    f"{path}:{number}: not a JSON object with text and label ({error!r})"
                ) from None
            if not isinstance(text, str):
                raise ValueError(f"{path}:{number}: text is not a string")
            yield text, label


def source_file(source: ExtraSource, path: str) -> Path:
    """Where `fetch` put one of a source's files."""
    return extra_dir() / source.name / Path(path).name


def not_fetched(source: ExtraSource) -> str | None:
    """Why a source's files cannot be read as the source says (None when they can): a file
    missing, or the files copied from another commit than the source's."""
    missing = [p for p in source.paths if not source_file(source, p).exists()]
    if missing:
        return (
            f"{len(missing)} of its files are not in {extra_dir() / source.name} "
            "(run `python -m social_crm_dev.sentiment_data fetch`)"
        )
    fetched_at = _fetched_commit(source)
    if fetched_at != source.commit:
        return (
            f"{extra_dir() / source.name} holds commit {fetched_at} of {source.repository}, not "
            f"{source.commit} (run `python -m social_crm_dev.sentiment_data fetch`)"
        )
    return None


def _fetched_commit(source: ExtraSource) -> str | None:
    """The commit `fetch` copied a source's files from (its SOURCE.json), if it says."""
    try:
        manifest = json.loads((extra_dir() / source.name / "SOURCE.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return manifest.get("commit") if isinstance(manifest, dict) else None


def _extra_rows(source: ExtraSource) -> Iterator[tuple[str, str] | None]:
    """The source's (text, label) pairs; None for a line that does not read as one (counted,
    not lost silently)."""
    assert source.parse is not None
    for path in source.paths:
        with source_file(source, path).open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    parsed = source.parse(line)
                    yield parsed if parsed and parsed[0] else None


Rows = Callable[[], Iterator[tuple[str, str] | None]]


def _sources(lang: str, split: str) -> list[tuple[str, Rows]]:
    found: list[tuple[str, Rows]] = []
    for name in SHARED[(lang, split)]:
        if (data_dir() / name).exists():
            found.append((name, partial(_shared_rows, name)))
        else:
            log.warning("sentiment source %s skipped: not in %s", name, data_dir())
    if split == "train":
        for source in EXTRA_SOURCES:
            if source.lang != lang:
                continue
            problem = not_fetched(source)
            if problem:
                log.warning("sentiment source %s skipped: %s", source.name, problem)
            else:
                found.append((source.name, partial(_extra_rows, source)))
    return found


def _checked(source: str, label: str) -> str:
    if label not in LABELS:
        raise ValueError(f"{source}: label {label!r} is not one of {LABELS}")
    return label


def _readable_rows(
    lang: str, split: str, counts: list[SourceCount]
) -> Iterator[tuple[SourceCount, tuple[str, str]]]:
    """Each readable (text, label) row of every source present, with its source's count (read
    and unreadable counted here; a new count appended to `counts` per source)."""
    for name, rows in _sources(lang, split):
        count = SourceCount(name)
        counts.append(count)
        for row in rows():
            count.read += 1
            if row is None:
                count.unreadable += 1
                continue
            yield count, row


def load(lang: str, split: str) -> Labelled:
    """The labelled texts of a language's split with what each source gave."""
    if lang not in LANGS or split not in SPLITS:
        raise ValueError(
            f"no sentiment data for lang={lang!r} split={split!r}: "
            f"lang in {LANGS}, split in {SPLITS}"
        )
    if split == "dev":  # as published: the shared folder's dev files are cleaned already
        published: list[SourceCount] = []
        pairs: list[tuple[str, str]] = []
        for count, row in _readable_rows(lang, split, published):
            count.labels[_checked(count.source, row[1])] += 1
            pairs.append(row)
        return Labelled(lang, split, pairs, published)
    dev = labelled(lang, "dev")
    dev_keys = {dedupe_key(t) for t, _ in dev}
    dev_openings = {near_key(t) for t, _ in dev} - {None}
    counts: list[SourceCount] = []
    kept: dict[str, tuple[str, str, SourceCount]] = {}
    conflicted: set[str] = set()
    for count, (text, label) in _readable_rows(lang, split, counts):
        _checked(count.source, label)
        key = dedupe_key(text)
        if key in dev_keys or near_key(text) in dev_openings:
            count.in_dev += 1
            continue
        if key in conflicted:
            count.conflicting += 1
            continue
        earlier = kept.get(key)
        if earlier is None:
            kept[key] = (text, label, count)
            count.labels[label] += 1
        elif earlier[1] == label:
            count.repeated += 1
        else:
            del kept[key]
            conflicted.add(key)
            earlier[2].labels[earlier[1]] -= 1
            earlier[2].conflicting += 1
            count.conflicting += 1
    return Labelled(lang, split, [(t, label) for t, label, _ in kept.values()], counts)


def labelled(lang: str, split: str) -> list[tuple[str, str]]:
    """(text, label) pairs of a language's "train" or "dev" split, from every source present."""
    return load(lang, split).pairs


def provenance(lang: str, split: str) -> list[dict[str, object]]:
    """What a language's split was read from, for weights to record: each source present, its
    repository and commit where it is an extra source, and the texts it gave."""
    extra = {source.name: source for source in EXTRA_SOURCES}
    out: list[dict[str, object]] = []
    for count in load(lang, split).counts:
        source = extra.get(count.source)
        where = (
            {"repository": source.repository, "commit": source.commit}
            if source
            else {"shared_folder_file": count.source}
        )
        out.append({"source": count.source, **where, "texts": count.kept})
    return out


def fetch(mirror: Path, sources: tuple[ExtraSource, ...] | None = None) -> int:
    """Copy each extra source's (and lexicon's) files at its commit out of
    `mirror/<owner>+<name>/repo` (a git directory) into the extra folder. A source whose mirror,
    commit or file is absent is reported and left as it was (exit status 1), not half-copied."""
    status = 0
    for source in sources if sources is not None else EXTRA_SOURCES + LEXICON_SOURCES:
        git_dir = mirror / source.repository.replace("/", "+") / "repo"
        target = extra_dir() / source.name
        if not git_dir.exists():
            print(f"{source.name}: no mirror of {source.repository} in {git_dir}", file=sys.stderr)
            status = 1
            continue
        blobs = {}
        for path in source.paths:
            shown = subprocess.run(
                ["git", "--git-dir", str(git_dir), "show", f"{source.commit}:{path}"],
                capture_output=True,
            )
            if shown.returncode != 0:
                print(
                    f"{source.name}: {path} at commit {source.commit} is not in {git_dir} "
                    f"({shown.stderr.decode(errors='replace').strip()})",
                    file=sys.stderr,
                )
                break
            blobs[Path(path).name] = shown.stdout
        if len(blobs) < len(source.paths):
            status = 1
            continue
        target.mkdir(parents=True, exist_ok=True)
        for name, blob in blobs.items():
            (target / name).write_bytes(blob)
        manifest = {"repository": source.repository, "commit": source.commit, "paths": source.paths}
        (target / "SOURCE.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        print(
            f"{source.name}: {len(source.paths)} files from "
            f"{source.repository}@{source.commit[:7]} -> {target}"
        )
    return status


def print_counts() -> None:
    for lang in LANGS:
        for split in SPLITS:
            data = load(lang, split)
            for c in data.counts:
                labels = " ".join(f"{label} {c.labels[label]}" for label in LABELS)
                print(
                    f"{lang} {split:5} {c.source}: read {c.read}, kept {c.kept} ({labels}); "
                    f"dropped: in dev {c.in_dev}, repeated {c.repeated}, "
                    f"conflicting {c.conflicting}, unreadable {c.unreadable}"
                )
            print(f"{lang} {split:5} total {len(data.pairs)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m social_crm_dev.sentiment_data")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_cmd = commands.add_parser("fetch", help="copy the extra sources from local git mirrors")
    fetch_cmd.add_argument(
        "--mirror", type=Path, required=True, help="folder of <owner>+<name>/repo git dirs"
    )
    commands.add_parser("counts", help="print what each source gives each language and split")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    if args.command == "fetch":
        return fetch(args.mirror)
    print_counts()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
