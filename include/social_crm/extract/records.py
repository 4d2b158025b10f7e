"""Turning API items into raw records: validation errors become quarantined records."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any, TypeGuard

from social_crm.extract.http import HugeInteger
from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.quality.rules import GRAPH_ID, X_ID


class InvalidRecord(ValueError):
    """An item that cannot be landed; the message is the reason kept in quarantine."""


# what PostgreSQL cannot store: a NUL character (text and jsonb refuse `\\u0000`) and a lone
# UTF-16 surrogate (`\\ud83d` alone: not encodable as UTF-8)
_UNSTORABLE_CHAR = re.compile("[\x00\ud800-\udfff]")


def unstorable(value: Any, where: str = "item") -> str | None:
    """Why `value` (parsed JSON) cannot be stored in a jsonb column, or None when it can:
    the one rule of what a storable value is. Refused: a NUL character or a lone surrogate in
    any text (or key), a number that is not finite (`1e400` parses as inf; jsonb has no
    Infinity or NaN), and an integer of more digits than Python reads (`http.HugeInteger`).
    The reason names where (`item.from.username`)."""
    if isinstance(value, HugeInteger):
        return f"{where} holds an integer of {len(value.lstrip('-'))} digits (past Python's limit)"
    if isinstance(value, str):
        found = _UNSTORABLE_CHAR.search(value)
        if found is None:
            return None
        what = "a NUL character" if found.group() == "\x00" else "a lone UTF-16 surrogate"
        return f"{where} holds {what}"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{where} holds a number out of range ({value})"
    if isinstance(value, dict):
        for key, inner in value.items():
            inside = f"{where}.{key[:40]}" if isinstance(key, str) else where
            why = unstorable(key, f"{where} (a key)") or unstorable(inner, inside)
            if why is not None:
                return why
    elif isinstance(value, list):
        for inner in value:
            why = unstorable(inner, where)
            if why is not None:
                return why
    return None


def storable(value: Any, where: str = "item") -> Any:
    """`value` if it can be stored (`unstorable`), else InvalidRecord saying what it holds."""
    why = unstorable(value, where)
    if why is not None:
        raise InvalidRecord(f"{why}, which the warehouse cannot store")
    return value


def quarantine_text(value: Any) -> str:
    """The text kept in quarantine for a refused item: its JSON with non-ASCII kept, or with
    everything escaped when the item holds what cannot be stored as is (`unstorable`)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if unstorable(text) is None:
        return text
    return json.dumps(value, ensure_ascii=True, default=str)


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


def is_graph_id(value: Any) -> TypeGuard[str]:
    """Whether `value` is a Graph id (a string of the API's id shape)."""
    return isinstance(value, str) and GRAPH_ID.match(value) is not None


def graph_id(value: Any, what: str) -> str:
    """`value` if it is a Graph id, else InvalidRecord naming `what`."""
    if not is_graph_id(value):
        raise InvalidRecord(f"{what} {str(value)[:40]!r} is not a Graph id")
    return value


def land_or_quarantine(
    batch: LandingBatch, item: Any, build: Callable[[Any], RawRecord]
) -> RawRecord | None:
    """Add `build(item)` to the batch, or quarantine the item with the reason it failed. Every
    builder of every platform lands through here, so here the item meets the one rule of
    what the warehouse can store (`storable`): a value PostgreSQL would refuse quarantines
    its item, never failing the batch with every good record in it."""
    try:
        record = build(storable(item))
    except InvalidRecord as exc:
        batch.quarantine(quarantine_text(item), str(exc))
        return None
    batch.add(record)
    return record
