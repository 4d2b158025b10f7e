"""What erasure reaches beyond the warehouse rows it deletes: the files a person's data can be
written to (the CRM exports landed or rejected with their reasons, task logs, documentation
sites: FOLDERS) and the identity model's vocabulary (`scrub_identity_model`).

Where. The CRM drop folder's own files, `processed/` and `rejected/` (what the inbox reads and
writes; other subfolders are left alone), and the other folders of FOLDERS whole. A file is
read without following a link (O_NOFOLLOW) and written back through a new temporary file of
the same folder (a random hidden name, created O_EXCL | O_NOFOLLOW) renamed over it: never
through a link, never into a file outside the folder. A log is rewritten in place (the task
writing it keeps what it writes next) unless it has other hard links (another name, maybe
outside the folder, for the same file): it is replaced, and the other name keeps its text.
A file modified while it was scrubbed (size, time or inode changed), or still open for
writing by any process (a read lease refused, Linux), is not replaced: the next pass scrubs
it. Tools writing into the inbox write under a hidden name (`.orders.csv`) and rename when
done: the inbox and erasure skip hidden files.

What names a person. Their tokens: customer and profile ids, message ids, emails. Ids are
case-sensitive, as the warehouse keys them (CRM ids such as Salesforce's differ by case
only); emails are not. Two rules, here alone:
- a CSV export is read as the inbox reads it (encoding, sniffed delimiter, quoted fields
  over several lines) and judged field by field. A record whose owner column (its type's key,
  or the customer it belongs to: FILES) is one of their ids, exactly after trimming, goes; a
  field of another record naming them (equal to an id or email, or naming one as a whole
  word; a short id, by free text's rule below, or equal to it in a column of references:
  `referred_by`, `*_id`, `*customer*`) is blanked and the record kept. A file whose columns
  are unknown (no header, no known type) loses the records with a field naming them.
- free text (logs, rejection reasons, error texts) names them where a token stands as a
  whole word, case folded (a log may quote an id in another case: a line lost is not another
  person's record lost). An ambiguous token, purely digits and shorter than
  AMBIGUOUS_DIGITS or any shorter than AMBIGUOUS_LENGTH, could be a time (18:42:07), an
  amount (42.00), a count or a line number: it names them only quoted (`'42'`, `"42"`) or as
  the value of a customer key (`customer_id=42`, `"customer_id": 42`, `customer: 42`), and in
  a quarantined record (JSON, every value quoted) only as its customer_id. The cost: a bare
  mention (`customer 42 ordered`) stays; each pass logs how many it left (`bare`), never
  which.
What cannot be read with certainty and may name them goes whole: a CSV whose reader did not
isolate their records, a text in another encoding (UTF-16 or UTF-32, as Excel's "Unicode
text" writes) or compressed (gzip) naming them, an archive that cannot be read (zip, xlsx).
The log says which file and why, never whom.
"""

from __future__ import annotations

import csv
import errno
import fcntl
import gzip
import io
import json
import logging
import os
import re
import signal
import stat
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
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
# the subfolders of the drop folder the inbox writes (the others are no one's)
DROP_SUBFOLDERS = (crm.PROCESSED, crm.REJECTED)
# an id shorter than these (digits only / any) is ambiguous in free text
AMBIGUOUS_DIGITS = 12  # an epoch in seconds has 10 digits, a date 8
AMBIGUOUS_LENGTH = 6
# the characters of an identifier: a whole word of it is bounded by the others (the same
# class as erasure's SQL patterns); a full stop ends a word when no such character follows
_CHARS = "0-9A-Za-z_@-"
_BEFORE = rf"(?<![{_CHARS}])(?<![{_CHARS}]\.)"
_AFTER = rf"(?![{_CHARS}])(?!\.[{_CHARS}])"
# the forms in which an ambiguous token names someone: quoted, or the value of an id key
ID_KEYS = "customer_id|customer"
_ID_KEY = rf"(?i:(?<![0-9a-z_])(?:{ID_KEYS})[\"']?\s*[=:]\s*)"
_TEMPORARY = ".erasing"
_ZIP, _GZIP = b"PK\x03\x04", b"\x1f\x8b"  # an archive (zip, xlsx, ods); compressed text
_PACKED = (_ZIP, _GZIP)
# a column holding a reference to a customer (`referred_by`, `owner_id`): a field equal to a
# short id there names them; elsewhere (`amount`) it may be a number
_REFERENCE_COLUMN = re.compile(r"customer|(?:^|_)(?:id|by)$|referr")
# a column holding a customer's id (`customer_id`, `referred_by`): an account's id there is a
# customer id of the same form, not the account
_CUSTOMER_COLUMN = re.compile(r"customer|referr")
_LEASE_SIGNAL = signal.SIGURG  # ignored by default: a lease broken kills no one
# what a message naming an erased person says instead
ERASED_TEXT = "(removed by erasure: the text named an erased person)"


