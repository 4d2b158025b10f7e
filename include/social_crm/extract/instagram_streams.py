"""The Instagram entities we read (Instagram API with Facebook Login, on graph.facebook.com),
declared (see `streams.Stream`), with the record builder of each: our account and its daily
insights, our media with their insights, comments and replies, the media we are tagged in,
the media and comments that @mention us (announced by webhook), rivals' accounts and media
(business discovery) and the recent media of our campaign hashtags.

A record is the API's item as returned with the fields we ask, unchanged (a reply gains the
`media_id` of the walk that read it when the API gives no `media`). A builder refuses an
item that cannot be landed safely (no id, an id that is not a Graph id, a time that is not
Graph's format, a `from` without an id, a count that is not a number): it goes to
quarantine with the reason, as does an item holding a value the warehouse cannot store
(`records.unstorable`, asked of every platform's items in `records.land_or_quarantine`).

Who a person is on Instagram is their lower-cased username (docs/instagram.md): comments
give `username` and `from{id,username}`, others' media `username`; hashtag media and
mentioned comments name nobody.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from social_crm.extract.facebook_streams import parse_graph_time
from social_crm.extract.records import InvalidRecord, graph_id, require_id
from social_crm.extract.streams import GRAPH_CURSOR, SINGLE, Stream
from social_crm.load.landing import RawRecord

SOURCE = "instagram"

ACCOUNT_FIELDS = "id,username,name,followers_count,follows_count,media_count"
RIVAL_ACCOUNT_FIELDS = "id,username,name,followers_count,media_count"
MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,permalink,shortcode,timestamp,username,"
    "like_count,comments_count"
)
RIVAL_MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
)
TAGGED_MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,permalink,timestamp,username,like_count,"
    "comments_count"
)
MENTIONED_MEDIA_FIELDS = (
    "id,caption,media_type,permalink,timestamp,username,like_count,comments_count"
)
HASHTAG_MEDIA_FIELDS = "id,caption,media_type,permalink,timestamp,like_count,comments_count"
COMMENT_FIELDS = "id,text,timestamp,username,from{id,username},like_count,parent_id,hidden"
# a comment that @mentions us: the docs give no author field for it
MENTIONED_COMMENT_FIELDS = "id,text,timestamp,like_count,media{id,permalink,username}"

# where each kind of media lands (scope_key of raw.instagram_media)
OWN, RIVAL, TAGS, MENTIONS, HASHTAG = "own", "rival", "tags", "mentions", "hashtag"
MEDIA_TYPES = {"IMAGE", "VIDEO", "CAROUSEL_ALBUM"}
# a username: letters, digits, periods and underscores, at most 30 (help.instagram.com)
USERNAME = re.compile(r"\A[A-Za-z0-9._]{1,30}\Z")
# a campaign hashtag as the connection's `hashtags` extra gives it, without '#': letters
# (any script), digits and underscores, not digits only
HASHTAG_TEXT = re.compile(r"\A\w{1,100}\Z")

# how a missing own media item or comment is confirmed gone (instagram.InstagramExtractor)
BY_LOOKUP = (
    "a lookup by id (a batch request of 50 reads, with the account's Page token) answers that "
    "it does not exist (#100 subcode 33)"
)
BY_COUNT_AND_CHECKPOINTS = (
    "when the media's comments_count moved since the last walk, or the media passed one of "
    "its re-walk points (ages recheck_hours, twice, four times ... that, within lookback_days)"
)


# the walks that can find one media, in the order of what it means: a media found by several
# is kept under the first of them (instagram.InstagramExtractor._unclaimed)
SCOPE_RANK = (OWN, RIVAL, TAGS, MENTIONS, HASHTAG)


def scope_rank(scope: str) -> int:
    """Where a media landed under `scope` stands in SCOPE_RANK (an unknown kind last)."""
    kind = scope.partition(":")[0]
    return SCOPE_RANK.index(kind) if kind in SCOPE_RANK else len(SCOPE_RANK)


def media_scope(kind: str, key: str) -> str:
    """The scope of media of `kind` (own, rival, tags, mentions: an IG user id; hashtag: a
    hashtag)."""
    return f"{kind}:{key}"


def _count(item: dict, name: str) -> None:
    """A count field is an int when there (never a bool, text or a float)."""
    value = item.get(name)
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidRecord(f"'{name}' is {type(value).__name__} {str(value)[:20]!r}, not a count")


def _text(item: dict, name: str) -> None:
    value = item.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidRecord(f"'{name}' is a {type(value).__name__}, not text")


def _username(value: Any, what: str) -> str:
    if not isinstance(value, str) or not USERNAME.match(value):
        raise InvalidRecord(f"{what} {str(value)[:40]!r} is not an Instagram username")
    return value


def _object(item: Any) -> dict:
    if not isinstance(item, dict):
        raise InvalidRecord(f"item is a {type(item).__name__}, not an object")
    return item


def account_builder(day: date) -> Callable[[Any, str], RawRecord]:
    """The builder of an account's snapshot on `day` (the UTC date of the API's `Date`
    header): key `<ig user id>:<day>`, scope the account's id."""

    def account_record(item: Any, scope: str = "") -> RawRecord:
        item = _object(item)
        account_id = require_id(item)
        _username(item.get("username"), "'username'")
        for name in ("followers_count", "follows_count", "media_count"):
            _count(item, name)
        _text(item, "name")
        return RawRecord(f"{account_id}:{day.isoformat()}", item, scope_key=account_id)

    return account_record


