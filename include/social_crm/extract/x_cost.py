"""What an X answer costs a pay-per-use project, by our own reading of the price list.

X charges per resource returned (docs.x.com/x-api/getting-started/pricing): a Post, a User, a
follower listed; a request to the Post counts endpoints; nothing for a failed request
(docs.x.com/x-api/fundamentals/post-cap, "Do failed requests count?"). Every resource the
answer returns is charged: `data` and the expansions under `includes` (the stricter reading:
the docs say "per resource returned in the response" and exempt none). The account's own
posts, mentions and followers (`/2/users/{id}/tweets|mentions|followers|following`, the Owned
Reads since 2026-04-20) cost the owned price only "when `{id}` matches the authenticated user and
that user is the owner of the developer app": `owned_ids` holds that account when the
connection carries its user token (extra `owner_user_id`, one of our brands, `brands.csv`
`is_ours`), and nothing for an app-only Bearer token, which authenticates no user; the
expansions of an owned answer are not owned.
A resource is charged once per UTC day (the de-duplication rule): `Charge.key` is what makes two
reads the same resource, and `x_budget.ReadBudget` keeps the keys charged today.

The simulator has its own price list (it is the platform; we are the client): the two are
checked against each other by the tests, never shared.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# /2/users/{id}/<edge>: the Owned Read endpoints (docs.x.com/x-api/getting-started/pricing)
OWNED_EDGES = frozenset(
    {
        "tweets",
        "mentions",
        "liked_tweets",
        "bookmarks",
        "followers",
        "following",
        "blocking",
        "muting",
        "owned_lists",
        "followed_lists",
        "list_memberships",
        "pinned_lists",
    }
)
POST_EDGES = frozenset({"tweets", "mentions", "liked_tweets", "bookmarks"})
FOLLOW_EDGES = frozenset({"followers", "following"})
# the most items a page of these serves, what a request without `max_results` may return
# (docs.x.com/x-api: search recent 100, full-archive 500, timelines 100, follows 1,000)
LARGEST_PAGE = {"recent": 100, "all": 500, "tweets": 100, "mentions": 100, "follows": 1000}


@dataclass(frozen=True)
class Charge:
    """One billable resource: its price name (`settings.X_PRICES_USD`) and the key that
    makes a second read of it the same day free (a digest: no identifier is kept)."""

    price: str
    key: bytes


def resource_key(kind: str, resource_id: str) -> bytes:
    return hashlib.sha256(f"{kind}:{resource_id}".encode()).digest()[:16]


def _segments(path: str) -> list[str]:
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    return parts[1:] if parts and parts[0].isdigit() else parts  # the version, "2"


def request_price(path: str) -> str | None:
    """The price name of a request charged per request (the Post counts), or None."""
    parts = _segments(path)
    if parts == ["tweets", "counts", "recent"]:
        return "counts_recent"
    if parts == ["tweets", "counts", "all"]:
        return "counts_all"
    return None


def charges(path: str, body: Mapping[str, Any], owned_ids: Collection[str]) -> Iterator[Charge]:
    """The resources a successful answer of `path` returns, each with its price name and
    de-duplication key; `owned_ids` are the accounts whose own data is an Owned Read."""
    parts = _segments(path)
    if not parts or request_price(path) or parts[0] == "usage":
        return
    data = body.get("data")
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    if len(parts) == 3 and parts[0] == "users" and parts[2] in OWNED_EDGES:
        owned = parts[1] in owned_ids
        if parts[2] in FOLLOW_EDGES:
            for item in _ids(items):
                key = resource_key(f"{parts[2]}:{parts[1]}", item)
                yield Charge("owned" if owned else "follower", key)
        elif parts[2] in POST_EDGES:
            for item in _ids(items):
                yield Charge("owned" if owned else "post", resource_key("post", item))
    elif parts[0] == "users":
        for item in _ids(items):
            yield Charge("user", resource_key("user", item))
    elif parts[0] == "tweets":
        for item in _ids(items):
            yield Charge("post", resource_key("post", item))
    includes = body.get("includes")
    if isinstance(includes, dict):
        for item in _ids(includes.get("users")):
            yield Charge("user", resource_key("user", item))
        for item in _ids(includes.get("tweets")):
            yield Charge("post", resource_key("post", item))


def _ids(items: Any) -> Iterator[str]:
    if not isinstance(items, list):
        return
    for item in items:
        if isinstance(item, dict) and item.get("id") is not None:
            yield str(item["id"])


def worst_charges(path: str, params: Mapping[str, Any], owned_ids: Collection[str]) -> Counter[str]:
    """The most a request of `path` with `params` may be charged, as resources by price name
    (`settings.X_PRICES_USD`): as many items as it asks for (`max_results`, the endpoint's
    largest page without it; the `ids` looked up; the one resource a path names), each new
    today, and each expansion one resource more an item (an author: a User; a referenced
    Post: a Post); a counts request, its price. What `charges` prices an answer by, ahead."""
    parts = _segments(path)
    worst: Counter[str] = Counter()
    if not parts or parts[0] == "usage":
        return worst
    if (per_request := request_price(path)) is not None:
        worst[per_request] += 1
        return worst
    ids = [i for i in str(params.get("ids") or "").split(",") if i]
    asked = params.get("max_results")
    if len(parts) == 3 and parts[0] == "users" and parts[2] in OWNED_EDGES:
        owned = parts[1] in owned_ids
        follows = parts[2] in FOLLOW_EDGES
        items = int(asked or LARGEST_PAGE["follows" if follows else "tweets"])
        kind = "follower" if follows else "post" if parts[2] in POST_EDGES else "user"
        worst["owned" if owned and kind != "user" else kind] += items
    elif parts[:2] == ["tweets", "search"]:
        items = int(asked or LARGEST_PAGE["all" if parts[2:] == ["all"] else "recent"])
        worst["post"] += items
    else:
        items = len(ids) or 1  # a lookup of `ids`, or the one Post or account a path names
        worst["post" if parts[0] == "tweets" else "user"] += items
    for expansion in str(params.get("expansions") or "").split(","):
        if expansion:
            worst["post" if expansion.split(".")[-1] == "id" else "user"] += items
    return worst
