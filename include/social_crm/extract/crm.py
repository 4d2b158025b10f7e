"""CRM export: customers, products, orders, erasure requests, the social accounts the CRM
knows for its customers, CRM staff's decisions on the identity review queue and their sentiment
corrections, as CSV files dropped in a folder (an inbox).

Each file is its own unit: read (UTF-8, with or without BOM, else Windows-1252, logged), its
delimiter sniffed and its header checked against its type, then landed as one batch, or
rejected whole with one reason. Landed files move to `processed/`, rejected ones to `rejected/`
with a `.reason.txt` beside them, so nothing is read twice and nothing is lost. A tool writes
an export under a hidden name (`.orders.csv`) and renames it when complete: hidden files are
skipped (by erasure too), so no half-written file is read. Within a file
every row is validated on its own, by the rules the quality gates check (quality/rules.py:
formats, dates between 1900 and now, ASCII numbers, amounts, the customers and products it
names): a bad row goes to raw_quarantine with the file, line and reason, and the rest lands.
The last row of a record wins within a file, the later file (by name) across files. Customers
and products are full exports: a record a newer export leaves out was deleted in the CRM and
lands as a tombstone; the other types are deltas.
"""

from __future__ import annotations

import csv
import errno
import fnmatch
import io
import json
import logging
import os
import stat
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import psycopg

from social_crm.extract.erasure_identifiers import identifiers
from social_crm.load.landing import (
    BatchBusy,
    BatchResult,
    LandingBatch,
    RawRecord,
    mark_abandoned_batches,
)
from social_crm.quality import raw_suites, rules

log = logging.getLogger(__name__)

SOURCE = "crm"
_BOOL = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
# what names a profile of each platform in the CRM's files (the profile id of the marts): a
# Facebook page-scoped id, an X user id, an Instagram username (in lower case: Instagram's
# usernames ignore case, and the marts key a profile by it)
ACCOUNT_IDS = {"facebook": rules.GRAPH_ID, "x": rules.X_ID, "instagram": rules.INSTAGRAM_USERNAME}
# the platforms whose profiles the known-accounts file may give by handle (the rule of each in
# rules.HANDLES): X by handle and/or id, Instagram by username alone
BY_HANDLE = {"x": "an X handle", "instagram": "an Instagram username"}
ACCOUNT_SOURCES = ("social_login", "loyalty_signup", "service_conversation", "manual")
INTENTS = ("idea", "discount", "complaint", "product_question", "praise", "other")


class InvalidRow(ValueError):
    pass


def _optional_text(row: dict, name: str) -> str | None:
    """The field without its surrounding blanks; None when that leaves nothing."""
    return (row.get(name) or "").strip() or None


def _text(row: dict, name: str) -> str:
    """A field the row must have (InvalidRow when it is empty)."""
    value = _optional_text(row, name)
    if value is None:
        raise InvalidRow(f"missing {name}")
    return value


def _choice(name: str, value: str, allowed: Sequence[str]) -> str:
    """`value`, lower-cased, when it is one of `allowed`."""
    if not value.isascii() or value.lower() not in allowed:
        raise InvalidRow(f"{name} {value[:30]!r} is not one of {', '.join(allowed)}")
    return value.lower()


def _one_of(row: dict, name: str, allowed: Sequence[str]) -> str:
    """The field, lower-cased, when it is one of `allowed`."""
    return _choice(name, _text(row, name), allowed)


def _optional_one_of(row: dict, name: str, allowed: Sequence[str]) -> str | None:
    """The field, lower-cased, when it is one of `allowed`; None when it is empty."""
    value = _optional_text(row, name)
    return None if value is None else _choice(name, value, allowed)


def _int(row: dict, name: str) -> int | None:
    value = _optional_text(row, name)
    if value is None:
        return None
    try:
        return rules.whole_number(value)
    except ValueError as exc:
        raise InvalidRow(f"{name} {value[:20]!r} {exc}") from None


def _bool(row: dict, name: str) -> bool:
    value = _text(row, name)
    if value.lower() not in _BOOL:
        raise InvalidRow(f"{name} {value[:20]!r} is not true/false")
    return _BOOL[value.lower()]


