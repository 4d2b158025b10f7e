"""Rebuild the scorer's polarity lexicons (`include/social_crm/sentiment/lexicons.csv`).

Columns: lang, stem, polarity, source. A stem matches the words it begins (the longest stem
wins); a stem written with a closing "=" matches only that word. Polarity is on VADER's scale
(about -4..4). Rows come from:

* `project`: the project's own hand-written rows (no, sv, pl, da), kept as they are in the file;
  they win over any other source's row for the same stem;
* `sprakbanken_sentimentlex`: Språkbanken Text's Swedish sentiment lexicon (Sentimentlex,
  CC BY 4.0; `sentiment_data.SPRAKBANKEN_SENTIMENTLEX`, copied by `python -m
  social_crm_dev.sentiment_data fetch`): its 1,358 single-word adjectives and adverbs, rated
  -3..3 by annotators, each lemma turned into a stem (or into its inflected forms where the
  lemma is too short to be a safe stem). Its verbs are left out: chosen on the Swedish dev
  split (lexicon alone, macro-F1): project rows 0.311, with every entry 0.270, with the verbs
  only 0.275, with the adjectives and adverbs 0.335;
* `afinn_da`: AFINN's Danish word list (Finn Årup Nielsen, Apache-2.0;
  `sentiment_data.AFINN_DANISH`), hand-rated -5..5, as Danish and Norwegian whole words
  (Norwegian without the words in `NOT_NORWEGIAN`).

`python -m social_crm_dev.sentiment_lexicons` rewrites the file and prints the rows per source;
a source that is not fetched keeps its rows out (and says so) rather than failing.
`python -m social_crm_dev.sentiment_lexicons measure` prints the macro-F1 of the lexicon alone
(no trained weights) on each language's dev split: how a lexicon choice is made.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from social_crm.sentiment import model
from social_crm_dev import sentiment_data

PROJECT = "project"
SPRAKBANKEN = "sprakbanken_sentimentlex"
AFINN_DA = "afinn_da"
# AFINN's Danish list serves Danish and Norwegian (bokmål shares most of its polar words with
# Danish); chosen on the Norwegian dev split (lexicon alone, macro-F1): 0.441 -> 0.505; for
# Swedish it did not help (0.335 -> 0.320)
AFINN_DA_LANGS = ("da", "no")
# AFINN-da words left out of Norwegian: spelt like a Norwegian word of another sense (false
# friends), or rated against their sense in both languages; each with its Norwegian sense
# (Bokmålsordboka, https://ordbokene.no)
NOT_NORWEGIAN = {
    "brand": "a brand (the loan word; fire is 'brann')",
    "brød": "bread (broke is 'brøt')",
    "dyrt": "expensive",
    "grine": "to grimace, to cry",
    "griner": "grimaces, cries",
    "ha": "to have",
    "hit": "here, hither",
    "let": "searched (past of 'lete'; easy is 'lett')",
    "lide": "to suffer",
    "lure": "to trick; 'lure på': to wonder",
    "lurer": "tricks; 'lurer på': wonders",
    "lyve": "to lie (AFINN-da rates it positive)",
    "lyver": "lies (AFINN-da rates it positive)",
    "nå": "now",
    "når": "when",
    "rar": "strange",
    "sand": "sand (true is 'sann')",
    "skatte": "tax- (in compounds and 'skatter': taxes)",
    "so": "so (nynorsk and dialect 'så')",
    "steg": "a step; rose (past of 'stige': 'prisen steg')",
    "tak": "a roof, a ceiling (thanks is 'takk')",
}
AFINN_SCALE = 0.8  # AFINN's -5..5 onto VADER's -4..4
COLUMNS = ("lang", "stem", "polarity", "source")
# a lemma shorter than this is not a safe stem ("arg" would match "argument"): its inflected
# forms are listed as whole words instead
MIN_STEM = 5


@dataclass(frozen=True)
class Row:
    lang: str
    stem: str
    polarity: float
    source: str

    def key(self) -> tuple[str, str]:
        return self.lang, self.stem


def read(path: Path = model.LEXICON_FILE) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Row(r["lang"], r["stem"], float(r["polarity"]), r.get("source") or PROJECT)
            for r in csv.DictReader(f)
        ]


# Sentimentlex's parts of speech that are kept: adjectives and adverbs
SPRAKBANKEN_KEPT = ("av", "ab")


def _swedish_forms(lemma: str) -> list[str]:
    """The lexicon stems of a Swedish adjective or adverb: the lemma itself as a stem when it
    is long enough; else its regular inflected forms as whole words ("glad" -> glad, gladt,
    glada, glade)."""
    if len(lemma) >= MIN_STEM:
        return [lemma]
    return [f"{lemma}=", f"{lemma}t=", f"{lemma}a=", f"{lemma}e="]


def sprakbanken_rows() -> list[Row]:
    source = sentiment_data.SPRAKBANKEN_SENTIMENTLEX
    path = sentiment_data.source_file(source, source.paths[0])
    problem = sentiment_data.not_fetched(source)
    if problem:
        print(f"{SPRAKBANKEN}: its rows are left out: {problem}", file=sys.stderr)
        return []
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for entry in csv.DictReader(f):
            lemma = entry["word"].strip().lower()
            # multi-word expressions are left out: the scorer reads single words
            if not lemma.isalpha() or entry["part_of_speech"] not in SPRAKBANKEN_KEPT:
                continue
            sign = 1 if entry["polarity"] == "pos" else -1
            polarity = sign * abs(float(entry["strength"]))
            rows += [Row("sv", form, polarity, SPRAKBANKEN) for form in _swedish_forms(lemma)]
    return rows


def afinn_danish_rows() -> list[Row]:
    """AFINN's Danish words, as Danish and (by transfer) as Norwegian whole words."""
    source = sentiment_data.AFINN_DANISH
    path = sentiment_data.source_file(source, source.paths[0])
    problem = sentiment_data.not_fetched(source)
    if problem:
        print(f"{AFINN_DA}: its rows are left out: {problem}", file=sys.stderr)
        return []
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            word, _, value = line.rstrip("\n").rpartition("\t")
            word = word.strip().lower()
            if word.isalpha():  # phrases are left out: the scorer reads single words
                polarity = int(value) * AFINN_SCALE
                rows += [
                    Row(lang, f"{word}=", polarity, AFINN_DA)
                    for lang in AFINN_DA_LANGS
                    if not (lang == "no" and word in NOT_NORWEGIAN)
                ]
    return rows