def media_record(item: Any, scope: str) -> RawRecord:
    """A media item: our own, a rival's, one we are tagged or @mentioned in, or a hashtag's;
    `scope` says which (`own:<ig user id>`, `hashtag:<tag>` ...)."""
    item = _object(item)
    media_id = require_id(item)
    created = parse_graph_time(item.get("timestamp"))
    kind = item.get("media_type")
    if kind is not None and (not isinstance(kind, str) or kind not in MEDIA_TYPES):
        raise InvalidRecord(f"unknown media_type {str(kind)[:20]!r}")
    for name in ("like_count", "comments_count"):
        _count(item, name)
    for name in ("caption", "permalink", "media_product_type", "shortcode"):
        _text(item, name)
    if item.get("username") is not None:
        _username(item["username"], "'username'")
    return RawRecord(media_id, item, scope_key=scope, event_at=created)


def comment_record(item: Any, media_id: str) -> RawRecord:
    """A comment or reply on one of our media (scope: the media's id). A reply the API gives
    without `media` gains `media_id`: the walk's media."""
    item = _object(item)
    comment_id = require_id(item)
    created = parse_graph_time(item.get("timestamp"))
    _text(item, "text")
    _count(item, "like_count")
    if item.get("username") is not None:
        _username(item["username"], "'username'")
    author = item.get("from")
    if author is not None:
        if not isinstance(author, dict) or not author.get("id"):
            raise InvalidRecord("comment with a 'from' that has no 'id'")
        graph_id(author["id"], "'from.id'")
        if author.get("username") is not None:
            _username(author["username"], "'from.username'")
    parent = item.get("parent_id")
    if parent is not None:
        graph_id(parent, "'parent_id'")
    hidden = item.get("hidden")
    if hidden is not None and not isinstance(hidden, bool):
        raise InvalidRecord(f"'hidden' is a {type(hidden).__name__}, not true or false")
    payload = item
    if parent is not None and "media" not in item:
        payload = {**item, "media_id": graph_id(media_id, "the walk's media id")}
    return RawRecord(comment_id, payload, scope_key=media_id, event_at=created)


def mentioned_comment_record(item: Any, scope: str) -> RawRecord:
    """A comment that @mentions our account (`mentions:<ig user id>`): no author (the API
    gives none); its media as the API gives it."""
    item = _object(item)
    comment_id = require_id(item)
    created = parse_graph_time(item.get("timestamp"))
    _text(item, "text")
    _count(item, "like_count")
    media = item.get("media")
    if media is not None:
        if not isinstance(media, dict):
            raise InvalidRecord("'media' is not an object")
        graph_id(media.get("id"), "'media.id'")
        if media.get("username") is not None:
            _username(media["username"], "'media.username'")
    return RawRecord(comment_id, item, scope_key=scope, event_at=created)