def _time(row: dict, name: str) -> datetime:
    """An ISO-8601 time with its zone, between 1900 and now (the raw gate's rule,
    rules.moment_problem: a CRM export does not know the future)."""
    value = _text(row, name)
    try:
        if not value.isascii():
            raise ValueError(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRow(f"{name} {value[:30]!r} is not an ISO-8601 timestamp") from None
    problem = rules.moment_problem(moment)
    if problem is not None:
        raise InvalidRow(f"{name} {value[:30]!r} {problem}")
    return moment


def _money(row: dict, name: str) -> Decimal:
    """An amount of money (rules.amount: what the staging models' casts and tests accept)."""
    return _amount(name, _text(row, name))


def _optional_money(row: dict, name: str) -> Decimal | None:
    """An amount of money, or None when the field is empty."""
    value = _optional_text(row, name)
    return None if value is None else _amount(name, value)


def _amount(name: str, value: str) -> Decimal:
    try:
        return rules.amount(value)
    except ValueError as exc:
        raise InvalidRow(f"{name} {value[:20]!r} {exc}") from None


def customer_record(row: dict) -> RawRecord:
    customer_id = _text(row, "customer_id")
    email = _text(row, "email")
    if not rules.EMAIL.match(email):
        raise InvalidRow(f"email {email[:40]!r} is not an address")
    birth_year = _int(row, "birth_year")
    if birth_year is not None and not rules.BIRTH_YEARS[0] <= birth_year <= rules.BIRTH_YEARS[1]:
        raise InvalidRow(f"birth_year {birth_year} is out of range")
    payload = {
        "customer_id": customer_id,
        "email": email.lower(),
        "first_name": _optional_text(row, "first_name"),
        "last_name": _optional_text(row, "last_name"),
        "birth_year": birth_year,
        "gender": _optional_text(row, "gender"),
        "country": _optional_text(row, "country"),
        "city": _optional_text(row, "city"),
        "job_title": _optional_text(row, "job_title"),
        "marketing_opt_in": _bool(row, "marketing_opt_in"),
        "profiling_opt_out": _bool(row, "profiling_opt_out"),
    }
    return RawRecord(customer_id, payload)


def order_record(row: dict) -> RawRecord:
    order_id = _text(row, "order_id")
    ordered_at = _time(row, "ordered_at")
    amount = _money(row, "amount")
    payload = {
        "order_id": order_id,
        "customer_id": _text(row, "customer_id"),
        "ordered_at": ordered_at.isoformat(),
        "amount": str(amount),
        "product_id": _optional_text(row, "product_id"),
    }
    return RawRecord(order_id, payload, scope_key=payload["customer_id"], event_at=ordered_at)


def erasure_record(row: dict) -> RawRecord:
    customer_id = _text(row, "customer_id")
    requested_at = _time(row, "requested_at")
    payload = {"customer_id": customer_id, "requested_at": requested_at.isoformat()}
    # optional: the person's handles, profile URLs and emails (erasure_identifiers.py); a token
    # it cannot read is kept and logged, never a reason to hold the request back
    named, unread = identifiers(_optional_text(row, "identifiers"))
    for reason in unread:
        log.warning("erasure request of %s: %s; kept as a token", customer_id, reason)
    return RawRecord(customer_id, payload | named, event_at=requested_at)


def product_record(row: dict) -> RawRecord:
    product_id = _text(row, "product_id")
    launched_at = _time(row, "launched_at") if _optional_text(row, "launched_at") else None
    price = _optional_money(row, "list_price")
    payload = {
        "product_id": product_id,
        "name": _optional_text(row, "name"),
        "list_price": None if price is None else str(price),
        "launched_at": launched_at.isoformat() if launched_at else None,
        "idea_message_id": _optional_text(row, "idea_message_id"),
    }
    return RawRecord(product_id, payload, event_at=launched_at)


def social_account_record(row: dict) -> RawRecord:
    """A social account the CRM knows for a customer: a Facebook page-scoped id, an X user
    id and/or handle, or an Instagram username (`handle`), with where the CRM got it."""
    customer_id = _text(row, "customer_id")
    platform = _one_of(row, "platform", tuple(ACCOUNT_IDS))
    account_id = _optional_text(row, "account_id")
    handle = _optional_text(row, "handle")
    if account_id is not None and platform == "instagram":
        raise InvalidRow("instagram is read by its username, in handle; account_id is not read")
    if account_id is not None and not ACCOUNT_IDS[platform].match(account_id):
        raise InvalidRow(f"account_id {account_id[:30]!r} is not a {platform} id")
    if handle is not None:
        handle = handle.removeprefix("@")
        if platform not in BY_HANDLE:
            raise InvalidRow(
                f"a handle is only read for {' and '.join(BY_HANDLE)}; {platform} needs account_id"
            )
        if not rules.HANDLES[platform].match(handle):
            raise InvalidRow(f"handle {handle[:30]!r} is not {BY_HANDLE[platform]}")
    if account_id is not None:
        account = account_id
    elif handle is not None:
        account = f"@{handle.lower()}"
    else:
        raise InvalidRow("neither account_id nor handle")
    source = _one_of(row, "source", ACCOUNT_SOURCES)
    linked_at = _time(row, "linked_at")
    payload = {
        "customer_id": customer_id,
        "platform": platform,
        "account_id": account_id,
        "handle": handle,
        "source": source,
        "linked_at": linked_at.isoformat(),
    }
    return RawRecord(
        f"{customer_id}:{platform}:{account}", payload, scope_key=customer_id, event_at=linked_at
    )


def identity_decision_record(row: dict) -> RawRecord:
    """A CRM agent's decision on a pair of the identity review queue: this social account is
    (accept) or is not (reject) this customer. The newest decision on a pair wins."""
    customer_id = _text(row, "customer_id")
    platform = _one_of(row, "platform", tuple(ACCOUNT_IDS))
    account_id = _text(row, "account_id").removeprefix("@" if platform == "instagram" else "")
    if not ACCOUNT_IDS[platform].match(account_id):
        raise InvalidRow(f"account_id {account_id[:30]!r} is not a {platform} id")
    if platform == "instagram":  # the profile's key: its username in lower case
        account_id = account_id.lower()
    decision = _one_of(row, "decision", rules.DECISIONS)
    decided_at = _time(row, "decided_at")
    payload = {
        "customer_id": customer_id,
        "platform": platform,
        "account_id": account_id,
        "decision": decision,
        "decided_by": _optional_text(row, "decided_by"),
        "decided_at": decided_at.isoformat(),
    }
    return RawRecord(
        f"{platform}:{account_id}:{customer_id}",
        payload,
        scope_key=customer_id,
        event_at=decided_at,
    )


def sentiment_override_record(row: dict) -> RawRecord:
    """A CRM agent's correction of a message's sentiment (and, when given, its intent). The
    newest correction of a message wins over the scorer."""
    message_id = _text(row, "message_id")
    if not rules.MESSAGE_ID.match(message_id):
        raise InvalidRow(f"message_id {message_id[:30]!r} is not a Facebook or X message id")
    sentiment = _one_of(row, "sentiment", rules.SENTIMENTS)
    intent = _optional_one_of(row, "intent", INTENTS)
    decided_at = _time(row, "decided_at")
    payload = {
        "message_id": message_id,
        "sentiment": sentiment,
        "intent": intent,
        "decided_by": _optional_text(row, "decided_by"),
        "decided_at": decided_at.isoformat(),
    }
    return RawRecord(message_id, payload, scope_key=message_id, event_at=decided_at)


@dataclass(frozen=True)
class CrmFile:
    entity: str
    pattern: str  # matched case-insensitively against the file's name
    parse: Callable[[dict], RawRecord]
    key: str  # the column naming the record (also for a row that fails to parse)
    columns: tuple[str, ...]  # the header must have these (others are ignored)
    # a full export: a record missing from the file was deleted in the CRM (else a delta)
    snapshot: bool = False
    # columns that must name a customer (product) landed before: a file of that type earlier
    # in the same run counts
    customer_column: str | None = None
    product_column: str | None = None


# in landing order: customers and products before what refers to them
FILES = (
    CrmFile(
        "customers",
        "customers*.csv",
        customer_record,
        "customer_id",
        ("customer_id", "email", "marketing_opt_in", "profiling_opt_out"),
        snapshot=True,
    ),
    CrmFile(
        "products",
        "products*.csv",
        product_record,
        "product_id",
        ("product_id",),
        snapshot=True,
    ),
    CrmFile(
        "orders",
        "orders*.csv",
        order_record,
        "order_id",
        ("order_id", "customer_id", "ordered_at", "amount"),
        customer_column="customer_id",
        product_column="product_id",
    ),
    CrmFile(
        "erasure_requests",
        "erasure_requests*.csv",
        erasure_record,
        "customer_id",
        ("customer_id", "requested_at"),
    ),
    CrmFile(
        "customer_social_accounts",
        "customer_social_accounts*.csv",
        social_account_record,
        "customer_id",
        ("customer_id", "platform", "source", "linked_at"),
        customer_column="customer_id",
    ),
    CrmFile(
        "identity_decisions",
        "identity_decisions*.csv",
        identity_decision_record,
        "customer_id",
        ("customer_id", "platform", "account_id", "decision", "decided_at"),
        customer_column="customer_id",
    ),
    CrmFile(
        "sentiment_overrides",
        "sentiment_overrides*.csv",
        sentiment_override_record,
        "message_id",
        ("message_id", "sentiment", "decided_at"),
    ),
)
PROCESSED = "processed"
REJECTED = "rejected"
REASON_SUFFIX = ".reason.txt"  # beside a rejected file: why
NAME_MAX = 255  # bytes in a file name (Linux, macOS)
FIELD_LIMIT = 10_000  # characters in one field; a longer one quarantines its row
READ_FIELD_LIMIT = 256 * 1024 * 1024  # what the reader takes in before the check above
QUARANTINED_TEXT = 2_000  # characters of a field kept in quarantine
DELIMITERS = ",;\t|"
# characters the delimiter is sniffed from: csv.Sniffer is quadratic in its sample (a 64 KB
# line of `",` took it 28 s; 4 KB, 0.1 s)
SNIFF_CHARS = 4_096
# a full export that would delete more than this share of the live records is taken for a
# partial one: its rows land, nothing is deleted (and the log says why)
SNAPSHOT_DELETE_SHARE = 0.2
# faults of the warehouse, not of a file: the load fails (a retry lands the files later), and
# the files stay in the inbox
WAREHOUSE_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError, BatchBusy)


