"""The X API v2 entities we read, declared (see `streams.Stream`), with the record builder of
each: Posts that mention a brand or that it wrote (recent or full-archive search; for our own
brand, the account's mentions and Posts timelines), their authors (an answer's
`includes.users`), and who follows the brands (and the authors).

Reposts are not mentions: search has returned none since 2026-05-04 (docs.x.com/changelog),
and an owned timeline's are skipped, so every brand's mentions are counted the same way,
whichever endpoint read them.

Users lookup gives handle, name, free-text location, description and public counts; no email.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from social_crm.extract.http import Page
from social_crm.extract.records import InvalidRecord, require_id
from social_crm.extract.streams import NEXT_TOKEN, PAGINATION_TOKEN, SINGLE, Include, Stream
from social_crm.load.landing import RawRecord

SOURCE = "x"
TWEET_FIELDS = (
    "created_at,lang,public_metrics,conversation_id,in_reply_to_user_id,referenced_tweets,author_id"
)
USER_FIELDS = "public_metrics,location,description"
# what every read of Posts asks for: their fields, and their authors (`includes.users`)
WITH_AUTHORS = {"expansions": "author_id", "tweet.fields": TWEET_FIELDS, "user.fields": USER_FIELDS}
FOLLOWERS_PAGE = 1000  # the endpoint's largest page


def parse_x_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidRecord(f"created_at is {type(value).__name__}, not a string")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRecord(f"created_at {value[:40]!r} is not ISO-8601") from None


def user_record(item: Any, scope: str = "") -> RawRecord:
    return RawRecord(require_id(item, numeric=True), item)


def tweet_record(item: Any, handle: str) -> RawRecord:
    tweet_id = require_id(item, numeric=True)
    created = parse_x_time(item.get("created_at"))
    if not isinstance(item.get("author_id"), str):
        raise InvalidRecord("missing 'author_id'")
    return RawRecord(tweet_id, {**item, "brand_handle": handle}, scope_key=handle, event_at=created)


def follow_record(follower: dict, followed_id: str) -> RawRecord:
    """A follow, from a follower the users stream has landed (its id is valid)."""
    return RawRecord(
        f"{followed_id}:{follower['id']}",
        {"followed_id": followed_id, "follower_id": follower["id"]},
        scope_key=followed_id,
    )


def included_users(body: dict) -> list:
    return (body.get("includes") or {}).get("users") or []


def is_repost(item: Any) -> bool:
    """Whether an answer's Post is a repost (`referenced_tweets` of type `retweeted`)."""
    refs = item.get("referenced_tweets") if isinstance(item, dict) else None
    return isinstance(refs, list) and any(
        isinstance(ref, dict) and ref.get("type") == "retweeted" for ref in refs
    )


def posts_not_reposts(page: Page) -> list:
    """The Posts of an answer that are no reposts (an item that is no object stays, for its
    builder to quarantine)."""
    return [item for item in page.items if not is_repost(item)]


USERS = Stream(
    SOURCE,
    "users",
    "users",
    user_record,
    params={"user.fields": USER_FIELDS},
    key="the account's id",
    scope="none",
    event_time="none",
    rewalk="landed again with every Post or follow that carries the account (new version "
    "when its counts or description changed)",
)

TWEETS = Stream(
    SOURCE,
    "tweets",
    "tweets/search/recent",
    tweet_record,
    params=WITH_AUTHORS,
    paging=NEXT_TOKEN,
    page_size_param="max_results",
    select=posts_not_reposts,
    includes=(Include(USERS.entity, included_users),),
    key="the Post's id",
    scope=(
        "the brand's handle whose search returned it (query `@handle OR from:handle`; for "
        "our own brand, its mentions and Posts timelines)"
    ),
    event_time="created_at",
    watermark=(
        "one per search (`search:<query>` in meta.watermarks): the newest Post up to which "
        "the search is proven complete (since_id and its time); moved only past a proven walk"
    ),
    completeness=(
        "the walk read back to the watermark's Post (pages are newest first and contiguous), "
        "or the counts endpoint (/2/tweets/counts/*) counts no more Posts in its window than "
        "it read; a walk shown short is resumed below its oldest Post (until_id)"
    ),
    rewalk=(
        "a Post is looked up again by id at ages recheck_hours, twice, four times ... that, "
        "within lookback_days; hours where the counts endpoint counts more than raw holds are "
        "walked again (the count audit, every count_audit_hours)"
    ),
    deletions=(
        "a lookup by id (GET /2/tweets?ids=, 100 at a time) lists it under `errors` as "
        "resource-not-found"
    ),
)
# with `full_archive` (pro tier and above): the same search over the whole archive
TWEETS_ARCHIVE = replace(TWEETS, path="tweets/search/all")

# our own brand's Posts, from its account's owned timelines (cheaper than search since
# 2026-04-20: docs.x.com/x-api/getting-started/pricing); same fields, builder and table.
# They reach only the account's 800 most recent mentions (3,200 own Posts): a walk the
# count shows short is resumed by search (docs/extraction.md)
MENTIONS = replace(
    TWEETS,
    path="users/{scope}/mentions",
    paging=PAGINATION_TOKEN,
    key="the Post's id (reposts skipped)",
    watermark="one per timeline (`timeline:users/<id>/mentions` in meta.watermarks)",
    completeness=(
        "the walk read back to the watermark's Post, or the counts endpoint counts no more "
        "Posts of search `@handle` in its window than it read; else resumed below its "
        "oldest Post, by the timeline, then by search (the 800-mention horizon)"
    ),
)
OWN_POSTS = replace(
    MENTIONS,
    path="users/{scope}/tweets",
    params={**WITH_AUTHORS, "exclude": "retweets"},
    watermark="one per timeline (`timeline:users/<id>/tweets` in meta.watermarks)",
    completeness=("as the mentions timeline, counted by search `from:handle` (3,200-Post horizon)"),
)

# Posts looked up by id (their re-check points), with their authors
TWEET_LOOKUP = replace(TWEETS, path="tweets", paging=SINGLE, page_size_param=None)

FOLLOWERS = Stream(
    SOURCE,
    "followers",
    "users/{scope}/followers",
    follow_record,
    params={"max_results": FOLLOWERS_PAGE, "user.fields": USER_FIELDS},
    paging=PAGINATION_TOKEN,
    key="followed id:follower id",
    scope="the followed account's id",
    event_time="none (the API gives a follow no time)",
    completeness=(
        "the walk returned as many followers as the account's public_metrics.followers_count"
    ),
    rewalk=(
        "an account's followers every follower_walk_days on average (each account its own "
        "period, between half and 1.5 times that)"
    ),
    deletions="missing from a walk proven complete by followers_count",
)

STREAMS = {s.entity: s for s in (USERS, TWEETS, FOLLOWERS)}