def folders(current: Settings, drop_dir: Path | None = None) -> dict[str, Path]:
    """The folders of FOLDERS under these settings (`drop_dir` for the CRM drop folder)."""
    found = {what: where(current) for what, where in FOLDERS}
    if drop_dir is not None:
        found[DROP_FOLDER] = drop_dir
    return found


def ambiguous(token: str) -> bool:
    """Whether a token could be something else in free text (a number, a short word)."""
    return len(token) < AMBIGUOUS_LENGTH or (token.isdigit() and len(token) < AMBIGUOUS_DIGITS)


def _alternation(tokens: Iterable[str]) -> str:
    return "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))


def _mentions(ids: set[str], emails: set[str], fold: bool) -> re.Pattern[str] | None:
    """A pattern of the tokens as they name someone (module docstring): ids case-sensitive
    unless `fold`, emails folded."""
    words, forms = [], []
    for tokens, folded in ((ids, fold), (emails, True)):
        clear = {t for t in tokens if not ambiguous(t)}
        short = tokens - clear
        flag = "(?i:{})" if folded else "(?:{})"
        if clear:
            words.append(flag.format(_alternation(clear)))
        if short:
            forms.append(flag.format(_alternation(short)))
    parts = []
    if words:
        parts.append(f"{_BEFORE}(?:{'|'.join(words)}){_AFTER}")
    if forms:
        short_forms = "|".join(forms)
        parts.append(rf"([\"'])(?:{short_forms})\1")
        parts.append(rf"{_ID_KEY}(?:{short_forms}){_AFTER}")
    return re.compile("|".join(parts)) if parts else None


class Naming:
    """What names the people of `tokens` (module docstring): `owns` a CSV owner field,
    `names` a CSV field, `__call__` a free text; `bare` counts the ambiguous mentions free
    text keeps. Those of `accounts` (among `tokens`) are ids of an account or a message: in a
    CSV export's customer column they name no one (`customers`: the naming of that column)."""

    def __init__(self, tokens: Iterable[str], accounts: Iterable[str] = ()) -> None:
        cleaned = {t.strip() for t in tokens if t and t.strip()}
        kinds = {t.strip() for t in accounts if t and t.strip()}
        self.customers = Naming(cleaned - kinds) if kinds & cleaned else self
        self.emails = {t.lower() for t in cleaned if "@" in t}
        self.ids = {t for t in cleaned if "@" not in t}
        self._field = _mentions(self.ids, self.emails, fold=False)
        self._text = _mentions(self.ids, self.emails, fold=True)
        shorts = {t for t in self.ids | self.emails if ambiguous(t)}
        self._forms = _mentions({t for t in shorts if "@" not in t}, set(), fold=True)
        self._bare = (
            re.compile(f"(?i:{_BEFORE}(?:{_alternation(shorts)}){_AFTER})") if shorts else None
        )

    def __bool__(self) -> bool:
        return bool(self.ids or self.emails)

    def owns(self, field: str) -> bool:
        """Whether a field is one of their ids or emails, exactly after trimming."""
        value = field.strip()
        return value in self.ids or value.lower() in self.emails

    def names(self, field: str) -> bool:
        """Whether a CSV field names them in its text (ids case-sensitive): an unambiguous
        token as a whole word (the whole field, padded or not, included), an ambiguous one
        quoted or as an id's value (a field `42` of an amount names no one)."""
        return self._field is not None and self._field.search(field) is not None

    def __call__(self, text: str) -> bool:
        """Whether a free text names them (case folded)."""
        return self._text is not None and self._text.search(text) is not None

    def bare(self, text: str) -> int:
        """The ambiguous tokens `text` holds as whole words that it does not name them by."""
        if self._bare is None or self._forms is None:
            return 0
        return len(self._bare.findall(self._forms.sub(" ", text)))


@dataclass
class Tally:
    """What a pass did to the files: records and lines removed, files removed whole, files
    left for the next pass (modified or written meanwhile), ambiguous mentions left."""

    removed: int = 0
    files_removed: int = 0
    deferred: int = 0
    bare: int = 0