class RejectedFile(ValueError):
    """A file that cannot be read as its type's export at all: it lands nothing."""


class DropFolderError(RuntimeError):
    """The drop folder itself is not usable (not a file's fault): nothing is read."""


def shown(name: str) -> str:
    """A file name as logs, reasons, quarantine and meta tables write it: printable characters
    as they are; a backslash and every other character escaped (`\\n`, `\\x1b`, `\\u202e`,
    `\\udcff` for a byte that is not UTF-8), so a name cannot forge a log line."""
    return "".join(ch if ch.isprintable() and ch != "\\" else _escaped(ch) for ch in name)


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(ch: str) -> str:
    code = ord(ch)
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


@dataclass(frozen=True)
class _Entry:
    name: str
    regular: bool  # a regular file (not a symbolic link, FIFO, socket or device)
    link: bool


def land_drop_folder(
    conn_factory: Callable[[], psycopg.Connection],
    folder: Path,
    interval: tuple[datetime | None, datetime | None] = (None, None),
) -> list[BatchResult]:
    """Land every export file in `folder`, each file on its own (its own batch), by type in
    FILES order, then by name (date your exports' names: customers_2026-12-01.csv, so the
    newer export lands later and wins). A landed file moves to `processed/`, a rejected one to
    `rejected/` with `<name>.reason.txt` beside it; a file of no known type is rejected too,
    and so are symbolic links, FIFOs and devices, unread: only the regular files of the folder
    are read. Subfolders are left alone. Any fault of a file rejects that file, and the rest
    land; a fault of the warehouse raises (the files stay for the next run). Returns a result
    per file."""
    if not folder.is_dir():
        raise FileNotFoundError(
            f"CRM drop folder {folder} does not exist; set CRM_DROP_DIR or create it"
        )
    for where in (PROCESSED, REJECTED):
        place = folder / where
        if place.is_symlink() or (place.exists() and not place.is_dir()):
            raise DropFolderError(
                f"CRM drop folder {folder}: {where} must be a folder of its own (it is a link"
                " or a file); move it away"
            )
    with conn_factory() as conn:  # the janitor, as every extraction task starts
        conn.autocommit = True
        mark_abandoned_batches(conn)
    by_type: dict[str, list[str]] = {spec.entity: [] for spec in FILES}
    results = []
    for entry in _entries(folder):
        if entry.name.startswith("."):
            continue  # a file still being written by a tool that names it hidden
        spec = type_of(entry.name)
        if not entry.regular:
            results.append(_reject_unread(folder, entry, spec))
        elif spec is None:
            results.append(_reject_unknown(folder, entry.name))
        else:
            by_type[spec.entity].append(entry.name)
    for spec in FILES:
        if not by_type[spec.entity]:
            log.info("crm: no %s files in %s", spec.pattern, shown(str(folder)))
        for name in by_type[spec.entity]:
            results.append(_land_one(conn_factory, folder, name, spec, interval))
    return results