def _value(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRecord(f"insights value is {type(value).__name__}, not a number")
    return value


def account_insight_record(item: Any, scope: str = "") -> RawRecord:
    """One day's value of one account metric, flattened by the extractor to
    {ig_user_id, metric, day, value}: key `<ig user id>:<metric>:<day>`."""
    item = _object(item)
    account_id = graph_id(item.get("ig_user_id"), "'ig_user_id'")
    metric = item.get("metric")
    if not isinstance(metric, str) or not re.fullmatch(r"[a-z_]{1,60}", metric):
        raise InvalidRecord(f"insights metric {str(metric)[:40]!r} is not a metric name")
    _value(item.get("value"))
    day = _day(item.get("day"))
    at = datetime.fromisoformat(f"{day}T00:00:00+00:00")
    return RawRecord(f"{account_id}:{metric}:{day}", item, scope_key=account_id, event_at=at)


def media_insight_record(item: Any, scope: str = "") -> RawRecord:
    """One media metric's lifetime value as read on a day, flattened by the extractor to
    {media_id, metric, day, value, media_product_type}: key `<media id>:<metric>:<day>`."""
    item = _object(item)
    media_id = graph_id(item.get("media_id"), "'media_id'")
    metric = item.get("metric")
    if not isinstance(metric, str) or not re.fullmatch(r"[a-z_]{1,60}", metric):
        raise InvalidRecord(f"insights metric {str(metric)[:40]!r} is not a metric name")
    _value(item.get("value"))
    day = _day(item.get("day"))
    at = datetime.fromisoformat(f"{day}T00:00:00+00:00")
    return RawRecord(f"{media_id}:{metric}:{day}", item, scope_key=media_id, event_at=at)


def _day(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise InvalidRecord(f"day {str(value)[:20]!r} is not YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise InvalidRecord(f"day {value!r} is not a date") from None
    return value


ACCOUNTS = Stream(
    SOURCE,
    "accounts",
    "{scope}",
    account_builder(date(1970, 1, 1)),  # the extractor gives each run's day (account_builder)
    params={"fields": ACCOUNT_FIELDS},
    paging=SINGLE,
    key="ig user id:the UTC date of the API's Date header (one snapshot a day)",
    scope="the account's IG user id",
    event_time="the API's answer (its Date header): the counts are the API's at that moment",
    rewalk="every run: one request per account (a rival's comes with its business discovery)",
)

ACCOUNT_INSIGHTS = Stream(
    SOURCE,
    "account_insights",
    "{scope}/insights",
    account_insight_record,
    params={"period": "day"},
    paging=SINGLE,
    key="ig user id:metric:day",
    scope="our account's IG user id",
    event_time="the day's start (UTC)",
    watermark=(
        "one per account (`account_insights:<ig user id>` in meta.watermarks), last_event_at: "
        "the newest day landed; a run reads from two days before it (Meta revises values for "
        "48 hours) to yesterday, one request a day for the total_value metrics and one for "
        "follower_count; an account without one reads from lookback_days back (at most 30)"
    ),
    watermark_per_scope=True,
    rewalk="the last two days again, every run",
)

MEDIA = Stream(
    SOURCE,
    "media",
    "{scope}/media",
    media_record,
    params={"fields": MEDIA_FIELDS},
    paging=GRAPH_CURSOR,
    page_size_param="limit",
    key="the media's id",
    scope="own:<ig user id>",
    event_time="timestamp",
    watermark=(
        "one per account (`media:<ig user id>`), last_event_at: the newest media landed by a "
        "walk that ended; a run lists newest first down to lookback_days before it; an "
        "account without one is listed whole"
    ),
    watermark_per_scope=True,
    completeness="the listing reached the window's start (or its end) and every item parsed",
    rewalk="every run, the whole look-back window (one request per page of media)",
    deletions=BY_LOOKUP,
)

COMMENTS = Stream(
    SOURCE,
    "comments",
    "{parent}/comments",
    comment_record,
    params={"fields": COMMENT_FIELDS},
    paging=GRAPH_CURSOR,
    page_size_param="limit",
    parent="media",
    counted_by="comments_count",
    key="the comment's id",
    scope="its media's id",
    event_time="timestamp",
    watermark=(
        "per media, in meta.instagram_media_activity: the comments_count and time of the "
        "last complete walk"
    ),
    completeness=(
        "the walk of the media's top-level comments and of every one's replies ended, every "
        "comment parsed"
    ),
    rewalk=BY_COUNT_AND_CHECKPOINTS,
    deletions=BY_LOOKUP + "; and with its media",
    gone_with_parent=True,
)

REPLIES = Stream(
    SOURCE,
    "comments",
    "{parent}/replies",
    comment_record,
    params={"fields": COMMENT_FIELDS},
    paging=GRAPH_CURSOR,
    page_size_param="limit",
    # under a top-level comment ({parent}), which gives no count of its replies: walked with
    # every walk of its media's comments
    key="the reply's id",
    scope="its media's id (the payload gains media_id)",
    event_time="timestamp",
    watermark="with its media's comments",
    completeness=COMMENTS.completeness,
    rewalk="with its media's comments: every top-level comment's replies are walked",
    deletions=BY_LOOKUP + "; and with its media",
    gone_with_parent=True,
)

TAGGED = Stream(
    SOURCE,
    "media",
    "{scope}/tags",
    media_record,
    params={"fields": TAGGED_MEDIA_FIELDS},
    paging=GRAPH_CURSOR,
    page_size_param="limit",
    key="the media's id",
    scope="tags:<ig user id>",
    event_time="timestamp",
    completeness="the listing ended and every item parsed",
    rewalk="every run, newest first down to lookback_days before the newest tagged media seen",
    deletions="never: a media that no longer tags us is someone else's to delete",
)

MENTIONED_MEDIA = Stream(
    SOURCE,
    "media",
    "{scope}",
    media_record,
    paging=SINGLE,
    select=lambda page: [page.body.get("mentioned_media")],
    key="the media's id",
    scope="mentions:<ig user id>",
    event_time="timestamp",
    watermark=(
        "the webhook `mentions` changes read, in meta.webhook_changes_read (each read once)"
    ),
    rewalk="never: read once, when its webhook change is",
    deletions="never: someone else's media",
)

MENTIONED_COMMENTS = Stream(
    SOURCE,
    "comments",
    "{scope}",
    mentioned_comment_record,
    paging=SINGLE,
    select=lambda page: [page.body.get("mentioned_comment")],
    key="the comment's id",
    scope="mentions:<ig user id>",
    event_time="timestamp",
    watermark=MENTIONED_MEDIA.watermark,
    rewalk="never: read once, when its webhook change is",
    deletions="never: a comment on someone else's media",
)

RIVALS = Stream(
    SOURCE,
    "media",
    "{scope}",
    media_record,
    paging=SINGLE,
    select=lambda page: list(
        ((page.body.get("business_discovery") or {}).get("media") or {}).get("data") or []
    ),
    key="the media's id",
    scope="rival:<rival's ig user id>",
    event_time="timestamp",
    completeness="never proven (business discovery reads a page at a time, newest first)",
    rewalk="every run, newest first down to lookback_days before now",
    deletions="never: another account's media cannot be looked up by id",
)

HASHTAG_MEDIA = Stream(
    SOURCE,
    "media",
    "{parent}/recent_media",
    media_record,
    params={"fields": HASHTAG_MEDIA_FIELDS},
    paging=GRAPH_CURSOR,
    page_size_param="limit",
    key="the media's id",
    scope="hashtag:<tag>",
    event_time="timestamp",
    watermark=(
        "none: the API serves the last 24 hours; every query is counted in "
        "meta.instagram_hashtag_queries (30 unique hashtags per account per rolling 7 days)"
    ),
    rewalk="every run, the hashtags the 7-day limit allows",
    deletions="never: someone else's media",
)

MEDIA_INSIGHTS = Stream(
    SOURCE,
    "media_insights",
    "{parent}/insights",
    media_insight_record,
    paging=SINGLE,
    # under one of our media ({parent}); read for every media of the look-back window, so
    # no count decides it
    key="media id:metric:day (the UTC date of the read)",
    scope="the media's id",
    event_time="the day's start (UTC)",
    rewalk="once a UTC day, for our media of the look-back window (lifetime values)",
)

# every entity of the source, by name (a walk's name: REPLIES, TAGGED ... land in the tables
# of `media` and `comments`)
STREAMS = {
    "accounts": ACCOUNTS,
    "account_insights": ACCOUNT_INSIGHTS,
    "media": MEDIA,
    "comments": COMMENTS,
    "replies": REPLIES,
    "tagged": TAGGED,
    "mentioned_media": MENTIONED_MEDIA,
    "mentioned_comments": MENTIONED_COMMENTS,
    "rival_media": RIVALS,
    "hashtag_media": HASHTAG_MEDIA,
    "media_insights": MEDIA_INSIGHTS,
}
