"""A Meta webhook delivery, read: its signature checked, its changes split out, each change
turned into a raw record of `raw.webhook_events` or a reason to quarantine it.

The rules, from Meta's documentation (rows in docs/real-apis.md, "Webhooks"):
- a delivery is `{"object": ..., "entry": [{"id", "time", "changes": [{"field", "value"}]}]}`
  (developers.facebook.com/docs/graph-api/webhooks/getting-started); the Instagram examples of
  Business Login put `field` and `value` in the entry itself
  (developers.facebook.com/docs/instagram-platform/webhooks/examples): both are read;
  a delivery may also be a JSON array of such objects, as the Instagram examples show it:
  each is read, all verified by the one signature over the body;
- it is signed: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, key = the app
  secret>`; the body is checked as received, byte for byte (Meta escapes non-ASCII
  characters before signing: a body parsed and dumped again would not match);
- deliveries are retried and may repeat a change, with another `entry.time`: a change's key is
  its content without the time (object, entry id, field, value), so it lands once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from social_crm.extract.records import InvalidRecord, graph_id, storable, unstorable
from social_crm.load.landing import RawRecord

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="
_HEX = frozenset("0123456789abcdef")

# the fields we subscribe to, per object (docs/webhooks.md says which to tick in the App
# Dashboard); any other object or field is quarantined, not guessed at
FIELDS: dict[str, tuple[str, ...]] = {"instagram": ("comments", "mentions"), "page": ("feed",)}


def sign(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value Meta sends for `body`."""
    return _PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_problem(secret: str, body: bytes, header: str | None) -> str | None:
    """Why the delivery's signature is refused (None: it is right). The comparison takes the
    same time whatever the header holds (`hmac.compare_digest`). The reason never holds the
    secret, the body or the header's value."""
    if header is None or not header.strip():
        return f"no {SIGNATURE_HEADER} header"
    value = header.strip()
    if not value.startswith(_PREFIX):
        return f"{SIGNATURE_HEADER} does not start with {_PREFIX!r}"
    digest = value[len(_PREFIX) :].lower()
    if len(digest) != 64 or not set(digest) <= _HEX:
        return f"{SIGNATURE_HEADER} is not 64 hex digits after {_PREFIX!r}"
    if not hmac.compare_digest(sign(secret, body), _PREFIX + digest):
        return f"{SIGNATURE_HEADER} does not match the body (signed with another app secret?)"
    return None


@dataclass(frozen=True)
class Refused:
    """A change (or an entry, or the whole delivery) that cannot land: quarantined with why."""

    raw_text: str
    reason: str


