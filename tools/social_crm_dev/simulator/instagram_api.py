"""Instagram API with Facebook Login over the world, served at the Graph base URL
(`/v27.0/...`): our IG User, its `/media`, `/tags`, `/insights`, field expansions
`business_discovery`, `mentioned_media`, `mentioned_comment`; a media's `/comments` and
`/insights`; a comment's `/replies`; `ig_hashtag_search` and a hashtag's `/recent_media`.
Sources are cited in docs/real-apis.md (Instagram table); where the docs leave a doubt the
simulator is the stricter. In short:

- Tokens: the brand's user token with the Instagram permissions, or the Page token of the Page
  our IG User is linked to. Any other token (another Page's) cannot load our account (100/33).
  A missing permission answers (#10) (instagram_basic, instagram_manage_insights,
  pages_read_engagement, pages_show_list) or (#200) (instagram_manage_comments).
- A rival's account is read through business discovery only: its id asked directly is an
  object that does not exist for us (100/33). Business discovery pages its media with
  `.after(<cursor>)` only: its `paging` has cursors, no `next` URL.
- Listings page with cursors (`paging.cursors.before/after`, `paging.next`); `limit` above a
  listing's maximum is cut to it (MAX_LIMITS), as Graph does.
- Media insights: the metrics valid for the media's product type only (FEED: views, reach,
  saved, total_interactions; REELS: also likes, comments, shares); `impressions`, `plays`,
  `video_views` are retired; either fails the whole request with (#100).
- Account insights: today's metrics; all but `reach` and `follower_count` need
  `metric_type=total_value`; `follower_count` is a day series of the last 30 days only; a
  window is at most 30 days.
- Hashtags: 30 unique per rolling 7 days per account (the 31st refused); `recent_media` gives
  the last 24 hours of any public media with the hashtag (business accounts' too), no
  `username`.
- Deleted media and comments vanish from listings; looked up, they answer 100/33.
- Every answer carries `X-Business-Use-Case-Usage` for our IG User; past the account's call
  limit in a world hour, (#80002) until the next hour.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from social_crm_dev.simulator import pagination
from social_crm_dev.simulator.activity import Message
from social_crm_dev.simulator.config import BRANDS, DAY, OUR_BRAND
from social_crm_dev.simulator.graph_api import GraphApi, Viewer, _missing, graph_error, graph_time
from social_crm_dev.simulator.instagram import IgMedia, hashtag_id
from social_crm_dev.simulator.responses import ApiError, Response, parse_time

IG_PERMISSIONS = frozenset(
    {
        "instagram_basic",
        "instagram_manage_comments",
        "instagram_manage_insights",
        "pages_read_engagement",
        "pages_show_list",
    }
)
DEFAULT_LIMIT = 25
MAX_LIMITS = {"media": 100, "tags": 100, "comments": 50, "replies": 50, "recent_media": 50}
DISCOVERY_MAX_LIMIT = 50
HASHTAGS_PER_WEEK = 30
HASHTAG_WINDOW = 7 * DAY
# hashtags Meta deems sensitive or offensive: their search answers "a generic error"
# (the ig-hashtag-search reference; which ones is Meta's choice: these are ours)
SENSITIVE_HASHTAGS = frozenset({"nsfw", "sexy", "hate"})
RECENT_MEDIA_WINDOW = DAY
FOLLOWER_COUNT_DAYS = 30
INSIGHTS_MAX_DAYS = 30
CALLS_PER_HOUR = 4800  # our account's BUC limit per world hour (tests lower it)

USER_FIELDS = frozenset(
    {
        "id",
        "ig_id",
        "username",
        "name",
        "biography",
        "website",
        "profile_picture_url",
        "followers_count",
        "follows_count",
        "media_count",
    }
)
USER_EXPANSIONS = frozenset({"business_discovery", "mentioned_media", "mentioned_comment"})
MEDIA_FIELDS = frozenset(
    {
        "id",
        "caption",
        "media_type",
        "media_product_type",
        "permalink",
        "shortcode",
        "timestamp",
        "username",
        "like_count",
        "comments_count",
        "is_comment_enabled",
        "owner",
    }
)
DISCOVERY_MEDIA_FIELDS = MEDIA_FIELDS - {"owner", "shortcode", "is_comment_enabled"}
HASHTAG_MEDIA_FIELDS = frozenset(
    {"id", "caption", "media_type", "permalink", "timestamp", "like_count", "comments_count"}
)
COMMENT_FIELDS = frozenset(
    {"id", "text", "timestamp", "username", "from", "like_count", "parent_id", "hidden", "media"}
)
MENTIONED_COMMENT_FIELDS = frozenset({"id", "text", "timestamp", "like_count", "media"})
DISCOVERY_FIELDS = frozenset(
    {"id", "username", "name", "biography", "followers_count", "follows_count", "media_count"}
)
MEDIA_METRICS = {
    "FEED": frozenset({"views", "reach", "saved", "total_interactions"}),
    "REELS": frozenset(
        {"views", "reach", "saved", "total_interactions", "likes", "comments", "shares"}
    ),
}
RETIRED_MEDIA_METRICS = frozenset(
    {"impressions", "plays", "video_views", "clips_replays_count", "engagement"}
)
ACCOUNT_TOTAL_METRICS = frozenset(
    {
        "views",
        "reach",
        "accounts_engaged",
        "total_interactions",
        "likes",
        "comments",
        "shares",
        "saves",
        "replies",
        "follows_and_unfollows",
        "profile_links_taps",
    }
)
ACCOUNT_SERIES_METRICS = frozenset({"reach", "follower_count"})
RETIRED_ACCOUNT_METRICS = frozenset(
    {"impressions", "profile_views", "website_clicks", "email_contacts", "video_views"}
)
NO_PERMISSION = "(#10) Application does not have permission for this action"
TOO_MANY_CALLS = (
    "(#80002) There have been too many calls to this Instagram account. Wait a bit and try"
    " again. For more info, please refer to"
    " https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
)
_IG_ID = re.compile(r"^(17841\d{12}|17843\d{12}|179\d{12}|18\d{17})$")


@dataclass
class Expansion:
    """One requested field: `name`, its `.modifier(arg)`s, and `{sub fields}`."""

    name: str
    modifiers: dict[str, str] = field(default_factory=dict)
    fields: list[Expansion] = field(default_factory=list)


def parse_fields(text: str) -> list[Expansion]:
    """`a,b.limit(2){c,d{e}}` -> expansions; a malformed list is Graph's (#100)."""
    found, pos = _parse_list(text, 0)
    if pos != len(text):
        raise graph_error(f"(#100) Syntax error in the fields parameter at {pos}", 100)
    return found


