"""CRM export: customers, products, orders, erasure requests, the social accounts the CRM
knows for its customers, CRM staff's decisions on the identity review queue and their sentiment
corrections, as CSV files dropped in a folder (an inbox).

Each file is its own unit: read (UTF-8, with or without BOM, else Windows-1252, logged), its
delimiter sniffed and its header checked against its type, then landed as one batch, or
rejected whole with one reason. Landed files move to `processed/`, rejected ones to `rejected/`
with a `.reason.txt` beside them, so nothing is read twice and nothing is lost. Within a file
every row is validated on its own (formats, dates between 1900 and tomorrow, amounts, the
customers and products it names): a bad row goes to raw_quarantine with the file, line and
reason, and the rest lands. The last row of a record wins within a file, the later file (by
name) across files. Customers and products are full exports: a record a newer export leaves out
was deleted in the CRM and lands as a tombstone; the other types are deltas.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from social_crm.extract.records import GRAPH_ID, X_ID
from social_crm.load.landing import BatchResult, LandingBatch, RawRecord, mark_abandoned_batches
from social_crm.privacy.named import identifiers

log = logging.getLogger(__name__)

SOURCE = "crm"
_BOOL = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_X_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")  # X's handle rules: letters, digits, _, <= 15
ACCOUNT_IDS = {"facebook": GRAPH_ID, "x": X_ID}
ACCOUNT_SOURCES = ("social_login", "loyalty_signup", "service_conversation", "manual")
DECISIONS = ("accept", "reject")
SENTIMENTS = ("negative", "neutral", "positive")
INTENTS = ("idea", "discount", "complaint", "product_question", "praise", "other")
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)  # clocks and time zones of the exporting system
MAX_AMOUNT = Decimal(1_000_000)  # an order or price at or above this is a typo or a test row
_MESSAGE_ID = re.compile(r"^[0-9A-Za-z_:-]{1,100}$")  # a Graph object id or an X post id


class InvalidRow(ValueError):
    pass


def _text(row: dict, name: str, required: bool = True) -> str | None:
    value = (row.get(name) or "").strip()
    if required and not value:
        raise InvalidRow(f"missing {name}")
    return value or None


def _one_of(row: dict, name: str, allowed, required: bool = True) -> str | None:  # noqa: ANN001
    """The field, lower-cased, when it is one of `allowed` (None when optional and empty)."""
    value = (_text(row, name, required) or "").lower()
    if not value and not required:
        return None
    if value not in allowed:
        raise InvalidRow(f"{name} {value[:30]!r} is not one of {', '.join(allowed)}")
    return value


def _int(row: dict, name: str) -> int | None:
    value = _text(row, name, required=False)
    if value is None:
        return None
    if not value.lstrip("-").isdigit():
        raise InvalidRow(f"{name} {value[:20]!r} is not a whole number")
    return int(value)


def _bool(row: dict, name: str) -> bool:
    value = (_text(row, name) or "").lower()
    if value not in _BOOL:
        raise InvalidRow(f"{name} {value[:20]!r} is not true/false")
    return _BOOL[value]


def _time(row: dict, name: str) -> datetime:
    """An ISO-8601 time with its zone, between 1900 and a day from now (what the raw gate
    accepts: a CRM export does not know the future)."""
    value = _text(row, name) or ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRow(f"{name} {value[:30]!r} is not an ISO-8601 timestamp") from None
    if moment.tzinfo is None:
        raise InvalidRow(f"{name} {value[:30]!r} has no time zone")
    if moment < EARLIEST:
        raise InvalidRow(f"{name} {value[:30]!r} is before 1900")
    if moment > datetime.now(UTC) + FUTURE_TOLERANCE:
        raise InvalidRow(f"{name} {value[:30]!r} is in the future")
    return moment


def _money(row: dict, name: str, required: bool = True) -> Decimal | None:
    """An amount of money: a plain decimal number, 0 or more, at most 2 decimals and below
    MAX_AMOUNT (what the marts' tests accept: a refund is not a negative order)."""
    value = _text(row, name, required)
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InvalidRow(f"{name} {value[:20]!r} is not a number") from None
    if not amount.is_finite():
        raise InvalidRow(f"{name} {value[:20]!r} is not a finite number")
    if amount < 0:
        raise InvalidRow(f"{name} {value[:20]!r} is negative")
    if amount >= MAX_AMOUNT:
        raise InvalidRow(f"{name} {value[:20]!r} is not below {MAX_AMOUNT:,}")
    if amount.as_tuple().exponent < -2:
        raise InvalidRow(f"{name} {value[:20]!r} has more than 2 decimals")
    return amount.quantize(Decimal("0.01")) if "e" in value.lower() else amount


def customer_record(row: dict) -> RawRecord:
    customer_id = _text(row, "customer_id")
    email = _text(row, "email")
    if not _EMAIL.match(email or ""):
        raise InvalidRow(f"email {email[:40]!r} is not an address")
    birth_year = _int(row, "birth_year")
    if birth_year is not None and not 1900 <= birth_year <= 2030:
        raise InvalidRow(f"birth_year {birth_year} is out of range")
    payload = {
        "customer_id": customer_id,
        "email": email.lower(),
        "first_name": _text(row, "first_name", False),
        "last_name": _text(row, "last_name", False),
        "birth_year": birth_year,
        "gender": _text(row, "gender", False),
        "country": _text(row, "country", False),
        "city": _text(row, "city", False),
        "job_title": _text(row, "job_title", False),
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
        "product_id": _text(row, "product_id", False),
    }
    return RawRecord(order_id, payload, scope_key=payload["customer_id"], event_at=ordered_at)


def erasure_record(row: dict) -> RawRecord:
    customer_id = _text(row, "customer_id")
    requested_at = _time(row, "requested_at")
    payload = {"customer_id": customer_id, "requested_at": requested_at.isoformat()}
    # optional: the person's handles, profile URLs and emails (privacy/named.py); a token it
    # cannot read is kept and logged, never a reason to hold the request back
    named, unread = identifiers(_text(row, "identifiers", False))
    for reason in unread:
        log.warning("erasure request of %s: %s; kept as a token", customer_id, reason)
    return RawRecord(customer_id, payload | named, event_at=requested_at)


def product_record(row: dict) -> RawRecord:
    product_id = _text(row, "product_id")
    launched_at = _time(row, "launched_at") if _text(row, "launched_at", False) else None
    price = _money(row, "list_price", required=False)
    payload = {
        "product_id": product_id,
        "name": _text(row, "name", False),
        "list_price": None if price is None else str(price),
        "launched_at": launched_at.isoformat() if launched_at else None,
        "idea_message_id": _text(row, "idea_message_id", False),
    }
    return RawRecord(product_id, payload, event_at=launched_at)


def social_account_record(row: dict) -> RawRecord:
    """A social account the CRM knows for a customer: a Facebook page-scoped id, or an X user
    id and/or handle, with where the CRM got it."""
    customer_id = _text(row, "customer_id")
    platform = _one_of(row, "platform", tuple(ACCOUNT_IDS))
    account_id = _text(row, "account_id", False)
    handle = _text(row, "handle", False)
    if account_id is not None and not ACCOUNT_IDS[platform].match(account_id):
        raise InvalidRow(f"account_id {account_id[:30]!r} is not a {platform} id")
    if handle is not None:
        handle = handle.removeprefix("@")
        if platform != "x":
            raise InvalidRow("a handle is only read for x; facebook needs account_id")
        if not _X_HANDLE.match(handle):
            raise InvalidRow(f"handle {handle[:30]!r} is not an X handle")
    if account_id is None and handle is None:
        raise InvalidRow("neither account_id nor handle")
    source = _one_of(row, "source", ACCOUNT_SOURCES)
    linked_at = _time(row, "linked_at")
    account = account_id or f"@{handle.lower()}"
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
    account_id = _text(row, "account_id") or ""
    if not ACCOUNT_IDS[platform].match(account_id):
        raise InvalidRow(f"account_id {account_id[:30]!r} is not a {platform} id")
    decision = _one_of(row, "decision", DECISIONS)
    decided_at = _time(row, "decided_at")
    payload = {
        "customer_id": customer_id,
        "platform": platform,
        "account_id": account_id,
        "decision": decision,
        "decided_by": _text(row, "decided_by", False),
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
    message_id = _text(row, "message_id") or ""
    if not _MESSAGE_ID.match(message_id):
        raise InvalidRow(f"message_id {message_id[:30]!r} is not a Facebook or X message id")
    sentiment = _one_of(row, "sentiment", SENTIMENTS)
    intent = _one_of(row, "intent", INTENTS, required=False)
    decided_at = _time(row, "decided_at")
    payload = {
        "message_id": message_id,
        "sentiment": sentiment,
        "intent": intent,
        "decided_by": _text(row, "decided_by", False),
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
FIELD_LIMIT = 10_000  # characters in one field; a longer one quarantines its row
READ_FIELD_LIMIT = 256 * 1024 * 1024  # what the reader takes in before the check above
QUARANTINED_TEXT = 2_000  # characters of a field kept in quarantine
DELIMITERS = ",;\t|"
# a full export that would delete more than this share of the live records is taken for a
# partial one: its rows land, nothing is deleted (and the log says why)
SNAPSHOT_DELETE_SHARE = 0.2


class RejectedFile(ValueError):
    """A file that cannot be read as its type's export at all: it lands nothing."""


def land_drop_folder(
    conn_factory,  # noqa: ANN001
    folder: Path,
    interval: tuple[datetime | None, datetime | None] = (None, None),
) -> list[BatchResult]:
    """Land every export file in `folder`, each file on its own (its own batch), by type in
    FILES order, then by name (date your exports' names: customers_2026-12-01.csv, so the
    newer export lands later and wins). A landed file moves to `processed/`, a rejected one to
    `rejected/` with `<name>.reason.txt` beside it; a file of no known type is rejected too.
    Returns a result per file."""
    if not folder.is_dir():
        raise FileNotFoundError(
            f"CRM drop folder {folder} does not exist; set CRM_DROP_DIR or create it"
        )
    with conn_factory() as conn:  # the janitor, as every extraction task starts
        conn.autocommit = True
        mark_abandoned_batches(conn)
    files = sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.name)
    by_type: dict[str, list[Path]] = {spec.entity: [] for spec in FILES}
    results = []
    for path in files:
        if path.name.startswith("."):
            continue  # a file still being written by a tool that names it hidden
        spec = _type_of(path)
        if spec is None:
            results.append(_reject_unknown(folder, path))
        else:
            by_type[spec.entity].append(path)
    for spec in FILES:
        if not by_type[spec.entity]:
            log.info("crm: no %s files in %s", spec.pattern, folder)
        for path in by_type[spec.entity]:
            results.append(_land_one(conn_factory, folder, path, spec, interval))
    return results


def _type_of(path: Path) -> CrmFile | None:
    name = path.name.lower()
    return next((spec for spec in FILES if fnmatch.fnmatchcase(name, spec.pattern)), None)


def _reject_unknown(folder: Path, path: Path) -> BatchResult:
    known = ", ".join(spec.pattern for spec in FILES)
    reason = f"{path.name}: not a CRM export this pipeline reads (file names: {known})"
    _move(folder, path, REJECTED, reason)
    log.error("crm: %s", reason)
    return BatchResult("", SOURCE, "unknown", status="failed", origin=path.name, error=reason)


def _land_one(
    conn_factory,  # noqa: ANN001
    folder: Path,
    path: Path,
    spec: CrmFile,
    interval: tuple[datetime | None, datetime | None],
) -> BatchResult:
    batch = None
    try:
        with conn_factory() as conn:
            known = _known_references(conn, spec)
            with LandingBatch(conn, SOURCE, spec.entity, interval=interval) as batch:
                batch.result.origin = path.name
                seen = _land_file(batch, path, spec, known)
                if spec.snapshot:
                    _delete_missing(conn, batch, spec, seen, path)
                batch.set_watermark(cursor_value=path.name)
    except (RejectedFile, UnicodeError, csv.Error, OSError) as exc:
        reason = f"{path.name}: {exc}"
        log.error("crm: rejected %s", reason)
        _move(folder, path, REJECTED, reason)
        result = batch.result if batch is not None else BatchResult("", SOURCE, spec.entity)
        result.status, result.origin, result.error = "failed", path.name, reason
        return result
    _move(folder, path, PROCESSED)
    return batch.result


def _known_references(conn, spec: CrmFile) -> dict[str, set[str]]:  # noqa: ANN001
    """The customer (product) ids alive in raw, for the columns `spec` checks."""
    known = {}
    for column, table in ((spec.customer_column, "customers"), (spec.product_column, "products")):
        if column:
            known[column] = _alive_keys(conn, f"crm_{table}")
    conn.rollback()  # end the look-up's transaction before the batch starts
    return known


def _alive_keys(conn, table: str) -> set[str]:  # noqa: ANN001
    rows = conn.execute(
        f"select natural_key from (select distinct on (natural_key) natural_key, is_deleted"  # noqa: S608
        f" from raw.{table} order by natural_key, ingest_seq desc) as latest"
        " where not is_deleted"
    ).fetchall()
    return {row[0] for row in rows}


def _land_file(
    batch: LandingBatch, path: Path, spec: CrmFile, known: dict[str, set[str]]
) -> set[str]:
    """Land the rows of one file; returns the keys it names (quarantined rows included: a
    full export's bad row is not a deletion)."""
    text, encoding = _decode(path)
    if encoding != "utf-8":
        log.warning("crm %s: not UTF-8; read as %s", path.name, encoding)
    dialect = _dialect(text, path)
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in spec.columns if column not in header]
    if missing:
        raise RejectedFile(
            f"the header lacks {', '.join(missing)} for a {spec.entity} export"
            f" (found: {', '.join(header)[:300] or 'no header'})"
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
        batch.quarantine(_quarantine_text(path, line, row), f"{path.name}:{line}: {reason}")
    log.info("crm %s: %s read (%d records)", spec.entity, path.name, batch.result.records_in)
    return seen


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
            return f"{name} is {len(value):,} characters (at most {FIELD_LIMIT:,})"
    for column, ids in known.items():
        value = (row.get(column) or "").strip()
        if value and value not in ids:
            what = "customer" if column == spec.customer_column else "product"
            return f"{column} {value[:30]!r} is not a known {what}"
    return None


def _quarantine_text(path: Path, line: int, row: dict) -> str:
    cut = {
        str(name)[:100]: (value if not isinstance(value, str) else value[:QUARANTINED_TEXT])
        for name, value in row.items()
    }
    return json.dumps({"file": path.name, "line": line, "row": cut}, ensure_ascii=False)


def _decode(path: Path) -> tuple[str, str]:
    """The file's text: UTF-8 (with or without a BOM), else Windows-1252 (what spreadsheet
    exports on Windows write), else Latin-1 (which reads any byte)."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    return data.decode("latin-1"), "latin-1"


def _dialect(text: str, path: Path) -> type[csv.Dialect] | csv.Dialect:
    """The file's delimiter, sniffed from its first lines (comma when they do not tell)."""
    if "\x00" in text:
        raise RejectedFile("has NUL bytes: not a text CSV file")
    sample = "\n".join(text[:65_536].splitlines()[:20])
    if not sample.strip():
        raise RejectedFile("is empty")
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel
    if sniffed.delimiter != ",":
        log.info("crm %s: delimiter %r", path.name, sniffed.delimiter)
    sniffed.doublequote = True  # the sniffer guesses this from few lines; exports double
    return sniffed


def _delete_missing(
    conn,  # noqa: ANN001
    batch: LandingBatch,
    spec: CrmFile,
    seen: set[str],
    path: Path,
) -> None:
    """A full export: the records alive in raw that it does not name were deleted in the CRM
    (unless so many would go that the file looks partial)."""
    alive = _alive_keys(conn, f"crm_{spec.entity}")
    gone = alive - seen
    if gone and len(gone) > max(10, SNAPSHOT_DELETE_SHARE * len(alive)):
        log.warning(
            "crm %s: a full %s export without %d of the %d live records; taken for a partial"
            " export, nothing deleted (split deletions over several exports, or delete in"
            " raw by hand)",
            path.name,
            spec.entity,
            len(gone),
            len(alive),
        )
        return
    batch.confirmed_gone(gone)


def _move(folder: Path, path: Path, where: str, reason: str | None = None) -> None:
    """Move a handled file out of the inbox (never over another: a name taken gets a
    suffix); a rejected file gets its reason beside it."""
    target_dir = folder / where
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    n = 1
    while target.exists():
        target = target_dir / f"{path.stem}.{n}{path.suffix}"
        n += 1
    path.replace(target)
    if reason is not None:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
