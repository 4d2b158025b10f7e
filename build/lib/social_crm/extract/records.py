"""Turning API items into raw records: validation errors become quarantined records."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from social_crm.load.landing import LandingBatch, RawRecord


class InvalidRecord(ValueError):
    """An item that cannot be landed; the message is the reason kept in quarantine."""


def require_id(item: Any, *, numeric: bool = False) -> str:
    if not isinstance(item, dict):
        raise InvalidRecord(f"item is a {type(item).__name__}, not an object")
    value = item.get("id")
    if not isinstance(value, str) or not value or (numeric and not value.isdigit()):
        raise InvalidRecord("missing or non-numeric 'id'" if numeric else "missing or empty 'id'")
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