def _parse_list(text: str, pos: int) -> tuple[list[Expansion], int]:
    items: list[Expansion] = []
    while pos < len(text) and text[pos] != "}":
        match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", text[pos:])
        if not match:
            raise graph_error(f"(#100) Syntax error in the fields parameter at {pos}", 100)
        item = Expansion(match.group(1))
        pos += match.end()
        while pos < len(text) and text[pos] == ".":
            mod = re.match(r"\.([A-Za-z_]+)\(([^()]*)\)", text[pos:])
            if not mod:
                raise graph_error(f"(#100) Syntax error in the fields parameter at {pos}", 100)
            item.modifiers[mod.group(1)] = mod.group(2)
            pos += mod.end()
        if pos < len(text) and text[pos] == "{":
            item.fields, pos = _parse_list(text, pos + 1)
            if pos >= len(text) or text[pos] != "}":
                raise graph_error("(#100) Syntax error in the fields parameter: no }", 100)
            pos += 1
        items.append(item)
        if pos < len(text) and text[pos] == ",":
            pos += 1
    return items, pos


def claims(parts: list[str]) -> bool:
    """Whether a Graph path is Instagram's (an IG id, or `ig_hashtag_search`)."""
    return bool(parts) and (parts[0] == "ig_hashtag_search" or bool(_IG_ID.match(parts[0])))


@dataclass
class IgAccess:
    """What the brand's token was granted for Instagram, and the account's BUC limit."""

    permissions: set[str] = field(default_factory=lambda: set(IG_PERMISSIONS))
    calls_per_hour: int = CALLS_PER_HOUR


