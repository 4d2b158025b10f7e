"""CRM export: customers, orders, products, erasure requests, the social accounts the CRM
knows for its customers and CRM staff's decisions on the identity review queue, as CSV files in
a folder.

Every row is validated on its own; a bad row goes to raw_quarantine with the file, line and
reason, and the rest of the file lands. Files stay where they are (re-landing is a no-op), so
nothing is lost and a rerun is safe.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from social_crm.extract.records import GRAPH_ID, X_ID
from social_crm.load.landing import BatchResult, LandingBatch, RawRecord

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
    value = _text(row, name) or ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRow(f"{name} {value[:30]!r} is not an ISO-8601 timestamp") from None
    if moment.tzinfo is None:
        raise InvalidRow(f"{name} {value[:30]!r} has no time zone")
    return moment


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
    raw_amount = _text(row, "amount") or ""
    try:
        amount = Decimal(raw_amount)
    except InvalidOperation:
        raise InvalidRow(f"amount {raw_amount[:20]!r} is not a number") from None
    if not amount.is_finite():
        raise InvalidRow(f"amount {raw_amount[:20]!r} is not a finite number")
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
    return RawRecord(customer_id, payload, event_at=requested_at)


def product_record(row: dict) -> RawRecord:
    product_id = _text(row, "product_id")
    launched_at = _time(row, "launched_at") if _text(row, "launched_at", False) else None
    price = _text(row, "list_price", False)
    if price is not None:
        try:
            Decimal(price)
        except InvalidOperation:
            raise InvalidRow(f"list_price {price[:20]!r} is not a number") from None
    payload = {
        "product_id": product_id,
        "name": _text(row, "name", False),
        "list_price": price,
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
    pattern: str
    parse: Callable[[dict], RawRecord]


FILES = (
    CrmFile("customers", "customers*.csv", customer_record),
    CrmFile("orders", "orders*.csv", order_record),
    CrmFile("erasure_requests", "erasure_requests*.csv", erasure_record),
    CrmFile("products", "products*.csv", product_record),
    CrmFile("customer_social_accounts", "customer_social_accounts*.csv", social_account_record),
    CrmFile("identity_decisions", "identity_decisions*.csv", identity_decision_record),
    CrmFile("sentiment_overrides", "sentiment_overrides*.csv", sentiment_override_record),
)


def land_drop_folder(
    conn_factory,
    folder: Path,  # noqa: ANN001
    interval: tuple[datetime | None, datetime | None] = (None, None),
) -> list[BatchResult]:
    if not folder.is_dir():
        raise FileNotFoundError(
            f"CRM drop folder {folder} does not exist; set CRM_DROP_DIR or create it"
        )
    results = []
    for spec in FILES:
        paths = sorted(folder.glob(spec.pattern))
        with (
            conn_factory() as conn,
            LandingBatch(conn, SOURCE, spec.entity, interval=interval) as batch,
        ):
            for path in paths:
                _land_file(batch, path, spec)
            if paths:
                batch.set_watermark(cursor_value=paths[-1].name)
        if not paths:
            log.info("crm: no %s files in %s", spec.pattern, folder)
        results.append(batch.result)
    return results


def _land_file(batch: LandingBatch, path: Path, spec: CrmFile) -> None:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        for line, row in enumerate(reader, start=2):
            if None in row or any(value is None for value in row.values()):
                batch.quarantine(
                    json.dumps(
                        {"file": path.name, "line": line, "row": row},
                        ensure_ascii=False,
                        default=str,
                    ),
                    f"{path.name}:{line}: wrong number of columns",
                )
                continue
            try:
                batch.add(spec.parse(row))
            except InvalidRow as exc:
                batch.quarantine(
                    json.dumps({"file": path.name, "line": line, "row": row}, ensure_ascii=False),
                    f"{path.name}:{line}: {exc}",
                )
    log.info("crm %s: %s read (%d records so far)", spec.entity, path.name, batch.result.records_in)
