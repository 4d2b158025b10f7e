"""What an erasure request names as the person's own, besides the customer id: X handles,
Instagram usernames, profile URLs and emails (the erasure request file's optional
`identifiers` column, separated by spaces, commas or semicolons), in the forms people copy them
in: any case of host and path, Facebook's mobile and basic hosts (m., mbasic., touch.), its
app-scoped profile URL, X's `/@handle` and intent URLs (`?screen_name=`, `?user_id=`),
Instagram's profile URLs (instagram.com/<username>, its stories, `_u/` and instagr.am links),
percent-encoding, full-width and other compatibility characters (NFKC), `mailto:` links and
addresses in angle brackets.

A profile named here is erased with the customer whether or not identity resolution links it
(int_excluded_profiles), unless it is not theirs: a tracked brand's own account, or one the CRM
knows as another customer's (privacy/erasure.py). An email named here is erased where it
appears (quarantined rows, the CRM drop folder's files). A token that is none of these (a
date, a note) never stops the request: it lands with the rest, kept as a token, and is logged;
it erases nothing, as it names no one the pipeline can tell (a word of every log line would
erase every line holding it).

A name written alone or after `@` says no platform: it is read as an X handle and as an
Instagram username, each where it fits that platform's rule (rules.HANDLES), since privacy errs
on the person's side (a name with a period or over 15 characters is Instagram's alone). A bare
word is read as a username only when it has a letter (`05.12.2026` is a date).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qs, unquote, urlsplit

from social_crm.quality.rules import EMAIL, INSTAGRAM_USERNAME, X_HANDLE

_DIGITS = re.compile(r"\A[0-9]{1,40}\Z")  # a Facebook or X account id
_X_HOSTS = {"x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com"}
# Facebook's hosts: the site, its mobile and basic sites (m., mbasic., touch.), web., fb.com
_FACEBOOK_HOSTS = {
    "facebook.com",
    "m.facebook.com",
    "mbasic.facebook.com",
    "touch.facebook.com",
    "web.facebook.com",
    "fb.com",
    "m.fb.com",
}
# what a mail client wraps an address in: `mailto:` (and its query), angle brackets
_MAILTO = re.compile(r"\A(?i:mailto:)([^?]*)(?:\?.*)?\Z")
# Instagram's hosts: the site, its mobile site, its short links
_INSTAGRAM_HOSTS = {"instagram.com", "m.instagram.com", "instagr.am"}
# paths of instagram.com that are not a user's username (its pages: posts, reels, settings)
INSTAGRAM_RESERVED_PATHS = {
    "p",
    "reel",
    "reels",
    "tv",
    "explore",
    "accounts",
    "direct",
    "about",
    "developer",
    "legal",
    "web",
    "api",
    "challenge",
    "stories",
    "_u",
    "_n",
}
# paths of x.com that are not a user's handle
X_RESERVED_PATHS = {"i", "home", "search", "intent", "hashtag", "settings", "explore", "messages"}
# what a request's payload holds of them, each a list (a key only when it has values)
KINDS = (
    "facebook_ids",
    "x_ids",
    "x_handles",
    "instagram_usernames",
    "emails",
    "unread_identifiers",
)
_LETTER = re.compile(r"[A-Za-z]")


def identifiers(text: str | None) -> tuple[dict[str, list[str]], list[str]]:
    """The accounts and emails `text` names, by kind (KINDS; handles and emails in lower
    case, each once, in order), and a reason for each token none of them, naming it by its
    place, not its text: such a token is still kept, under `unread_identifiers`."""
    found: dict[str, list[str]] = {}
    problems: list[str] = []
    tokens = [t for t in re.split(r"[\s,;]+", (text or "").strip()) if t]
    for position, token in enumerate(tokens, 1):
        for kind, value in _read(token):
            if kind == "unread_identifiers":
                # the reason names the token by its place: a log keeps no identifier of them
                problems.append(f"identifier {position} of {len(tokens)}: {value}")
                value = token
            values = found.setdefault(kind, [])
            if value not in values:
                values.append(value)
    return found, problems


def _names(name: str, bare: bool) -> list[tuple[str, str]]:
    """A name written without a platform (after `@`, or `bare`): an X handle and an Instagram
    username, each where it fits the platform's rule; [] when it fits neither."""
    read = []
    if X_HANDLE.match(name) and not (bare and _DIGITS.match(name)):
        read.append(("x_handles", name.lower()))
    if INSTAGRAM_USERNAME.match(name) and not (bare and not _LETTER.search(name)):
        read.append(("instagram_usernames", name.lower()))
    return read