def canonical(value: Any) -> str:
    """One text per JSON value: keys sorted, no spaces, non-ASCII kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def change_key(obj: str, entry_id: str, field: str, value: Any) -> str:
    """A change's natural key: sha256 of the canonical JSON of (object, entry id, field,
    value); the time is left out (a retry may carry another)."""
    return hashlib.sha256(canonical([obj, entry_id, field, value]).encode()).hexdigest()


def read_delivery(body: Any) -> list[RawRecord | Refused]:
    """Each change of a parsed delivery: a record for `raw.webhook_events`, or Refused. A
    delivery is an object, or an array of objects (the shape of Meta's Instagram examples)."""
    if isinstance(body, list) and body:
        return [found for delivery in body for found in _read_object(delivery)]
    return _read_object(body)


def _read_object(body: Any) -> list[RawRecord | Refused]:
    if not isinstance(body, dict):
        return [Refused(_text(body), f"delivery is a {type(body).__name__}, not an object")]
    obj, entries = body.get("object"), body.get("entry")
    if not isinstance(entries, list):
        return [Refused(_text(body), "delivery has no 'entry' list")]
    found: list[RawRecord | Refused] = []
    for entry in entries:
        for field, value, entry_id, time in _changes(entry):
            payload = {"object": obj, "entry_id": entry_id, "time": time, "field": field}
            payload["value"] = value
            try:
                found.append(change_record(payload))
            except InvalidRecord as exc:
                # kept without its time, like its key: a retry's copy is the same change
                timeless = {k: v for k, v in payload.items() if k != "time"}
                found.append(Refused(_text(timeless), str(exc)))
    if not found:
        return [Refused(_text(body), "delivery has no changes")]
    return found


def _text(value: Any) -> str:
    """The quarantined text of a refused change: canonical, every non-ASCII character escaped
    when it holds what the warehouse cannot store (`records.unstorable`)."""
    text = canonical(value)
    if unstorable(text) is None:
        return text
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _changes(entry: Any) -> list[tuple[Any, Any, Any, Any]]:
    """(field, value, entry id, entry time) of each change of an entry; an entry without any
    is one change with no field (quarantined by `change_record`)."""
    if not isinstance(entry, dict):
        return [(None, entry, None, None)]
    entry_id, time = entry.get("id"), entry.get("time")
    changes = entry.get("changes")
    if isinstance(changes, list) and changes:
        return [
            (c.get("field"), c.get("value"), entry_id, time)
            if isinstance(c, dict)
            else (None, c, entry_id, time)
            for c in changes
        ]
    if "field" in entry:
        return [(entry.get("field"), entry.get("value"), entry_id, time)]
    rest = {k: v for k, v in entry.items() if k not in ("id", "time")}
    return [(None, rest, entry_id, time)]


def change_record(payload: dict[str, Any]) -> RawRecord:
    """The raw record of one change `{object, entry_id, time, field, value}`, or InvalidRecord
    saying why it cannot land."""
    obj, field, value = payload["object"], payload["field"], payload["value"]
    if obj not in FIELDS:
        raise InvalidRecord(f"unknown object {str(obj)[:40]!r} (we subscribe to {sorted(FIELDS)})")
    entry_id = graph_id(payload["entry_id"], "entry id")
    time = payload["time"]
    if not isinstance(time, int) or isinstance(time, bool) or time <= 0:
        raise InvalidRecord(f"entry time {str(time)[:30]!r} is not a Unix time (whole seconds)")
    if field not in FIELDS[obj]:
        raise InvalidRecord(
            f"unknown {obj} field {str(field)[:40]!r} (we subscribe to {FIELDS[obj]})"
        )
    if not isinstance(value, dict):
        raise InvalidRecord(f"{obj} {field} value is not an object")
    own_time = _VALIDATE[(obj, field)](value)
    storable(value, f"{obj} {field} value")
    return RawRecord(
        change_key(obj, entry_id, field, value),
        payload,
        scope_key=f"{obj}:{entry_id}",
        event_at=_unix_time(own_time or time),
    )


def _unix_time(seconds: int) -> datetime:
    """A change's time: Unix seconds within what a timestamp holds (a time in milliseconds
    or out of range is InvalidRecord, not a crash)."""
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        raise InvalidRecord(
            f"time {str(seconds)[:30]!r} is out of range for Unix seconds (milliseconds?)"
        ) from None


def _instagram_comment(value: dict) -> int | None:
    """`comments`: id, from {id, username}, text, media {id, media_product_type}, parent_id
    for a reply (developers.facebook.com/docs/graph-api/webhooks/reference/instagram). A
    comment on an album comes without the album's id ("Webhook notifications for Comments on
    albums don't include the album ID", developers.facebook.com/docs/graph-api/webhooks/
    getting-started/webhooks-for-instagram): `media.id` is checked only when there, and the
    reader asks the comment for its media."""
    graph_id(value.get("id"), "comment id")
    media = value.get("media")
    if media is not None and not isinstance(media, dict):
        raise InvalidRecord("Instagram comment 'media' is not an object")
    if isinstance(media, dict) and media.get("id") is not None:
        graph_id(media["id"], "media id")
    if value.get("parent_id") is not None:
        graph_id(value["parent_id"], "parent id")
    author = value.get("from")
    if author is not None and not isinstance(author, dict):
        raise InvalidRecord("Instagram comment 'from' is not an object")
    return None  # the docs give the comment no time: the entry's


def _instagram_mention(value: dict) -> int | None:
    """`mentions`: {media_id} for a caption, {comment_id, media_id} for a comment
    (developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/mentions)."""
    graph_id(value.get("media_id"), "media id")
    if value.get("comment_id") is not None:
        graph_id(value["comment_id"], "comment id")
    return None


def _page_feed(value: dict) -> int | None:
    """`feed`: item, verb, post_id, comment_id (item comment), parent_id, from {id, name},
    message, created_time (Unix seconds) (developers.facebook.com/docs/graph-api/webhooks/
    reference/page)."""
    item, verb = value.get("item"), value.get("verb")
    if not isinstance(item, str) or not item:
        raise InvalidRecord("Page feed change without 'item'")
    if not isinstance(verb, str) or not verb:
        raise InvalidRecord("Page feed change without 'verb'")
    if item == "comment":
        graph_id(value.get("comment_id"), "comment id")
        graph_id(value.get("post_id"), "post id")
    created = value.get("created_time")
    if created is None:
        return None
    if not isinstance(created, int) or isinstance(created, bool) or created <= 0:
        raise InvalidRecord("Page feed 'created_time' is not a Unix time (whole seconds)")
    return created


_VALIDATE = {
    ("instagram", "comments"): _instagram_comment,
    ("instagram", "mentions"): _instagram_mention,
    ("page", "feed"): _page_feed,
}
