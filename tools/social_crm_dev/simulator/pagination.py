"""Opaque, stable cursors: a cursor names the last item seen, not an offset, so items added
between two page requests never shift a page."""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any


class BadCursor(ValueError):
    pass


def encode(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadCursor(cursor) from exc


def page_after(keys: Sequence[Any], after: Any | None, limit: int) -> tuple[int, int]:
    """[start, end) of the page following `after` in ascending `keys`."""
    start = 0 if after is None else bisect_right(keys, after)
    return start, min(start + limit, len(keys))