def erase_from_folders(
    found: dict[str, Path], tokens: Iterable[str], accounts: Iterable[str] = ()
) -> int:
    """Scrub every file under these folders of what names one of `tokens` (`accounts`, those
    that are the id of an account or a message: never a customer's, whatever its form);
    returns the records and lines removed (a file removed whole counts one)."""
    naming = Naming(tokens, accounts)
    if not naming:
        return 0
    tally = Tally()
    for what, folder in found.items():
        exports = what == DROP_FOLDER
        for path in _files(folder, exports):
            try:
                gone = _scrub(path, naming, exports, tally)
            except FileNotFoundError:  # moved away meanwhile (landed, rejected): not here
                continue
            except OSError as exc:  # a file that cannot be read or written: say which
                log.error(
                    "erasure: %s file %s not scrubbed: %s", what, _shown(path, naming), exc.strerror
                )
                raise
            if gone:
                log.info(
                    "erasure: %d record(s) or line(s) removed from %s", gone, _shown(path, naming)
                )
            tally.removed += gone
    if tally.deferred:
        log.warning(
            "erasure: %d file(s) written during the scrub left for the next pass", tally.deferred
        )
    if tally.bare:
        log.info(
            "erasure: %d bare mention(s) of a short or numeric id kept in free text (not"
            " quoted nor an id's value: it may be a number)",
            tally.bare,
        )
    return tally.removed


def _files(folder: Path, exports: bool) -> Iterator[Path]:
    """The regular files under `folder` (of a drop folder: its own, `processed/` and
    `rejected/`), links not followed; files a tool is still writing (hidden names) left out,
    and the temporary files of an interrupted pass removed."""
    if not folder.is_dir():  # the folder as configured (a link to it is the setting's)
        return
    if exports:
        places = [folder]
        for sub in DROP_SUBFOLDERS:
            if (folder / sub).is_symlink():
                log.warning("erasure: %s is a link, not the inbox's folder: not scrubbed", sub)
            elif (folder / sub).is_dir():
                places.append(folder / sub)
        walked: Iterable[tuple[str, list[str], list[str]]] = (
            (str(place), [], sorted(os.listdir(place))) for place in places
        )
    else:
        walked = os.walk(folder)
    for root, directories, names in walked:
        directories.sort()
        for name in sorted(names):
            path = Path(root) / name
            if name.startswith(".") and name.endswith(_TEMPORARY):
                path.unlink(missing_ok=True)  # a link of that name is removed, not followed
            elif not name.startswith(".") and _regular(path):
                yield path


def _regular(path: Path) -> bool:
    """Whether `path` is a regular file (not a link, FIFO or device; not gone meanwhile)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _scrub(path: Path, naming: Naming, exports: bool, tally: Tally) -> int:
    """Scrub one file: a rejection reason as one message, an export (any file of the drop
    folder: one of an unknown type is rejected, not renamed) or a CSV file by records, any
    other file by lines."""
    if path.name.endswith(crm.REASON_SUFFIX):
        return _scrub_message(path, naming, tally)
    if exports or path.suffix.lower() == ".csv":
        return _scrub_export(path, naming, tally)
    return _scrub_lines(path, naming, tally)


@dataclass(frozen=True)
class _Read:
    data: bytes
    state: tuple[int, int, int, int]  # device, inode, size, modification time
    links: int


def _read(path: Path) -> _Read:
    """A regular file's bytes, never through a link, with what tells a later change."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return _Read(handle.read(), _state(found), found.st_nlink)


def _state(found: os.stat_result) -> tuple[int, int, int, int]:
    return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)


def _scrub_message(path: Path, naming: Naming, tally: Tally) -> int:
    """A file holding one message (why a file was rejected, quoting its first record, which
    may run over several lines): replaced by ERASED_TEXT when it names them (1)."""
    read = _read(path)
    text = read.data.decode("utf-8", "surrogateescape")
    tally.bare += naming.bare(text)
    if not naming(text):
        return 0
    return 1 if _replace(path, (ERASED_TEXT + "\n").encode("utf-8"), read, tally) else 0


