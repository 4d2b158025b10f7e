"""Turning API items into raw records: validation errors become quarantined records."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.quality.rules import GRAPH_ID, X_ID


class InvalidRecord(ValueError):
    """An item that cannot be landed; the message is the reason kept in quarantine."""


def require_id(item: Any, *, numeric: bool = False) -> str:
    """The item's id, in the platform's syntax (X when `numeric`, Graph otherwise)."""
    if not isinstance(item, dict):
        raise InvalidRecord(f"item is a {type(item).__name__}, not an object")
    value = item.get("id")
    if numeric:
        if not isinstance(value, str) or not X_ID.match(value):
            raise InvalidRecord("missing or non-numeric 'id'")
    elif not isinstance(value, str) or not value:
        raise InvalidRecord("missing or empty 'id'")
    elif not GRAPH_ID.match(value):
        raise InvalidRecord(f"'id' {value[:40]!r} is not a Graph id")
    return value


def graph_id(value: Any, what: str) -> str:
    """`value` if it is a Graph id, else InvalidRecord naming `what`."""
    if not isinstance(value, str) or not GRAPH_ID.match(value):
        raise InvalidRecord(f"{what} {str(value)[:40]!r} is not a Graph id")
    return value


def land_or_quarantine(
    batch: LandingBatch, item: Any, build: Callable[[Any], RawRecord]
) -> RawRecord | None:
    """Add `build(item)` to the batch, or quarantine the item with the reason it failed."""
    try:
        record = build(item)
    except InvalidRecord as exc:
        batch.quarantine(json.dumps(item, ensure_ascii=False, default=str), str(exc))
        return None
    batch.add(record)
    return record