def _entries(folder: Path) -> list[_Entry]:
    """The folder's entries but its subfolders, by name; links are not followed."""
    entries = []
    with os.scandir(folder) as listing:
        for entry in listing:
            if entry.is_dir(follow_symlinks=False):
                continue
            link = entry.is_symlink()
            regular = not link and entry.is_file(follow_symlinks=False)
            entries.append(_Entry(entry.name, regular, link))
    return sorted(entries, key=lambda entry: entry.name)


def type_of(name: str) -> CrmFile | None:
    """The type of export a file's name says (FILES), or None."""
    lowered = name.lower()
    return next((spec for spec in FILES if fnmatch.fnmatchcase(lowered, spec.pattern)), None)


def _reject(folder: Path, name: str, entity: str, reason: str) -> BatchResult:
    """Move a file to rejected/ with its reason beside it (a fault moving it is logged: the
    file stays, and the next run rejects it again)."""
    log.error("crm: rejected %s", reason)
    try:
        _move(folder, name, REJECTED, reason)
    except OSError as exc:
        log.error("crm: %s could not be moved to %s/: %s", shown(name), REJECTED, exc.strerror)
    return BatchResult("", SOURCE, entity, status="failed", origin=shown(name), error=reason)


def _reject_unknown(folder: Path, name: str) -> BatchResult:
    known = ", ".join(spec.pattern for spec in FILES)
    reason = f"{shown(name)}: not a CRM export this pipeline reads (file names: {known})"
    return _reject(folder, name, "unknown", reason)


