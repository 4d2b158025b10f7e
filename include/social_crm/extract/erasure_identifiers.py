"""What an erasure request names as the person's own, besides the customer id: X handles,
profile URLs and emails (the erasure request file's optional `identifiers` column, separated
by spaces, commas or semicolons).

A profile named here is erased with the customer whether or not identity resolution links it
(int_excluded_profiles), unless it is not theirs: a tracked brand's own account, or one the CRM
knows as another customer's (privacy/erasure.py). An email named here is erased where it
appears (quarantined rows, the CRM drop folder's files). A token that is none of these (a
date, a note) never stops the request: it lands with the rest, kept as a token, and is logged;
it erases nothing, as it names no one the pipeline can tell (a word of every log line would
erase every line holding it).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from social_crm.quality.rules import EMAIL, X_HANDLE

_DIGITS = re.compile(r"\A[0-9]{1,40}\Z")  # a Facebook or X account id
_X_HOSTS = {"x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com"}
_FACEBOOK_HOSTS = {"facebook.com", "m.facebook.com", "fb.com", "web.facebook.com"}
# paths of x.com that are not a user's handle
_X_RESERVED = {"i", "home", "search", "intent", "hashtag", "settings", "explore", "messages"}
# what a request's payload holds of them, each a list (a key only when it has values)
KINDS = ("facebook_ids", "x_ids", "x_handles", "emails", "unread_identifiers")


def identifiers(text: str | None) -> tuple[dict[str, list[str]], list[str]]:
    """The accounts and emails `text` names, by kind (KINDS; handles and emails in lower
    case, each once, in order), and a reason for each token none of them, naming it by its
    place, not its text: such a token is still kept, under `unread_identifiers`."""
    found: dict[str, list[str]] = {}
    problems: list[str] = []
    tokens = [t for t in re.split(r"[\s,;]+", (text or "").strip()) if t]
    for position, token in enumerate(tokens, 1):
        kind, value = _read(token)
        if kind == "unread_identifiers":
            # the reason names the token by its place: a log keeps no identifier of the person
            problems.append(f"identifier {position} of {len(tokens)}: {value}")
            value = token
        values = found.setdefault(kind, [])
        if value not in values:
            values.append(value)
    return found, problems


def _read(token: str) -> tuple[str, str]:
    """(kind, value) of one token; for an unreadable one ("unread_identifiers", the reason)."""
    if token.startswith("@") and X_HANDLE.match(token[1:]):
        return "x_handles", token[1:].lower()
    if "://" in token or token.lower().split("/")[0].removeprefix("www.") in (
        _X_HOSTS | _FACEBOOK_HOSTS
    ):
        return _url(token if "://" in token else f"https://{token}")
    if EMAIL.match(token):
        return "emails", token.lower()
    if X_HANDLE.match(token) and not _DIGITS.match(token):
        return "x_handles", token.lower()
    return "unread_identifiers", ("not an X handle, a Facebook or X profile URL or an email")


def _url(token: str) -> tuple[str, str]:
    parts = urlsplit(token)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = [p for p in parts.path.split("/") if p]
    query = parse_qs(parts.query)
    if host in _X_HOSTS:
        if len(path) >= 3 and path[:2] == ["i", "user"] and _DIGITS.match(path[2]):
            return "x_ids", path[2]
        user_id = query.get("user_id", [""])[0]
        if path == ["intent", "user"] and _DIGITS.match(user_id):
            return "x_ids", user_id
        if path and path[0].lower() not in _X_RESERVED and X_HANDLE.match(path[0]):
            return "x_handles", path[0].lower()
    elif host in _FACEBOOK_HOSTS:
        profile_id = query.get("id", [""])[0]
        if path == ["profile.php"] and _DIGITS.match(profile_id):
            return "facebook_ids", profile_id
        if len(path) == 1 and _DIGITS.match(path[0]):
            return "facebook_ids", path[0]
        if len(path) == 3 and path[0] == "people" and _DIGITS.match(path[2]):
            return "facebook_ids", path[2]
        return "unread_identifiers", (
            "a Facebook profile URL is read by its numeric id"
            " (profile.php?id=..., /people/<name>/<id>); the Graph API gives no user names"
        )
    return "unread_identifiers", "not a Facebook or X profile URL"
