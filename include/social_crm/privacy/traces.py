"""What erasure reaches beyond the warehouse rows it deletes: the files a person's data can be
written to (the CRM exports landed or rejected with their reasons, task logs, documentation
sites: FOLDERS) and the identity model's vocabulary (`scrub_identity_model`).

A CRM export is read as the inbox reads it (its encoding, its sniffed delimiter) and loses
the records with a field naming an erased person, whole (a quoted field over several lines
goes with its record; a file without a header loses its first line as any other). A file that
cannot be read as CSV with certainty (not text, not CSV, or a record the reader did not
isolate: the kept text still names the person) and names them is removed. A rejection reason
naming them (it quotes a record, which may run over several lines) is replaced by a note;
other files (logs, documentation) lose the lines naming an erased person.

"Naming" is one rule, `Naming`: an identifier (customer id, email, profile or message id)
as a whole word, whatever its case or the spaces around it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import psycopg

from social_crm.extract import crm
from social_crm.settings import Settings
from social_crm.warehouse import relation_oid

log = logging.getLogger(__name__)

DROP_FOLDER = "CRM drop folder"  # its files are CRM exports, whatever their names
# every folder a person's data can be written to, by what writes there
FOLDERS: tuple[tuple[str, Callable[[Settings], Path]], ...] = (
    (DROP_FOLDER, lambda s: s.crm_drop_dir),
    ("Airflow task logs", lambda s: s.airflow_logs_dir),
    ("local logs", lambda s: s.local_dir / "logs"),
    ("Data Docs", lambda s: s.data_docs_dir),
    ("dbt docs", lambda s: s.dbt_docs_dir),
    ("dbt target", lambda s: s.dbt_target_dir),
    ("dbt logs", lambda s: s.dbt_log_dir),
)
# the characters of an identifier: a whole word of it is bounded by the others (the same
# class as erasure's SQL patterns for quarantined rows and error texts)
_WORD = re.compile(r"[0-9a-z_.@-]+")
_WORD_EDGES = "._@-"  # a word's trailing full stop (or a leading @) is punctuation
_TEMPORARY = ".erasing"
# what a message naming an erased person says instead
ERASED_TEXT = "(removed by erasure: the text named an erased person)"


def folders(current: Settings, drop_dir: Path | None = None) -> dict[str, Path]:
    """The folders of FOLDERS under these settings (`drop_dir` for the CRM drop folder)."""
    found = {what: where(current) for what, where in FOLDERS}
    if drop_dir is not None:
        found[DROP_FOLDER] = drop_dir
    return found


class Naming:
    """Whether a text names one of the tokens as a whole word (case folded): `C000123` names
    C000123, and so do ` c000123 ` and `"C000123."`; `C0001234` does not."""

    def __init__(self, tokens: Iterable[str]) -> None:
        folded = {t.strip().lower() for t in tokens if t and t.strip()}
        self.words = {t for t in folded if _WORD.fullmatch(t)}
        others = sorted(folded - self.words, key=len, reverse=True)
        self._others = (
            re.compile(
                "|".join(rf"(?<![0-9a-z_.@-]){re.escape(t)}(?![0-9a-z_.@-])" for t in others)
            )
            if others
            else None
        )

    def __bool__(self) -> bool:
        return bool(self.words) or self._others is not None

    def __call__(self, text: str) -> bool:
        folded = text.lower()
        for word in _WORD.findall(folded):
            if word in self.words or word.strip(_WORD_EDGES) in self.words:
                return True
        return self._others is not None and self._others.search(folded) is not None


def erase_from_folders(found: dict[str, Path], tokens: Iterable[str]) -> int:
    """Scrub every file under these folders of what names one of `tokens`; returns the
    records and lines removed (a file removed whole counts one)."""
    naming = Naming(tokens)
    if not naming:
        return 0
    removed = 0
    for what, folder in found.items():
        for path in _files(folder):
            try:
                gone = _scrub(path, naming, exports=what == DROP_FOLDER)
            except OSError as exc:  # a file that cannot be read or written: say which
                log.error("erasure: %s file %s not scrubbed: %s", what, path, exc.strerror)
                raise
            if gone:
                log.info("erasure: %d record(s) or line(s) removed from %s", gone, path)
            removed += gone
    return removed


def _files(folder: Path) -> Iterator[Path]:
    """The regular files under `folder`, symbolic links not followed; files a tool is still
    writing (hidden names) left out, and the temporary files of an interrupted pass removed."""
    if not folder.is_dir():
        return
    for root, directories, names in os.walk(folder):
        directories.sort()
        for name in sorted(names):
            path = Path(root) / name
            if name.endswith(_TEMPORARY) and name.startswith("."):
                path.unlink(missing_ok=True)
            elif not name.startswith(".") and path.is_file() and not path.is_symlink():
                yield path


def _scrub(path: Path, naming: Naming, exports: bool) -> int:
    """Scrub one file: a rejection reason as one message, an export (any file of the drop
    folder: one of an unknown type is rejected, not renamed) or a CSV file by records, any
    other file by lines."""
    if path.name.endswith(crm.REASON_SUFFIX):
        return _scrub_message(path, naming)
    if exports or path.suffix.lower() == ".csv":
        return _scrub_export(path, naming)
    return _scrub_lines(path, naming)


def _scrub_message(path: Path, naming: Naming) -> int:
    """A file holding one message (why a file was rejected, quoting its first record, which
    may run over several lines): replaced by ERASED_TEXT when it names them (1)."""
    if not naming(path.read_bytes().decode("utf-8", "surrogateescape")):
        return 0
    _replace(path, (ERASED_TEXT + "\n").encode("utf-8"))
    return 1


def _scrub_export(path: Path, naming: Naming) -> int:
    """A CRM export without the records naming them (the records removed); removed whole when
    it names them and cannot be read as CSV with certainty (1)."""
    data = path.read_bytes()
    try:
        text, encoding, dialect = crm.read_text(path)
    except (crm.RejectedFile, UnicodeError):
        text, encoding, dialect = data.decode("utf-8", "surrogateescape"), "", None
    if not naming(text):
        return 0
    kept = None if dialect is None else _records_kept(text, dialect, naming)
    if kept is None:
        path.unlink()
        log.warning(
            "erasure: %s removed whole: it names an erased person and cannot be read as CSV"
            " with certainty",
            path,
        )
        return 1
    rest, removed = kept
    if encoding == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"  # the byte order mark the inbox read past
    _replace(path, rest.encode(encoding))
    return removed


def _records_kept(
    text: str, dialect: type[csv.Dialect] | csv.Dialect, naming: Naming
) -> tuple[str, int] | None:
    """(the text without the records naming them, the records removed), or None when the
    reader did not isolate them (the kept text still names them, or it is no CSV)."""
    lines: list[str] = []

    def recorded() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            lines.append(line)
            yield line

    csv.field_size_limit(crm.READ_FIELD_LIMIT)
    kept: list[str] = []
    removed = 0
    try:
        for fields in csv.reader(recorded(), dialect):
            record = "".join(lines)
            lines.clear()
            if any(naming(field) for field in fields):
                removed += 1
            else:
                kept.append(record)
    except csv.Error:
        return None
    rest = "".join(kept) + "".join(lines)
    if naming(rest):
        return None
    return rest, removed


def _scrub_lines(path: Path, naming: Naming) -> int:
    """A text file (a log, a page) without the lines naming them; bytes kept as they were
    (read as UTF-8, other bytes carried through). Rewritten in place: a log a task is still
    appending to (this one's own) keeps what it writes next."""
    with path.open("r+b") as handle:
        text = handle.read().decode("utf-8", "surrogateescape")
        if not naming(text):
            return 0
        lines = list(io.StringIO(text, newline=""))
        kept = [line for line in lines if not naming(line)]
        handle.seek(0)
        handle.write("".join(kept).encode("utf-8", "surrogateescape"))
        handle.truncate()
    return len(lines) - len(kept)


def _replace(path: Path, data: bytes) -> None:
    """Write `data` over `path` through a temporary file (never half a file)."""
    temporary = path.with_name(f".{path.name}{_TEMPORARY}")
    temporary.write_bytes(data)
    temporary.replace(path)


MODEL = "scoring.identity_model"
RECORDS = "scoring.identity_comparison_records"
# the model's lists of names and places, with the comparison records' column each comes from
# and the side it was read on (model.train: term frequencies over both sides, forenames and
# cities of the customers)
_VOCABULARY_SOURCES = {"forenames": ("forename", "customer"), "cities": ("city", "customer")}


def scrub_identity_model(conn: psycopg.Connection) -> int:
    """Remove from the stored identity model's vocabulary (term frequencies, forenames, cities)
    every value no remaining comparison record carries: those of the people erased (and of
    records gone otherwise) since it was trained. Run after the erased people's records are
    deleted. A pair of remaining records scores as before: a term weighs only a pair whose two
    records agree on it. Returns the values removed."""
    if not relation_oid(conn, MODEL) or not relation_oid(conn, RECORDS):
        return 0
    row = conn.execute(f"select vocabulary from {MODEL} where vocabulary is not null").fetchone()  # noqa: S608
    if row is None:
        return 0
    vocabulary = row[0]
    removed = 0
    frequencies = vocabulary.get("term_frequencies", {})
    for column, shares in frequencies.items():
        present = _values(conn, column, None)
        frequencies[column] = {v: s for v, s in shares.items() if v in present}
        removed += len(shares) - len(frequencies[column])
    for name, (column, side) in _VOCABULARY_SOURCES.items():
        values = vocabulary.get(name, [])
        present = _values(conn, column, side)
        vocabulary[name] = [v for v in values if v in present]
        removed += len(values) - len(vocabulary[name])
    if removed:
        conn.execute(
            f"update {MODEL} set vocabulary = %s where vocabulary is not null",  # noqa: S608
            (json.dumps(vocabulary),),
        )
        log.info("erasure: %d name(s) or place(s) removed from the identity model", removed)
    return removed


def _values(conn: psycopg.Connection, column: str, side: str | None) -> set[str]:
    """The values of `column` among the comparison records (of `side`, or both)."""
    from social_crm.identity import model

    if column not in model.COLUMNS:
        raise ValueError(f"{column!r} is not a column of {RECORDS}")
    rows = conn.execute(
        f"select distinct {column} from {RECORDS} where {column} is not null"  # noqa: S608
        " and (%(side)s::text is null or side = %(side)s)",
        {"side": side},
    )
    return {value for (value,) in rows}