def _read(token: str) -> list[tuple[str, str]]:
    """The (kind, value) pairs of one token (two for a name both an X handle and an
    Instagram username); for an unreadable one [("unread_identifiers", the reason)]. Read as
    people copy it from a browser or a mail client: compatibility characters as their plain
    form (NFKC: a full-width handle), percent-encoding decoded, hosts and paths in any case,
    `mailto:` and angle brackets around an email."""
    plain = _plain(token)
    if plain.startswith("@") and (named := _names(plain[1:], bare=False)):
        return named
    host = plain.lower().split("/")[0].split("?")[0]
    if "://" in plain or _host(host) is not None:
        try:
            return [_url(plain if "://" in plain else f"https://{plain}")]
        except ValueError:  # not a URL urlsplit can read (a bracket, a port out of range)
            return [("unread_identifiers", "not a Facebook, X or Instagram profile URL")]
    mailto = _MAILTO.match(plain)
    email = mailto.group(1) if mailto else plain
    if email.startswith("<") and email.endswith(">"):
        email = email[1:-1]
    if EMAIL.match(email):
        return [("emails", email.lower())]
    return _names(plain, bare=True) or [
        (
            "unread_identifiers",
            "not an X handle, an Instagram username, a Facebook, X or Instagram profile URL"
            " or an email",
        )
    ]


def _plain(token: str) -> str:
    """A token's plain text: NFKC, then percent-decoded until it no longer changes (at most
    a few rounds: a twice-encoded link)."""
    text = unicodedata.normalize("NFKC", token)
    for _ in range(3):
        decoded = unquote(text)
        if decoded == text:
            break
        text = unicodedata.normalize("NFKC", decoded)
    return text.strip()


def _host(host: str) -> str | None:
    """ "x", "facebook" or "instagram" for a host of theirs (any case, `www.` or a mobile
    host), else None."""
    host = host.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if host in _X_HOSTS:
        return "x"
    if host in _FACEBOOK_HOSTS:
        return "facebook"
    if host in _INSTAGRAM_HOSTS:
        return "instagram"
    return None


def _url(token: str) -> tuple[str, str]:
    parts = urlsplit(token)
    platform = _host(parts.hostname or "")
    path = [p for p in parts.path.split("/") if p]
    lower = [p.lower() for p in path]
    query = {k.lower(): v for k, v in parse_qs(parts.query).items()}
    if platform == "x":
        if len(path) >= 3 and lower[:2] == ["i", "user"] and _DIGITS.match(path[2]):
            return "x_ids", path[2]
        user_id = query.get("user_id", [""])[0]
        if lower[:1] == ["intent"] and _DIGITS.match(user_id):
            return "x_ids", user_id
        screen_name = query.get("screen_name", [""])[0].removeprefix("@")
        if lower[:1] == ["intent"] and X_HANDLE.match(screen_name):
            return "x_handles", screen_name.lower()
        handle = path[0].removeprefix("@") if path else ""
        if handle and handle.lower() not in X_RESERVED_PATHS and X_HANDLE.match(handle):
            return "x_handles", handle.lower()
    elif platform == "facebook":
        profile_id = query.get("id", [""])[0]
        if lower == ["profile.php"] and _DIGITS.match(profile_id):
            return "facebook_ids", profile_id
        if len(path) == 1 and _DIGITS.match(path[0]):
            return "facebook_ids", path[0]
        if len(path) == 3 and lower[0] == "people" and _DIGITS.match(path[2]):
            return "facebook_ids", path[2]
        if len(path) == 2 and lower[0] == "app_scoped_user_id" and _DIGITS.match(path[1]):
            return "facebook_ids", path[1]
        return "unread_identifiers", (
            "a Facebook profile URL is read by its numeric id (profile.php?id=...,"
            " /people/<name>/<id>, /app_scoped_user_id/<id>/); the Graph API gives no user names"
        )
    elif platform == "instagram":
        # a story's or an app link's path names the user after its first part
        if len(path) >= 2 and lower[0] in ("stories", "_u"):
            path, lower = path[1:], lower[1:]
        username = path[0].removeprefix("@") if path else ""
        if (
            username
            and username.lower() not in INSTAGRAM_RESERVED_PATHS
            and INSTAGRAM_USERNAME.match(username)
        ):
            return "instagram_usernames", username.lower()
    return "unread_identifiers", "not a Facebook, X or Instagram profile URL"