def _scrub_export(path: Path, naming: Naming, tally: Tally) -> int:
    """A CRM export without the records of the erased people and with the fields of others
    naming them blanked; removed whole when it may name them and cannot be read as CSV with
    certainty (1)."""
    read = _read(path)
    if read.data.startswith(_PACKED):
        return _scrub_unreadable(path, naming, read, tally)
    try:
        text, encoding, dialect = crm.text_of(read.data, path.name)
    except (crm.RejectedFile, UnicodeError):
        return _scrub_unreadable(path, naming, read, tally)
    kept = _records_kept(text, dialect, naming, crm.type_of(path.name))
    if kept is None:
        return _remove(path, read, tally, "cannot be read as CSV with certainty", naming)
    rest, removed = kept
    if not removed:
        return 0
    if encoding == "utf-8" and read.data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"  # the byte order mark the inbox read past
    return removed if _replace(path, rest.encode(encoding), read, tally) else 0


def _scrub_unreadable(path: Path, naming: Naming, read: _Read, tally: Tally) -> int:
    """A file of the drop folder that is no text CSV: removed whole when a reading of it
    names them or none can read it (an archive)."""
    texts = _readings(read.data)
    if texts is None:
        return _remove(path, read, tally, "is an archive erasure cannot read", naming)
    if any(naming(text) for text in texts):
        return _remove(path, read, tally, "names an erased person and is no text CSV", naming)
    return 0