def _reject_unread(folder: Path, entry: _Entry, spec: CrmFile | None) -> BatchResult:
    what = "a symbolic link" if entry.link else "not a regular file (a FIFO, socket or device)"
    reason = f"{shown(entry.name)}: {what}; only the drop folder's regular files are read"
    return _reject(folder, entry.name, spec.entity if spec else "unknown", reason)


def _land_one(
    conn_factory: Callable[[], psycopg.Connection],
    folder: Path,
    name: str,
    spec: CrmFile,
    interval: tuple[datetime | None, datetime | None],
) -> BatchResult:
    batch = None
    origin = shown(name)
    try:
        data = _read(folder, name)
        with conn_factory() as conn:
            known = _known_references(conn, spec)
            with LandingBatch(conn, SOURCE, spec.entity, interval=interval) as batch:
                batch.result.origin = origin
                try:
                    seen = _land_file(batch, data, origin, spec, known)
                except (*WAREHOUSE_ERRORS, RejectedFile):
                    raise
                except Exception as exc:  # a fault reading one file rejects it
                    raise RejectedFile(_fault(exc)) from exc
                if spec.snapshot:
                    problem = raw_suites.volume_problem(
                        conn, SOURCE, spec.entity, batch.result.records_in
                    )
                    if problem:
                        raise RejectedFile(f"a full {spec.entity} export of {problem}")
                    _delete_missing(conn, batch, spec, seen, origin)
                batch.set_watermark(cursor_value=origin)
    except WAREHOUSE_ERRORS:
        raise
    except Exception as exc:  # whatever a file does, the rest of the inbox lands
        reason = f"{origin}: {exc if isinstance(exc, RejectedFile) else _fault(exc)}"
        result = _reject(folder, name, spec.entity, reason)
        if batch is not None:
            batch.result.status, batch.result.origin, batch.result.error = "failed", origin, reason
            return batch.result
        return result
    try:
        _move(folder, name, PROCESSED)
    except OSError as exc:
        log.error(
            "crm: %s landed but could not be moved to %s/ (%s); landing it again adds nothing",
            origin,
            PROCESSED,
            exc.strerror,
        )
    return batch.result


def _fault(exc: BaseException) -> str:
    """An unexpected error as a reason: its type and where it was raised, never its message
    (which may quote the file)."""
    if isinstance(exc, OSError):
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"the loader failed on it ({type(exc).__name__}{where}); nothing of it landed"