def build(current: list[Row]) -> list[Row]:
    """The project's rows, then each source's rows for stems no earlier row has (a whole-word
    row also gives way to an earlier stem spelt as that word)."""
    out = [row for row in current if row.source == PROJECT]
    seen = {row.key() for row in out}
    for row in sprakbanken_rows() + afinn_danish_rows():
        if row.key() in seen or (row.lang, row.stem.removesuffix("=")) in seen:
            continue
        seen.add(row.key())
        out.append(row)
    return out


def write(rows: list[Row], path: Path = model.LEXICON_FILE) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow((row.lang, row.stem, f"{row.polarity:g}", row.source))


def _sign(valence: float, threshold: float = 0.05) -> str:
    """A valence's class: neutral within VADER's threshold on its compound, else its side."""
    if valence > threshold:
        return "positive"
    return "negative" if valence < -threshold else "neutral"


def measure() -> None:
    """Macro-F1 of the file's lexicons alone on each language's dev split."""
    from sklearn.metrics import f1_score

    for lang in ("no", "sv", "pl"):
        pairs = sentiment_data.labelled(lang, "dev")
        predicted = [_sign(model.lexicon_valence(t, lang)) for t, _ in pairs]
        f1 = f1_score([label for _, label in pairs], predicted, average="macro")
        print(f"{lang} dev ({len(pairs)} texts): lexicon alone macro-F1 {f1:.3f}")


def main(argv: list[str] | None = None) -> int:
    if (argv if argv is not None else sys.argv[1:]) == ["measure"]:
        measure()
        return 0
    rows = build(read())
    write(rows)
    for (lang, source), n in sorted(Counter((r.lang, r.source) for r in rows).items()):
        print(f"{lang} {source}: {n} rows")
    print(f"wrote {model.LEXICON_FILE} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