def _readings(data: bytes) -> list[str] | None:
    """The texts a file may be read as (as it is; UTF-16 or UTF-32 by their byte order mark
    or zero bytes; gzip decompressed), or None for an archive that cannot be read."""
    if data.startswith(_ZIP):
        return None
    if data.startswith(_GZIP):
        try:
            data = _gunzip(data)
        except (OSError, EOFError, zlib.error):
            return None
    texts = [data.decode("utf-8", "surrogateescape")]
    for encoding in ("utf-32", "utf-16", "utf-16-le", "utf-16-be"):
        try:
            texts.append(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    texts.append(data.replace(b"\x00", b"").decode("utf-8", "surrogateescape"))
    return texts


def _gunzip(data: bytes) -> bytes:
    """A gzip file's content, at most the inbox's read limit (a bomb stops there)."""
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
        return unpacked.read(crm.READ_FIELD_LIMIT)


def _shown(path: Path, naming: Naming) -> str:
    """A path as the log writes it: escaped, and without a name holding one of their tokens
    (anywhere: `orders_C000001.csv`)."""
    folded = path.name.lower()
    if any(token.lower() in folded for token in naming.ids | naming.emails):
        return f"{crm.shown(str(path.parent))}/(a file whose name names an erased person)"
    return crm.shown(str(path))


def _remove(path: Path, read: _Read, tally: Tally, why: str, naming: Naming) -> int:
    """Remove a file that may name them (1), unless it changed since it was read."""
    if not _unchanged(path, read):
        tally.deferred += 1
        return 0
    path.unlink()
    tally.files_removed += 1
    log.warning(
        "erasure: %s removed whole: it %s and may name an erased person", _shown(path, naming), why
    )
    return 1


def _records_kept(
    text: str,
    dialect: type[csv.Dialect] | csv.Dialect,
    naming: Naming,
    spec: crm.CrmFile | None,
) -> tuple[str, int] | None:
    """(the text without the erased people's records and with the fields of others naming
    them blanked, the records removed or changed), or None when the reader did not isolate
    them (the kept text still names them)."""
    lines: list[str] = []

    def recorded() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            lines.append(line)
            yield line

    csv.field_size_limit(crm.READ_FIELD_LIMIT)
    kept: list[str] = []
    changed = 0
    references: set[int] = set()  # the reference columns, once the header told them

    customer_columns: set[int] = set()  # where an account's id names no one

    def _of(column: int) -> Naming:
        return naming.customers if column in customer_columns else naming

    def _names(column: int, field: str) -> bool:
        of = _of(column)
        return of.names(field) or (column in references and of.owns(field))

    owners: list[int] | None = None  # the owner columns, once the header told them
    try:
        for number, fields in enumerate(csv.reader(recorded(), dialect)):
            record = "".join(lines)
            lines.clear()
            if number == 0:
                owners = _owner_columns(fields, spec)
                references = {
                    i for i, f in enumerate(fields) if _REFERENCE_COLUMN.search(f.strip().lower())
                }
                if owners is not None:
                    customer_columns = {
                        i
                        for i, f in enumerate(fields)
                        if _CUSTOMER_COLUMN.search(f.strip().lower())
                    }
                    kept.append(record)
                    continue
            if owners is None:  # whose record this is cannot be told: any mention removes it
                if any(naming.owns(field) or naming.names(field) for field in fields):
                    changed += 1
                else:
                    kept.append(record)
            elif any(_of(i).owns(fields[i]) for i in owners if i < len(fields)):
                changed += 1
            elif any(_names(i, field) for i, field in enumerate(fields)):
                changed += 1
                blank = ["" if _names(i, f) else f for i, f in enumerate(fields)]
                kept.append(_written(blank, dialect) + _line_end(record))
            else:
                kept.append(record)
    except csv.Error:
        return None
    rest = "".join(kept) + "".join(lines)
    if _still_names(rest, dialect, naming, customer_columns):
        return None
    return rest, changed


def _owner_columns(header: list[str], spec: crm.CrmFile | None) -> list[int] | None:
    """The positions of a type's owner columns (its key, the customer it belongs to) in a
    header, or None when the first record is no header of that type."""
    if spec is None:
        return None
    names = [name.strip().lower() for name in header]
    owners = {spec.key, spec.customer_column} - {None}
    if spec.key not in names:
        return None
    return [i for i, name in enumerate(names) if name in owners]


def _written(fields: list[str], dialect: type[csv.Dialect] | csv.Dialect) -> str:
    """A record's fields written back as the file writes them (its line end apart)."""
    out = io.StringIO()
    csv.writer(out, dialect, lineterminator="").writerow(fields)
    return out.getvalue()


def _line_end(record: str) -> str:
    stripped = record.rstrip("\r\n")
    return record[len(stripped) :]


def _still_names(
    rest: str,
    dialect: type[csv.Dialect] | csv.Dialect,
    naming: Naming,
    customer_columns: set[int] = frozenset(),  # type: ignore[assignment]
) -> bool:
    """Whether kept text still names them: a field of it (an account's id in a customer
    column names no one), or the text itself (a record the reader did not isolate) by an
    unambiguous token (when the export has customer columns, the customers' alone: an
    account's id the fields do not hold as a name is a customer's id)."""
    try:
        rows = csv.reader(io.StringIO(rest), dialect)
        if any(
            (naming.customers if i in customer_columns else naming).names(f)
            for row in rows
            for i, f in enumerate(row)
        ):
            return True
    except csv.Error:
        return True
    if customer_columns:
        naming = naming.customers
    unambiguous = {t for t in naming.ids if not ambiguous(t)}
    emails = {t for t in naming.emails if not ambiguous(t)}
    pattern = _mentions(unambiguous, emails, fold=False)
    return pattern is not None and pattern.search(rest) is not None


def _scrub_lines(path: Path, naming: Naming, tally: Tally) -> int:
    """A text file (a log, a page) without the lines naming them; bytes kept as they were
    (read as UTF-8, other bytes carried through). Rewritten in place: a log a task is still
    appending to keeps what it writes next; a file with other hard links is replaced."""
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    with os.fdopen(os.open(path, flags), "r+b") as handle:
        found = os.fstat(handle.fileno())
        if not stat.S_ISREG(found.st_mode):
            return 0
        data = handle.read()
        text = data.decode("utf-8", "surrogateescape")
        tally.bare += naming.bare(text)
        if not naming(text):
            return 0
        lines = list(io.StringIO(text, newline=""))
        kept = "".join(line for line in lines if not naming(line)).encode(
            "utf-8", "surrogateescape"
        )
        gone = len(lines) - sum(1 for line in lines if not naming(line))
        if found.st_nlink > 1:
            read = _Read(data, _state(found), found.st_nlink)
            handle.close()
            return gone if _replace(path, kept, read, tally) else 0
        if _state(os.fstat(handle.fileno())) != _state(found):  # written meanwhile
            tally.deferred += 1
            return 0
        handle.seek(0)
        handle.write(kept)
        handle.truncate()
    return gone


def _replace(path: Path, data: bytes, read: _Read, tally: Tally) -> bool:
    """Write `data` over `path` through a new temporary file of its folder (never half a
    file, never through a link), unless the file changed since `read` or is still open for
    writing: then it is left for the next pass (False)."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_TEMPORARY)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            os.fchmod(out.fileno(), stat.S_IMODE(os.lstat(path).st_mode))
        if not _unchanged(path, read):
            temporary.unlink()
            tally.deferred += 1
            return False
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return True


def _unchanged(path: Path, read: _Read) -> bool:
    """Whether `path` is still the file `read` read, as it was, and no one has it open for
    writing."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        return _state(os.fstat(fd)) == read.state and not _open_for_writing(fd)
    finally:
        os.close(fd)


def _open_for_writing(fd: int) -> bool:
    """Whether any process has the file open for writing: Linux refuses a read lease then.
    Where leases are not granted (another owner, another system), False: the size and time
    check alone applies. The lease is dropped at once; a writer opening the file meanwhile
    breaks it with a signal ignored by default."""
    setlease = getattr(fcntl, "F_SETLEASE", None)
    if setlease is None:
        return False
    try:
        fcntl.fcntl(fd, fcntl.F_SETSIG, _LEASE_SIGNAL)
        fcntl.fcntl(fd, setlease, fcntl.F_RDLCK)
    except OSError as exc:
        return exc.errno == errno.EAGAIN
    fcntl.fcntl(fd, setlease, fcntl.F_UNLCK)
    return False


# the same rules in SQL, over a temporary table `erased_tokens (token, is_account)`
# (erasure.py; is_account: an account's or a message's id, never a customer's)
_SQL_ESCAPED = "regexp_replace(token, '([.+*?^$()\\[\\]{}|\\\\])', '\\\\\\1', 'g')"
_SQL_WORD = f"'(^|[^0-9A-Za-z_.@-])' || {_SQL_ESCAPED} || '($|[^0-9A-Za-z_.@-])'"
_SQL_AMBIGUOUS = (
    f"(length(token) < {AMBIGUOUS_LENGTH}"
    f" or (token ~ '^[0-9]+$' and length(token) < {AMBIGUOUS_DIGITS}))"
)
_SQL_EMAIL = "position('@' in token) > 0"
# a JSON record's value of a key holding a customer id (as _CUSTOMER_COLUMN in a CSV export)
_SQL_CUSTOMER_VALUE = r"""'"[^"]*(customer|referr)[^"]*"\s*:\s*"[^"]*"'"""


def _sql_any(column: str, operator: str, pattern: str, which: str) -> str:
    return f"{column} {operator} any(array(select {pattern} from erased_tokens where {which}))"  # noqa: S608


def sql_naming(column: str, free_text: bool) -> str:
    """An SQL condition: `column` names a token of `erased_tokens` by this module's rules.
    A record (`free_text` false: a quarantined row, JSON): ids case-sensitive as whole
    words, emails folded, an ambiguous id only as a customer_id's value, an account's id
    never as a customer key's value. Free text (an
    error): case folded, an ambiguous token quoted or a customer key's value."""
    unambiguous = f"not {_SQL_AMBIGUOUS}"
    if free_text:
        quoted = f"'([\"''])' || {_SQL_ESCAPED} || '\\1'"
        keyed = (
            f"'(^|[^0-9a-z_])({ID_KEYS})[\"'']?\\s*[=:]\\s*' || {_SQL_ESCAPED}"
            " || '($|[^0-9A-Za-z_.@-])'"
        )
        return " or ".join(
            (
                _sql_any(column, "~*", _SQL_WORD, unambiguous),
                _sql_any(column, "~*", quoted, _SQL_AMBIGUOUS),
                _sql_any(column, "~*", keyed, f"{_SQL_AMBIGUOUS} and not is_account"),
            )
        )
    keyed = f"""'"customer_id"\\s*:\\s*"\\s*' || {_SQL_ESCAPED} || '\\s*"'"""
    return " or ".join(
        (
            _sql_any(
                column, "~", _SQL_WORD, f"{unambiguous} and not {_SQL_EMAIL} and not is_account"
            ),
            # an account's id names no one as a customer key's value (another's id of that form)
            _sql_any(
                f"regexp_replace({column}, {_SQL_CUSTOMER_VALUE}, '', 'g')",
                "~",
                _SQL_WORD,
                f"{unambiguous} and is_account",
            ),
            _sql_any(column, "~*", _SQL_WORD, f"{unambiguous} and {_SQL_EMAIL}"),
            _sql_any(column, "~", keyed, f"{_SQL_AMBIGUOUS} and not is_account"),
        )
    )


def sql_keyed(column: str, tokens: str) -> str:
    """An SQL condition: `column` (a record, JSON) holds a token of the temporary table
    `tokens (token)` exactly as its customer_id's value (case-sensitive): what names a
    customer the CRM never had (erasure.py), whose id may be any word."""
    keyed = f"""'"customer_id"\\s*:\\s*"\\s*' || {_SQL_ESCAPED} || '\\s*"'"""
    return f"{column} ~ any(array(select {keyed} from {tokens}))"  # noqa: S608


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
