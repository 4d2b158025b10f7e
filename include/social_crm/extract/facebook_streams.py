"""The Facebook Graph API entities we read, declared (see `streams.Stream`), with the record
builder of each: what a Page token of our Page reads of its posts, visitor posts, comments
(with replies), reactions, insights, the Page itself and the people who engaged.

A Page token reads `id` and `name` of the people who engage with the Page's content, nothing
more (developers.facebook.com/docs/graph-api/reference/user: email, location and the rest need
the person's own login); we ask for no more than that.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from social_crm.extract import graph_metrics
from social_crm.extract.records import InvalidRecord, graph_id, require_id
from social_crm.extract.streams import GRAPH_CURSOR, SINGLE, Stream
from social_crm.load.landing import RawRecord

SOURCE = "facebook"
REACTION_TYPES = {"LIKE", "LOVE", "HAHA", "WOW", "SAD", "ANGRY", "CARE", "THANKFUL", "PRIDE"}
PROFILE_FIELDS = "id,name"  # all a Page token may read of the people who engage
POST_FIELDS = "id,message,created_time,updated_time,from"
COMMENT_FIELDS = "id,message,created_time,from,parent"

# how a missing post or comment is confirmed gone (facebook.FacebookExtractor._gone_nodes)
BY_LOOKUP = (
    "a lookup by id (a batch request of 50 reads) answers that it does not exist (#100 subcode 33)"
)
# when a post's comments and reactions are read again (recheck.needs_walk)
BY_COUNT_AND_CHECKPOINTS = (
    "when the count its post's listing reports moved since the last walk, or the post passed "
    "one of its re-walk points (ages recheck_hours, twice, four times ... that, within "
    "lookback_days)"
)


def parse_graph_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidRecord(f"timestamp is {type(value).__name__}, not a string")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        raise InvalidRecord(f"timestamp {value[:40]!r} is not ISO-8601 (Graph format)") from None


def author_id(item: dict) -> str:
    author = item.get("from")
    return str(author.get("id")) if isinstance(author, dict) else ""


def page_record(item: Any, page_id: str) -> RawRecord:
    """A Page's snapshot (its counts today): keyed and scoped by the Page's id."""
    return RawRecord(require_id(item), item, scope_key=require_id(item))


def post_record(item: Any, page_id: str) -> RawRecord:
    post_id = require_id(item)
    created = parse_graph_time(item.get("created_time"))
    return RawRecord(post_id, {**item, "page_id": page_id}, scope_key=page_id, event_at=created)


def comment_record(item: Any, post_id: str) -> RawRecord:
    comment_id = require_id(item)
    created = parse_graph_time(item.get("created_time"))
    # `from` comes only with the owning Page's token (developers.facebook.com/docs/graph-api/
    # reference/comment): a comment without it lands with its author unknown; a `from` that
    # is there but names no Graph id is malformed
    author = item.get("from")
    if author is not None:
        if not isinstance(author, dict) or not author.get("id"):
            raise InvalidRecord("comment with a 'from' that has no 'id'")
        graph_id(author["id"], "'from.id'")
    return RawRecord(comment_id, {**item, "post_id": post_id}, scope_key=post_id, event_at=created)


def reaction_record(item: Any, post_id: str) -> RawRecord:
    user_id = require_id(item)
    kind = item.get("type")
    if kind not in REACTION_TYPES:
        raise InvalidRecord(f"unknown reaction type {str(kind)[:20]!r}")
    payload = {"post_id": post_id, "user_id": user_id, "name": item.get("name"), "type": kind}
    return RawRecord(f"{post_id}:{user_id}", payload, scope_key=post_id)


def insight_record(item: dict, page_id: str = "") -> RawRecord:
    """One value of one metric of a Page's insights, flattened by the extractor to
    {page_id, metric, value, end_time}."""
    if item["metric"] not in graph_metrics.BY_NAME:
        raise InvalidRecord(f"unexpected insights metric {str(item['metric'])[:40]!r}")
    if not isinstance(item["value"], int):
        raise InvalidRecord(f"insights value is {type(item['value']).__name__}, not a number")
    end = parse_graph_time(item["end_time"])
    key = f"{item['page_id']}:{item['metric']}:{item['end_time']}"
    return RawRecord(key, item, scope_key=item["page_id"], event_at=end)


def user_record(item: Any, scope: str = "") -> RawRecord:
    return RawRecord(require_id(item), item)


PAGE_SNAPSHOTS = Stream(
    SOURCE,
    "page_snapshots",
    "{scope}",
    page_record,
    params={"fields": "id,name,fan_count,followers_count"},
    paging=SINGLE,
    key="the Page's id",
    scope="the Page's id",
    event_time="the API's answer (its Date header): the counts are the API's at that moment",
    rewalk="every run: one request per Page",
)

PAGE_INSIGHTS = Stream(
    SOURCE,
    "page_insights",
    "{scope}/insights",
    insight_record,
    params={"period": "day"},
    paging=SINGLE,
    key="page id:metric:end_time",
    scope="the Page's id",
    event_time="end_time of the day's value",
    watermark=(
        "one per Page (`page_insights:<page id>` in meta.watermarks), last_event_at: the "
        "newest day landed; the next run asks from two days before; a Page without one asks "
        "for its whole history"
    ),
    watermark_per_scope=True,
    rewalk="the last two days again, every run (Meta revises recent values)",
)

POSTS = Stream(
    SOURCE,
    "posts",
    "{scope}/posts",
    post_record,
    params={"fields": POST_FIELDS},
    paging=GRAPH_CURSOR,
    page_size_param="limit",
    key="the post's id",
    scope="the Page's id",
    event_time="created_time",
    watermark=(
        "one per Page (`posts:<page id>`, `visitor_posts:<page id>` in meta.watermarks), "
        "last_event_at: the newest post landed by a walk of the Page that ended; a run lists "
        "the posts created since lookback_days before it; a Page without one is listed whole"
    ),
    watermark_per_scope=True,
    completeness="the listing of the window ended and every post in it parsed",
    rewalk="every run, the whole look-back window (one request per page of posts)",
    deletions=BY_LOOKUP,
)

# New Pages Experience Pages refuse /visitor_posts: visitor posts come from the feed, which
# mixes in the Page's own posts (the extractor skips those: they land from /posts)
VISITOR_POSTS = Stream(
    SOURCE,
    "visitor_posts",
    "{scope}/feed",
    post_record,
    params=POSTS.params,
    paging=GRAPH_CURSOR,
    page_size_param="limit",
    key=POSTS.key,
    scope=POSTS.scope,
    event_time=POSTS.event_time,
    watermark=POSTS.watermark,
    watermark_per_scope=True,
    completeness=POSTS.completeness,
    rewalk=POSTS.rewalk,
    deletions=BY_LOOKUP,
)

COMMENTS = Stream(
    SOURCE,
    "comments",
    "{parent}/comments",
    comment_record,
    # every level, in time order: the order `order=reverse_chronological` applies to
    params={"filter": "stream", "fields": COMMENT_FIELDS},
    paging=GRAPH_CURSOR,
    page_size_param="limit",
    parent="posts",
    counted_by="comments.filter(stream).limit(0).summary(true)",
    key="the comment's id",
    scope="its post's id",
    event_time="created_time",
    watermark=(
        "per post, in meta.facebook_post_activity: the count and newest comment the last "
        "walk saw; when only the count went up, comments are read newest first down to it"
    ),
    completeness="the walk of all of a post's comments ended and every comment parsed",
    rewalk=BY_COUNT_AND_CHECKPOINTS,
    deletions=BY_LOOKUP + "; and with its post",
    gone_with_parent=True,
)

REACTIONS = Stream(
    SOURCE,
    "reactions",
    "{parent}/reactions",
    reaction_record,
    params={"summary": "total_count"},
    paging=GRAPH_CURSOR,
    page_size_param="limit",
    parent="posts",
    counted_by="reactions.limit(0).summary(total_count)",
    key="post id:user id (a reaction has no id of its own)",
    scope="its post's id",
    event_time="none (the API gives a reaction no time)",
    watermark="per post, in meta.facebook_post_activity: the count the last walk saw",
    completeness=(
        "the walk returned as many distinct people as the first page's summary.total_count"
    ),
    rewalk=BY_COUNT_AND_CHECKPOINTS,
    deletions=(
        "a second walk of its post's reactions, complete by summary.total_count, does not "
        "return it either; or its post is gone"
    ),
    gone_with_parent=True,
)

USERS = Stream(
    SOURCE,
    "users",
    "",
    user_record,
    params={"fields": PROFILE_FIELDS},
    paging=SINGLE,
    key="the person's id (app-scoped)",
    scope="none",
    rewalk="never: a person is looked up once (batch requests of 50 reads), when first seen",
)

# every entity of the source, by name: what a walk of a parent finds its children in
STREAMS = {
    s.entity: s
    for s in (PAGE_SNAPSHOTS, PAGE_INSIGHTS, POSTS, VISITOR_POSTS, COMMENTS, REACTIONS, USERS)
}