class InstagramApi:
    def __init__(self, graph: GraphApi) -> None:
        self.graph = graph
        self.world = graph.world
        self.access = IgAccess()
        self.hidden: set[str] = set()  # ids deleted at the source for now (admin: hide)
        self._searched: dict[str, dict[str, int]] = {}  # ig user -> hashtag -> first query
        self._calls: dict[str, tuple[int, int]] = {}  # ig user -> (world hour, calls)

    # --- entry ----------------------------------------------------------------------------

    def handle(self, parts: list[str], params: dict[str, str], viewer: Viewer) -> Response:
        """Answer one request (the server checked the token is one we issued)."""
        self._viewer_may_read(viewer)
        self._need("instagram_basic", "pages_read_engagement", "pages_show_list")
        refused = self._count_call()
        if refused is not None:
            raise refused
        try:
            response = self._route(parts, params)
        except ApiError as exc:
            exc.response.headers.update(self.usage_headers())
            raise
        response.headers.update(self.usage_headers())
        return response

    def _route(self, parts: list[str], params: dict[str, str]) -> Response:
        node = parts[0]
        if parts == ["ig_hashtag_search"]:
            return self._hashtag_search(params)
        if len(parts) == 1:
            return self._node(node, params)
        if len(parts) == 2:
            edge = parts[1]
            if node == OUR_BRAND.ig_user_id:
                handler = {
                    "media": self._media,
                    "tags": self._tags,
                    "insights": self._insights,
                    "recently_searched_hashtags": self._recently_searched,
                }
                if edge in handler:
                    return handler[edge](params, "/".join(parts))
            elif node.startswith("179") and edge in ("comments", "insights"):
                media = self._own_media(node)
                if edge == "comments":
                    return self._comments(media, params, "/".join(parts))
                return self._media_insights(media, params)
            elif node.startswith("18") and edge == "replies":
                return self._replies(node, params, "/".join(parts))
            elif node.startswith("17843") and edge in ("recent_media", "top_media"):
                return self._recent_media(node, params, "/".join(parts), edge)
            self._object(node)  # an object we cannot load answers so before the edge does
        raise graph_error(f"Unknown path components: /{'/'.join(parts[1:])}", 2500)

    # --- access ---------------------------------------------------------------------------

    def _viewer_may_read(self, viewer: Viewer) -> None:
        if viewer.page is not None and viewer.page != OUR_BRAND.page_id:
            # another Page's token: our IG User is not linked to it
            raise _missing(OUR_BRAND.ig_user_id)

    def _need(self, *permissions: str, code: int = 10) -> None:
        missing = [p for p in permissions if p not in self.access.permissions]
        if missing:
            if code == 200:
                raise graph_error(f"(#200) Requires {missing[0]} permission", 200, status=403)
            raise graph_error(NO_PERMISSION, 10, status=403)

    def _count_call(self) -> ApiError | None:
        hour = self.world.clock // 3600
        seen_hour, calls = self._calls.get(OUR_BRAND.ig_user_id, (hour, 0))
        if seen_hour != hour:
            calls = 0
        if calls >= self.access.calls_per_hour:
            self._calls[OUR_BRAND.ig_user_id] = (hour, calls)
            error = graph_error(TOO_MANY_CALLS, 80002, status=400)
            error.response.body["error"]["is_transient"] = True
            error.response.headers.update(self.usage_headers())
            return error
        self._calls[OUR_BRAND.ig_user_id] = (hour, calls + 1)
        return None

    def throttled(self, regain_minutes: int) -> Response:
        """The answer of a call the fault schedule throttles: (#80002), its usage at 100%."""
        error = graph_error(TOO_MANY_CALLS, 80002, status=400)
        error.response.body["error"]["is_transient"] = True
        usage = {
            "type": "instagram",
            "call_count": 100,
            "total_cputime": 97,
            "total_time": 100,
            "estimated_time_to_regain_access": regain_minutes,
        }
        error.response.headers["x-business-use-case-usage"] = json.dumps(
            {OUR_BRAND.ig_user_id: [usage]}
        )
        return error.response

    def usage_headers(self) -> dict[str, str]:
        """`X-Business-Use-Case-Usage` for our IG User: percent of its limit used this hour,
        and minutes until calls are accepted again (0 while under the limit)."""
        hour = self.world.clock // 3600
        seen_hour, calls = self._calls.get(OUR_BRAND.ig_user_id, (hour, 0))
        calls = calls if seen_hour == hour else 0
        share = min(100, round(100 * calls / max(1, self.access.calls_per_hour)))
        regain = 0
        if calls >= self.access.calls_per_hour:
            regain = max(1, ((hour + 1) * 3600 - self.world.clock + 59) // 60)
        usage = {
            "type": "instagram",
            "call_count": share,
            "total_cputime": max(0, share - 3),
            "total_time": share,
            "estimated_time_to_regain_access": regain,
        }
        return {"x-business-use-case-usage": json.dumps({OUR_BRAND.ig_user_id: [usage]})}

    def _object(self, node: str) -> None:
        """Raise what Graph answers for an id we cannot load (or that does not exist)."""
        raise _missing(node)

    # --- our account ----------------------------------------------------------------------

    def _node(self, node: str, params: dict[str, str]) -> Response:
        if node in self.hidden:
            raise _missing(node)
        if node == OUR_BRAND.ig_user_id:
            return self._our_user(params)
        if node.startswith("179"):
            media = self._own_media(node)
            wanted = _plain(params.get("fields", ""), MEDIA_FIELDS, "IGMedia")
            return Response(200, _select(self._media_json(media), wanted, ("id",)))
        if node.startswith("18") and len(node) == 19:
            self._need("instagram_manage_comments", code=200)
            comment, media = self._own_comment(node)
            wanted = _plain(params.get("fields", ""), COMMENT_FIELDS, "IGComment")
            body = self._comment_json(comment, media)
            return Response(200, _select(body, wanted, ("id", "text", "timestamp")))
        if node.startswith("17843"):
            name = self._hashtag_name(node)
            if name is None:
                raise _missing(node)
            wanted = _plain(params.get("fields", ""), frozenset({"id", "name"}), "IGHashtag")
            return Response(200, _select({"id": node, "name": name}, wanted, ("id",)))
        raise _missing(node)  # a rival's IG User: business discovery only

    def _our_user(self, params: dict[str, str]) -> Response:
        expansions = parse_fields(params.get("fields", "") or "id")
        brand = 0
        body: dict = {"id": OUR_BRAND.ig_user_id}
        full = self._account_json(brand)
        for item in expansions:
            if item.name in USER_EXPANSIONS:
                body[item.name] = {
                    "business_discovery": self._discovery,
                    "mentioned_media": self._mentioned_media,
                    "mentioned_comment": self._mentioned_comment,
                }[item.name](item)
            elif item.name in USER_FIELDS and not item.modifiers and not item.fields:
                body[item.name] = full.get(item.name)
            else:
                raise _no_field(item.name, "IGUser")
        return Response(200, {k: v for k, v in body.items() if v is not None})

    def _account_json(self, brand: int) -> dict:
        ig = self.world.instagram
        followers = int(ig.followers(brand)[-1][0])
        b = BRANDS[brand]
        return {
            "id": b.ig_user_id,
            "ig_id": int(b.ig_user_id[-9:]),
            "username": b.ig_username,
            "name": b.name,
            "biography": f"{b.name}: coffee from the north",
            "followers_count": followers,
            "follows_count": ig.follows_count(brand),
            "media_count": ig.media_count(brand),
        }

    # --- business discovery ---------------------------------------------------------------

    def _discovery(self, item: Expansion) -> dict:
        username = item.modifiers.get("username")
        if set(item.modifiers) != {"username"} or not username:
            raise graph_error("(#100) business_discovery needs .username(<username>)", 100)
        brand = next((i for i, b in enumerate(BRANDS) if b.ig_username == username), None)
        if brand is None:
            raise graph_error(
                "Invalid user id: the user is not an Instagram Business or Creator account",
                110,
                subcode=2207013,
            )
        account = self._account_json(brand)
        body: dict = {}
        for sub in item.fields or [Expansion("id")]:
            if sub.name == "media":
                body["media"] = self._discovery_media(brand, sub)
            elif sub.name in DISCOVERY_FIELDS and not sub.modifiers and not sub.fields:
                body[sub.name] = account[sub.name]
            else:
                raise _no_field(sub.name, "IGUser")
        return body

    def _discovery_media(self, brand: int, item: Expansion) -> dict:
        unknown = set(item.modifiers) - {"limit", "after", "before"}
        if unknown:
            raise graph_error(f"(#100) Unsupported modifier {sorted(unknown)[0]} on media", 100)
        wanted = [f.name for f in item.fields] or ["id"]
        for name in wanted:
            if name not in DISCOVERY_MEDIA_FIELDS:
                raise _no_field(name, "IGMedia")
        media = list(reversed(self.world.instagram.brand_media(brand)))  # newest first
        media = [m for m in media if m.id not in self.hidden]
        keys = [[-m.created, m.id] for m in media]
        limit = _limit(item.modifiers.get("limit"), DISCOVERY_MAX_LIMIT)
        after = _cursor(item.modifiers.get("after"))
        start, end = pagination.page_after(keys, after, limit)
        chunk = media[start:end]
        body: dict = {"data": [_select(self._media_json(m), wanted, ("id",)) for m in chunk]}
        if end < len(media):  # the documented paging: an `after` cursor while more remain
            body["paging"] = {"cursors": {"after": pagination.encode(keys[end - 1])}}
        return body

    # --- mentions -------------------------------------------------------------------------

    def _mentioned_media(self, item: Expansion) -> dict:
        media_id = item.modifiers.get("media_id")
        if set(item.modifiers) != {"media_id"} or not media_id:
            raise graph_error("(#100) mentioned_media needs .media_id(<id>)", 100)
        media = self.world.instagram.media(media_id)
        if media is None or media.id in self.hidden or 0 not in media.mentioned:
            raise _missing(media_id)
        wanted = [f.name for f in item.fields] or ["id"]
        for name in wanted:
            if name not in MEDIA_FIELDS - {"shortcode"}:
                raise _no_field(name, "IGMedia")
        return _select(self._media_json(media), wanted, ("id",))

    def _mentioned_comment(self, item: Expansion) -> dict:
        self._need("instagram_manage_comments", code=200)
        comment_id = item.modifiers.get("comment_id")
        if set(item.modifiers) != {"comment_id"} or not comment_id:
            raise graph_error("(#100) mentioned_comment needs .comment_id(<id>)", 100)
        found = self.world.instagram.comment(comment_id)
        if found is None or comment_id in self.hidden or found[0].kind != "mention":
            raise _missing(comment_id)
        comment, media = found
        if comment.brand != 0 or media.id in self.hidden:
            raise _missing(comment_id)
        if not media.comments_enabled:  # "will return an error" (no code given: ours)
            raise graph_error("(#100) Comments are disabled for this media", 100)
        body: dict = {}
        for sub in item.fields or [Expansion("id")]:
            if sub.name not in MENTIONED_COMMENT_FIELDS:
                raise _no_field(sub.name, "IGComment")
            if sub.name == "media":
                full = {
                    "id": media.id,
                    "permalink": media.permalink,
                    "username": self.world.instagram.username(media),
                    "media_type": media.media_type,
                    "timestamp": graph_time(media.created),
                }
                names = [f.name for f in sub.fields] or ["id"]
                body["media"] = {k: full[k] for k in names if k in full}
            else:
                body[sub.name] = {
                    "id": comment.id,
                    "text": comment.text,
                    "timestamp": graph_time(comment.created),
                    "like_count": _comment_likes(comment),
                }[sub.name]
        return body

    # --- listings -------------------------------------------------------------------------

    def _media(self, params: dict[str, str], path: str) -> Response:
        wanted = _plain(params.get("fields", ""), MEDIA_FIELDS, "IGMedia")
        media = list(reversed(self.world.instagram.brand_media(0)))  # newest first
        return self._page(
            [m for m in media if m.id not in self.hidden],
            lambda m: [-m.created, m.id],
            lambda m: _select(self._media_json(m), wanted, ("id",)),
            params,
            path,
            "media",
        )

    def _tags(self, params: dict[str, str], path: str) -> Response:
        wanted = _plain(params.get("fields", ""), MEDIA_FIELDS - {"shortcode"}, "IGMedia")
        media = [m for m in self.world.instagram.people_media() if 0 in m.tagged]
        media.reverse()
        return self._page(
            [m for m in media if m.id not in self.hidden],
            lambda m: [-m.created, m.id],
            lambda m: _select(self._media_json(m), wanted, ("id",)),
            params,
            path,
            "tags",
        )

    def _comments(self, media: IgMedia, params: dict[str, str], path: str) -> Response:
        self._need("instagram_manage_comments", code=200)
        wanted = _plain(params.get("fields", ""), COMMENT_FIELDS, "IGComment")
        comments = [
            c
            for c in self.world.instagram.visible_comments(media)
            if c.parent_id is None and c.id not in self.hidden
        ]
        return self._page(
            comments,
            lambda c: [c.created, c.id],
            lambda c: _select(self._comment_json(c, media), wanted, ("id", "text", "timestamp")),
            params,
            path,
            "comments",
        )

    def _replies(self, node: str, params: dict[str, str], path: str) -> Response:
        self._need("instagram_manage_comments", code=200)
        comment, media = self._own_comment(node)
        wanted = _plain(params.get("fields", ""), COMMENT_FIELDS, "IGComment")
        replies = [
            c
            for c in self.world.instagram.visible_comments(media)
            if c.parent_id == comment.id and c.id not in self.hidden
        ]
        return self._page(
            replies,
            lambda c: [c.created, c.id],
            lambda c: _select(self._comment_json(c, media), wanted, ("id", "text", "timestamp")),
            params,
            path,
            "replies",
        )

    def _page(self, items, key, as_json, params: dict[str, str], path: str, kind: str) -> Response:
        keys = [key(i) for i in items]
        limit = _limit(params.get("limit"), MAX_LIMITS[kind])
        after = _cursor(params.get("after"))
        start, end = pagination.page_after(keys, after, limit)
        chunk = items[start:end]
        body: dict = {"data": [as_json(i) for i in chunk]}
        if chunk:
            paging: dict = {"cursors": {"after": pagination.encode(keys[end - 1])}}
            if kind != "recent_media":  # hashtag media page forward only (documented)
                paging["cursors"] = {"before": pagination.encode(keys[start]), **paging["cursors"]}
            if end < len(items):
                query = {**params, "after": paging["cursors"]["after"], "limit": str(limit)}
                paging["next"] = f"{self.graph.base_url}/{self.graph.version}/{path}?" + urlencode(
                    query
                )
            body["paging"] = paging
        response = Response(200, body)
        response.total = len(items)
        return response

    # --- hashtags -------------------------------------------------------------------------

    def _window(self, user: str) -> dict[str, int]:
        """The hashtags `user` searched in the 7 days from each one's first query."""
        searched = self._searched.setdefault(user, {})
        clock = self.world.clock
        for name, first in list(searched.items()):
            if clock - first >= HASHTAG_WINDOW:
                del searched[name]
        return searched

    def _recently_searched(self, params: dict[str, str], path: str) -> Response:
        """`GET /{ig-user-id}/recently_searched_hashtags`: the unique hashtags the account
        searched in its 7-day window (any app's searches), `limit` 25 by default, 30 at most."""
        limit = _limit(params.get("limit"), HASHTAGS_PER_WEEK) if params.get("limit") else 25
        searched = self._window(OUR_BRAND.ig_user_id)
        newest = sorted(searched, key=lambda name: (-searched[name], name))[:limit]
        return Response(200, {"data": [{"id": hashtag_id(name)} for name in newest]})

    def _hashtag_search(self, params: dict[str, str]) -> Response:
        user, tag = params.get("user_id", ""), params.get("q", "").strip().lstrip("#").lower()
        if user != OUR_BRAND.ig_user_id:
            raise graph_error("(#100) The parameter user_id is required: our IG User id", 100)
        if not re.fullmatch(r"[a-z0-9_]{1,100}", tag, flags=re.UNICODE):
            raise graph_error("(#100) The parameter q must be a hashtag name", 100)
        if tag in SENSITIVE_HASHTAGS:  # "a generic error" (the ig-hashtag-search reference)
            raise graph_error("(#100) Invalid parameter", 100)
        searched = self._window(user)
        clock = self.world.clock
        if tag not in searched:
            if len(searched) >= HASHTAGS_PER_WEEK:
                raise graph_error(
                    "(#100) This account has queried the maximum of 30 unique hashtags within"
                    " a rolling 7 day period",
                    100,
                    subcode=2207034,
                )
            searched[tag] = clock
        return Response(200, {"data": [{"id": hashtag_id(tag)}]})

    def _hashtag_name(self, node: str) -> str | None:
        for names in self._searched.values():
            for name in names:
                if hashtag_id(name) == node:
                    return name
        return None

    def _recent_media(self, node: str, params: dict[str, str], path: str, edge: str) -> Response:
        tag = self._hashtag_name(node)
        if tag is None:
            raise _missing(node)
        if edge != "recent_media":
            raise graph_error("(#100) The simulator serves recent_media only", 100)
        if params.get("user_id") != OUR_BRAND.ig_user_id:
            raise graph_error("(#100) The parameter user_id is required", 100)
        wanted = _plain(params.get("fields", ""), HASHTAG_MEDIA_FIELDS, "IGMedia")
        # any public media with the hashtag: people's and business accounts' alike (the
        # brands', ours included), newest first
        ig, since = self.world.instagram, self.world.clock - RECENT_MEDIA_WINDOW + 1
        public = ig.people_media(since) + [
            m for brand in range(len(BRANDS)) for m in ig.brand_media(brand, since)
        ]
        media = sorted(
            (m for m in public if tag in m.hashtags and m.id not in self.hidden),
            key=lambda m: (-m.created, m.id),
        )
        return self._page(
            media,
            lambda m: [-m.created, m.id],
            lambda m: _select(self._media_json(m), wanted, ("id",)),
            params,
            path,
            "recent_media",
        )

    # --- insights -------------------------------------------------------------------------

    def _media_insights(self, media: IgMedia, params: dict[str, str]) -> Response:
        self._need("instagram_manage_insights")
        if media.brand != 0:
            raise graph_error(NO_PERMISSION, 10, status=403)
        metrics = [m for m in params.get("metric", "").split(",") if m]
        if not metrics:
            raise graph_error("(#100) The parameter metric is required", 100)
        for metric in metrics:
            if metric in RETIRED_MEDIA_METRICS:
                raise graph_error(
                    f"(#100) Starting from version 22 and above, the {metric} metric is no"
                    " longer supported for the queried media",
                    100,
                )
            if metric not in MEDIA_METRICS[media.product_type]:
                raise graph_error(
                    f"(#100) The Media Insights API does not support the {metric} metric for"
                    " this media product type.",
                    100,
                )
        if media.before_business_conversion:
            raise graph_error("Invalid parameter", 100, subcode=2108006)
        values = media_insight_values(self.world, media)
        data = [
            {
                "name": metric,
                "period": "lifetime",
                "values": [{"value": values[metric]}],
                "title": metric.replace("_", " ").title(),
                "description": f"Lifetime: {metric.replace('_', ' ')}",
                "id": f"{media.id}/insights/{metric}/lifetime",
            }
            for metric in metrics
        ]
        return Response(200, {"data": data})

    def _insights(self, params: dict[str, str], path: str) -> Response:
        self._need("instagram_manage_insights")
        metrics = [m for m in params.get("metric", "").split(",") if m]
        if not metrics:
            raise graph_error("(#100) The parameter metric is required", 100)
        if params.get("period", "day") != "day":
            raise graph_error("(#100) The simulator serves period=day only", 100)
        total = params.get("metric_type") == "total_value"
        if params.get("metric_type") not in (None, "total_value", "time_series"):
            raise graph_error("(#100) metric_type must be one of: total_value, time_series", 100)
        for metric in metrics:
            if metric in RETIRED_ACCOUNT_METRICS:
                raise graph_error(
                    f"(#100) Starting from version 22 and above, the {metric} metric is no"
                    " longer supported for the queried user",
                    100,
                )
            if metric not in ACCOUNT_TOTAL_METRICS | ACCOUNT_SERIES_METRICS:
                raise graph_error(
                    f"(#100) metric[0] must be one of the following values: "
                    f"{', '.join(sorted(ACCOUNT_TOTAL_METRICS | ACCOUNT_SERIES_METRICS))}",
                    100,
                )
            if total and metric not in ACCOUNT_TOTAL_METRICS:
                raise graph_error(
                    f"(#100) The metric {metric} does not support the metric_type total_value",
                    100,
                )
            if not total and metric not in ACCOUNT_SERIES_METRICS:
                raise graph_error(
                    f"(#100) The following metrics ({metric}) should be specified with"
                    " parameter metric_type=total_value",
                    100,
                )
        last = self.world.last_day
        until = _day_of(params.get("until"), last + 1)
        since = _day_of(params.get("since"), until - 1)
        if until - since > INSIGHTS_MAX_DAYS or until <= since:
            raise graph_error(
                "(#100) since and until must be no more than 30 days apart, since before until",
                100,
            )
        if "follower_count" in metrics and since < last + 1 - FOLLOWER_COUNT_DAYS:
            raise graph_error(
                "(#100) follower_count metric only supports querying data for the last 30 days",
                100,
            )
        until = min(until, last + 1)
        days = range(max(0, since), until)
        data = []
        for metric in metrics:
            entry: dict = {
                "name": metric,
                "period": "day",
                "title": metric.replace("_", " ").title(),
                "description": f"Daily: {metric.replace('_', ' ')}",
                "id": f"{OUR_BRAND.ig_user_id}/insights/{metric}/day",
            }
            if total:
                value = sum(account_insight_value(self.world, 0, metric, d) for d in days)
                entry["total_value"] = {"value": value}
            else:
                entry["values"] = [
                    {
                        "value": account_insight_value(self.world, 0, metric, d),
                        "end_time": graph_time((d + 1) * DAY),
                    }
                    for d in days
                ]
            data.append(entry)
        # no `paging`: Meta's examples of total_value and day series show none (stricter: a
        # reader asks each window itself)
        return Response(200, {"data": data})

    # --- json -----------------------------------------------------------------------------

    def _own_media(self, node: str) -> IgMedia:
        media = self.world.instagram.media(node)
        if media is None or node in self.hidden or media.brand != 0:
            raise _missing(node)
        return media

    def _own_comment(self, node: str) -> tuple[Message, IgMedia]:
        found = self.world.instagram.comment(node)
        if found is None or node in self.hidden or found[1].brand != 0:
            raise _missing(node)
        comment, media = found
        if media.id in self.hidden or comment.parent_id in self.hidden:
            raise _missing(node)
        return comment, media

    def _media_json(self, media: IgMedia) -> dict:
        ig, clock = self.world.instagram, self.world.clock
        body = {
            "id": media.id,
            "caption": media.caption if media.brand == 0 else _without_at(media.caption),
            "media_type": media.media_type,
            "media_product_type": media.product_type,
            "permalink": media.permalink,
            "shortcode": media.shortcode,
            "timestamp": graph_time(media.created),
            "username": ig.username(media),
            "like_count": media.settled(media.like_total, clock),
            "comments_count": self._comments_count(media),
            "is_comment_enabled": media.comments_enabled,
        }
        if media.brand is not None:
            body["owner"] = {"id": BRANDS[media.brand].ig_user_id}
        return body

    def _comments_count(self, media: IgMedia) -> int:
        """The world's count, less the comments deleted at the source for now (admin: hide)
        and the replies that went with them."""
        ig = self.world.instagram
        if media.brand != 0 or not self.hidden:
            return ig.comments_count(media)
        return sum(
            1
            for c in ig.visible_comments(media)
            if c.id not in self.hidden and c.parent_id not in self.hidden
        )

    def _comment_json(self, comment: Message, media: IgMedia) -> dict:
        pop = self.world.population
        if comment.person is None:
            author = {"id": BRANDS[comment.brand].ig_user_id, "username": OUR_BRAND.ig_username}
        else:
            author = {
                "id": str(int(pop.ig_id[comment.person])),
                "username": pop.ig_username[comment.person],
            }
        body = {
            "id": comment.id,
            "text": comment.text,
            "timestamp": graph_time(comment.created),
            "username": author["username"],
            "from": author,
            "like_count": _comment_likes(comment),
            "hidden": False,
            "media": {"id": media.id},
        }
        if comment.parent_id:
            body["parent_id"] = comment.parent_id
        return body


# the `@` before a name in a caption, which the API leaves out unless the media's own account
# asks (IG Media reference, "Limitations"; docs/real-apis.md): our brand reads its own media only
_AT_NAME = re.compile(r"@(?=[A-Za-z0-9._])")


def _without_at(caption: str | None) -> str | None:
    """`caption` as the API gives it to an account that does not own the media."""
    return None if caption is None else _AT_NAME.sub("", caption)


def media_insight_values(world, media: IgMedia) -> dict[str, int]:
    """A media's lifetime insights at the clock, from its likes and comments."""
    clock = world.clock
    likes = media.settled(media.like_total, clock)
    comments = world.instagram.comments_count(media)
    saved, shares = likes // 9, likes // 14
    return {
        "views": likes * 11 + 7,
        "reach": likes * 6 + 3,
        "likes": likes,
        "comments": comments,
        "saved": saved,
        "shares": shares,
        "total_interactions": likes + comments + saved + shares,
    }


def account_insight_value(world, brand: int, metric: str, day: int) -> int:
    """An account's insight on `day`: followers and follows are the world's; the rest are
    derived from the follower count (deterministic day to day variation)."""
    followers, follows, unfollows = (int(v) for v in world.instagram.followers(brand)[day])
    wobble = 1 + ((day * 7919 + len(metric)) % 13) / 26
    derived = {
        "follower_count": follows,  # new followers that day, as Meta's series gives
        "follows_and_unfollows": follows + unfollows,
        "views": int(followers * 1.9 * wobble),
        "reach": int(followers * 0.6 * wobble),
        "accounts_engaged": int(followers * 0.05 * wobble),
        "total_interactions": int(followers * 0.09 * wobble),
        "likes": int(followers * 0.07 * wobble),
        "comments": int(followers * 0.012 * wobble),
        "shares": int(followers * 0.004 * wobble),
        "saves": int(followers * 0.006 * wobble),
        "replies": int(followers * 0.002 * wobble),
        "profile_links_taps": int(followers * 0.003 * wobble),
    }
    return derived[metric]


def _comment_likes(comment: Message) -> int:
    return int(comment.id[-3:]) % 7


def _plain(fields: str, allowed: frozenset[str], node_type: str) -> list[str]:
    """A listing's `fields`, each one the node has (`from{...}`, `media{...}`, `owner{...}`
    expand to the whole object; nothing else expands)."""
    wanted = []
    for item in parse_fields(fields.replace(" ", "")):
        if item.name not in allowed or item.modifiers:
            raise _no_field(item.name, node_type)
        if item.fields and item.name not in ("from", "media", "owner"):
            raise _no_field(item.name, node_type)
        wanted.append(item.name)
    return wanted


def _select(body: dict, wanted: list[str], default: tuple[str, ...]) -> dict:
    names = wanted or list(default)
    return {k: body[k] for k in names if k in body}


def _no_field(name: str, node_type: str) -> ApiError:
    return graph_error(
        f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})", 100
    )


def _limit(value: str | None, maximum: int) -> int:
    if value in (None, ""):
        return min(DEFAULT_LIMIT, maximum)
    try:
        limit = int(value)
    except ValueError as exc:
        raise graph_error("(#100) limit must be an integer", 100) from exc
    return max(1, min(limit, maximum))


def _cursor(value: str | None):
    if not value:
        return None
    try:
        return pagination.decode(value)
    except pagination.BadCursor as exc:
        raise graph_error("(#100) The parameter after is invalid", 100) from exc


def _day_of(value: str | None, default: int) -> int:
    return default if not value else parse_time(value) // DAY