def _read(folder: Path, name: str) -> bytes:
    """The bytes of the regular file `name` directly in `folder`, never through a link: opened
    without following one (O_NOFOLLOW, relative to the folder), without waiting on a FIFO put
    in its place (O_NONBLOCK), checked a regular file once open and resolved inside the
    folder."""
    directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(name, flags, dir_fd=directory)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise RejectedFile(
                    "a symbolic link; only the drop folder's regular files are read"
                ) from None
            raise
    finally:
        os.close(directory)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise RejectedFile("not a regular file; only the drop folder's regular files are read")
        if Path(os.path.realpath(folder / name)).parent != Path(os.path.realpath(folder)):
            raise RejectedFile("resolves outside the drop folder; not read")
        return handle.read()


def _known_references(conn: psycopg.Connection, spec: CrmFile) -> dict[str, set[str]]:
    """The customer (product) ids alive in raw, for the columns `spec` checks."""
    known = {}
    for column, table in ((spec.customer_column, "customers"), (spec.product_column, "products")):
        if column:
            known[column] = _alive_keys(conn, f"crm_{table}")
    conn.rollback()  # end the look-up's transaction before the batch starts
    return known


def _alive_keys(conn: psycopg.Connection, table: str) -> set[str]:
    rows = conn.execute(
        f"select natural_key from (select distinct on (natural_key) natural_key, is_deleted"  # noqa: S608
        f" from raw.{table} order by natural_key, ingest_seq desc) as latest"
        " where not is_deleted"
    ).fetchall()
    return {row[0] for row in rows}


def _land_file(
    batch: LandingBatch, data: bytes, origin: str, spec: CrmFile, known: dict[str, set[str]]
) -> set[str]:
    """Land the rows of one file (its bytes; `origin` its name as written); returns the keys
    it names (quarantined rows included: a full export's bad row is not a deletion)."""
    text, encoding = _decode(data)
    if encoding != "utf-8":
        log.warning("crm %s: not UTF-8; read as %s", origin, encoding)
    dialect = _dialect(text, origin)
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    header = [name.strip().lower() for name in _header(reader)]
    missing = [column for column in spec.columns if column not in header]
    if missing:
        # the header is not quoted: a file that is not an export may hold anything
        raise RejectedFile(
            f"the header lacks {', '.join(missing)} for a {spec.entity} export (it has"
            f" {len(header)} column(s); a {spec.entity} export has {', '.join(spec.columns)})"
        )
    reader.fieldnames = header
    seen: set[str] = set()
    for line, row in enumerate(_rows(reader), start=2):
        key = (row.get(spec.key) or "").strip() if isinstance(row.get(spec.key), str) else ""
        if key:
            seen.add(key)
        reason = _row_problem(row, spec, known)
        if reason is None:
            try:
                batch.add(spec.parse(row))
                continue
            except InvalidRow as exc:
                reason = str(exc)
            except Exception as exc:  # named with its line, the file rejected
                raise RejectedFile(f"line {line}: {_fault(exc)}") from exc
        batch.quarantine(_quarantine_text(origin, line, row), f"{origin}:{line}: {reason}")
    log.info("crm %s: %s read (%d records)", spec.entity, origin, batch.result.records_in)
    return seen


def _header(reader: csv.DictReader) -> list[str]:
    csv.field_size_limit(READ_FIELD_LIMIT)
    try:
        return list(reader.fieldnames or [])
    except csv.Error as exc:
        raise RejectedFile(f"line {reader.line_num}: not CSV ({exc})") from None


def _rows(reader: csv.DictReader) -> Iterator[dict]:
    """The rows, a field of any size read (FIELD_LIMIT is checked per row, to quarantine the
    row, not to reject the file); a file CSV cannot parse is rejected naming the line."""
    csv.field_size_limit(READ_FIELD_LIMIT)
    try:
        yield from reader
    except csv.Error as exc:
        raise RejectedFile(f"line {reader.line_num}: not CSV ({exc})") from None


def _row_problem(row: dict, spec: CrmFile, known: dict[str, set[str]]) -> str | None:
    if None in row or any(value is None for value in row.values()):
        return "wrong number of columns"
    for name, value in row.items():
        if len(value) > FIELD_LIMIT:
            return f"{name[:100]} is {len(value):,} characters (at most {FIELD_LIMIT:,})"
    for column, ids in known.items():
        value = (row.get(column) or "").strip()
        if value and value not in ids:
            what = "customer" if column == spec.customer_column else "product"
            return f"{column} {value[:30]!r} is not a known {what}"
    return None


def _quarantine_text(origin: str, line: int, row: dict) -> str:
    cut = {
        str(name)[:100]: (value if not isinstance(value, str) else value[:QUARANTINED_TEXT])
        for name, value in row.items()
    }
    return json.dumps({"file": origin, "line": line, "row": cut}, ensure_ascii=False)


def read_text(path: Path) -> tuple[str, str, type[csv.Dialect] | csv.Dialect]:
    """A CRM export's text, encoding and dialect, as the inbox reads them (erasure reads the
    files it landed the same way, never through a link); RejectedFile when it is no text CSV
    or not a regular file."""
    return text_of(_read(path.parent, path.name), path.name)


def text_of(data: bytes, name: str) -> tuple[str, str, type[csv.Dialect] | csv.Dialect]:
    """A CRM export's text, encoding and dialect from its bytes, as the inbox reads them;
    RejectedFile when it is no text CSV."""
    text, encoding = _decode(data)
    return text, encoding, _dialect(text, shown(name))


def _decode(data: bytes) -> tuple[str, str]:
    """The file's text: UTF-8 (with or without a BOM), else Windows-1252 (what spreadsheet
    exports on Windows write), else Latin-1 (which reads any byte)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    return data.decode("latin-1"), "latin-1"


def _dialect(text: str, origin: str) -> type[csv.Dialect] | csv.Dialect:
    """The file's delimiter, sniffed from its first lines (comma when they do not tell)."""
    if "\x00" in text:
        raise RejectedFile("has NUL bytes: not a text CSV file")
    sample = "\n".join(text[:SNIFF_CHARS].splitlines()[:20])
    if not sample.strip():
        raise RejectedFile("is empty")
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel
    if sniffed.delimiter != ",":
        log.info("crm %s: delimiter %r", origin, sniffed.delimiter)
    sniffed.doublequote = True  # the sniffer guesses this from few lines; exports double
    return sniffed


def _delete_missing(
    conn: psycopg.Connection,
    batch: LandingBatch,
    spec: CrmFile,
    seen: set[str],
    origin: str,
) -> None:
    """A full export: the records alive in raw that it does not name were deleted in the CRM
    (unless so many would go that the file looks partial)."""
    alive = _alive_keys(conn, f"crm_{spec.entity}")
    gone = alive - seen
    if gone and not seen:
        log.warning(
            "crm %s: a full %s export without a single record; taken for a failed export,"
            " nothing deleted",
            origin,
            spec.entity,
        )
        return
    if gone and len(gone) > max(10, SNAPSHOT_DELETE_SHARE * len(alive)):
        log.warning(
            "crm %s: a full %s export without %d of the %d live records; taken for a partial"
            " export, nothing deleted (split deletions over several exports, or delete in"
            " raw by hand)",
            origin,
            spec.entity,
            len(gone),
            len(alive),
        )
        return
    batch.confirmed_gone(gone)


def _move(folder: Path, name: str, where: str, reason: str | None = None) -> None:
    """Move a handled file (or link, or FIFO: never followed) out of the inbox, never over
    another (a name taken gets a suffix; a name too long for the reason file beside it is
    cut); a rejected file gets its reason beside it, a new file (never through a link)."""
    target_dir = folder / where
    target_dir.mkdir(exist_ok=True)
    target = _free_name(target_dir, name)
    os.rename(folder / name, target_dir / target)
    if reason is not None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(target_dir / (target + REASON_SUFFIX), flags, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(reason + "\n")


def _free_name(target_dir: Path, name: str) -> str:
    """A name for `name` in `target_dir` that neither it nor its reason file takes yet, short
    enough for the reason file's name (NAME_MAX bytes)."""
    stem, suffix = os.path.splitext(name)
    if len(os.fsencode(suffix)) > 16:
        stem, suffix = name, ""
    room = NAME_MAX - len(REASON_SUFFIX) - len(os.fsencode(suffix)) - 8  # 8: a `.<n>` suffix
    if len(os.fsencode(stem)) > room:
        stem = os.fsdecode(os.fsencode(stem)[:room])
    candidate, n = stem + suffix, 1
    while os.path.lexists(target_dir / candidate) or os.path.lexists(
        target_dir / (candidate + REASON_SUFFIX)
    ):
        candidate, n = f"{stem}.{n}{suffix}", n + 1
    return candidate
