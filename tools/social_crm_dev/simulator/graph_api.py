"""Facebook Graph API shapes over the world: page, posts, feed (visitor posts), comments,
reactions, insights and user nodes, with cursor paging and the Graph error envelope.

Today's profile (Graph v24, a Page access token), never kinder than the real API:
- Page Insights serves today's metrics only; a retired metric (page_fans, page_fan_adds,
  page_fan_removes, page_impressions*, ...) or an unknown one fails the whole request with
  `(#100) The value must be a valid insights metric`, without saying which metric
  (developers.facebook.com/documentation/pages-api/platforminsights/page/deprecated-metrics).
- A user node answers `id` and `name` only: any other field (email, location, hometown,
  birthday) is an error, as it is for a Page token reading the people who engage with the
  Page (developers.facebook.com/docs/graph-api/reference/user).
- An app created on or after 2026-11-04 (`legacy_features` False, the default: what a brand
  signing up today gets) cannot use multi-ID requests (`?ids=`), field aliases (`.as(`), HTTP
  method override (`method=`), date/time formatting (`date_format=`) or JSONP (`callback=`), on
  any Graph version; from v26.0 `GET /?ids=` fails for every app
  (developers.facebook.com/blog/post/2026/11/04/introducing-graph-api-v27-and-marketing-api-v27/,
  github.com/restfb/restfb/issues/1692). Meta publishes no error text for the refusal: ours is
  a `(#12)` OAuthException, the shape Graph gives a deprecated feature (our guess, and a refusal
  where the real API might still serve: stricter).
- For an existing app on v24/v25, `?ids=` naming an id that does not exist fails whole with
  `(#803) Some of the aliases you requested do not exist: ...`; a single missing node answers
  `(#100)` subcode 33. Synchronous batch requests (server.py) are served to every app.
- A post listing expands `comments` and `reactions` as fields with `.limit(0)` and
  `.summary(...)` (developers.facebook.com/docs/graph-api/guides/field-expansion; the
  comments edge's `summary.total_count`, with `.filter(stream)` counting replies too:
  developers.facebook.com/docs/graph-api/reference/object/comments). Strictly: the counts are
  of everything ever written, deleted comments and withdrawn reactions included (Meta: the
  count "can be greater than or equal to" what a walk returns, "due to comment privacy or
  deletion"), so a count that did not move does not mean nothing changed. Any other
  expansion is refused.
- A comments edge takes `order` chronological or reverse_chronological (the Graph SDK's
  `Comment.Order`, facebook-python-business-sdk adobjects/comment.py and post.py
  `get_comments`). Strictly: only `filter=stream` (every level, in time order) honours it;
  top-level comments keep their own order whatever it asks, as comments Meta ranks do. A
  reader must check the order it got.

What a token reads (developers.facebook.com/docs/graph-api/reference/comment, .../object/comments,
.../page/feed, docs/features-reference/page-public-content-access,
documentation/business-sdk/common-scenarios/token-switch; docs/rivals.md):
- The connection's token is the brand's user or system-user token. `GET /me/accounts` lists the
  Pages it manages (`GraphAccess.managed`), each with its Page token and tasks;
  `GET /{page}?fields=access_token` gives a managed Page's token, and no `access_token` for any
  other Page (strictly: the field is left out, no error says why).
- Only the Page token of the Page that owns the object reads who wrote or reacted: a comment's
  `from`, a visitor post's `from`, the people of `/reactions`. Any other token (the brand's
  own user token included) reads a Page's public content: the Page's fields, its posts and
  visitor posts (visitor posts without `from`), the counts of comments and reactions, comments
  without `from` and, on a Page the brand does not manage (Page Public Content Access, Meta:
  "the id field ... will no longer be returned for apps using the Page Public Content Access
  feature"), without `id`; `/reactions` and `/insights` answer `(#10)`. Without the feature
  (`GraphAccess.public_content`) every read of a Page not the token's answers `(#10) This
  endpoint requires the 'pages_read_engagement' permission or the 'Page Public Content
  Access' feature`.
- A managed Page is a New Pages Experience Page: "a Page access token is now required for
  all available endpoints" (developers.facebook.com/docs/pages-api/overview). Its posts,
  feed, comments and post or comment nodes read with any other token answer `(#190) This
  method must be called with a Page Access Token` (the text reported for Page data read with
  a user token: github.com/halsandr/Facebook_Connector/issues/1; which error applies is our
  guess, the stricter one); its own fields stay readable by the brand's token.
- A person's id is Page-scoped ("unique to each User-Page pair",
  developers.facebook.com/docs/pages/guides): a person's node is served only to the token of
  a Page that was shown them (as an author, or who reacted); any other token cannot load it,
  `(#100)` subcode 33 (stricter: the world keeps one id per person).
- A Page token revoked since (`GraphAccess.revoked`: still listed by `/me/accounts`) answers
  code 190, subcode 460, on every request
  (developers.facebook.com/docs/graph-api/guides/error-handling).
- New Pages Experience: `/{page}/visitor_posts` is not supported and "will return an error"
  (developers.facebook.com/docs/pages-api/new-pages-experience; the text is not documented:
  strictly, the error of an edge the node does not have); visitor posts come from `/feed`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlencode

from social_crm_dev.simulator import pagination
from social_crm_dev.simulator.activity import Message, Post
from social_crm_dev.simulator.config import BRANDS, DAY, MANAGED_PAGES
from social_crm_dev.simulator.responses import ApiError, Response, parse_time, to_datetime
from social_crm_dev.simulator.world import World

MAX_LIMIT = 100
COMMENT_ORDERS = ("chronological", "reverse_chronological")
PAGE_LISTINGS = ("posts", "feed")  # a Page's own listings (cached apart from the edges')
PAGE_LISTINGS_KEPT = 2 * len(BRANDS)  # a walk's listing per Page and kind: memory stays flat
EDGE_LISTINGS_KEPT = 64
DEFAULT_LIMIT = 25
# today's Page Insights metrics the world has numbers for (any other is refused)
INSIGHT_METRICS = (
    "page_follows",
    "page_daily_follows_unique",
    "page_daily_unfollows_unique",
    "page_post_engagements",
    "page_media_view",
    "page_total_media_view_unique",
    "page_views_total",
)
# Meta's retirement waves, all versions: 2025-11-15 (fans, impressions) and 2026-06-15 (reach:
# the `_unique` impressions, page post impressions, video views unique). Sources:
# developers.facebook.com/documentation/pages-api/platforminsights/page/deprecated-metrics,
# developers.facebook.com/docs/graph-api/changelog/version25.0
RETIRED_METRICS = frozenset(
    {
        "page_fans",
        "page_fan_adds",
        "page_fan_adds_unique",
        "page_fan_removes",
        "page_fan_removes_unique",
        "page_fans_locale",
        "page_fans_city",
        "page_fans_country",
        "page_impressions",
        "page_impressions_paid",
        "page_impressions_viral",
        "page_impressions_nonviral",
        "page_impressions_organic_unique",
        "post_impressions",
        "post_impressions_paid",
        "post_impressions_fan",
        "post_impressions_organic",
        # 2026-06-15
        "page_impressions_unique",
        "page_impressions_paid_unique",
        "page_impressions_viral_unique",
        "page_impressions_nonviral_unique",
        "page_posts_impressions",
        "page_posts_impressions_unique",
        "page_posts_impressions_paid",
        "page_posts_impressions_paid_unique",
        "page_posts_impressions_organic_unique",
        "page_posts_served_impressions_organic_unique",
        "page_posts_impressions_viral",
        "page_posts_impressions_viral_unique",
        "page_posts_impressions_nonviral",
        "page_posts_impressions_nonviral_unique",
        "page_video_views_unique",
        "post_impressions_unique",
    }
)
USER_FIELDS = frozenset({"id", "name"})  # all a Page token reads of a person who engaged
PAGE_FIELDS = frozenset(
    {
        "id",
        "name",
        "fan_count",
        "followers_count",
        "link",
        "category",
        "access_token",
        "instagram_business_account",
    }
)
ACCOUNT_FIELDS = frozenset(
    {"id", "name", "access_token", "category", "tasks", "instagram_business_account"}
)
PAGE_TASKS = ("ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE")
NO_PUBLIC_CONTENT = (
    "(#10) This endpoint requires the 'pages_read_engagement' permission or the 'Page Public"
    " Content Access' feature. Refer to"
    " https://developers.facebook.com/docs/apps/review/login-permissions#manage-pages and"
    " https://developers.facebook.com/docs/apps/review/feature#reference-PAGES_ACCESS for details."
)
# the brand's user token reading our (New Pages Experience) Page's content: the text Graph
# answers a Page read that needs a Page token (reported: github.com/halsandr/Facebook_Connector
# issues/1, inside a batch answer; github.com/pablobarbera/Rfacebook/issues/174); Meta
# documents the rule, not the error
PAGE_TOKEN_REQUIRED = "(#190) This method must be called with a Page Access Token"
REVOKED_TOKEN = (
    "Error validating access token: The session has been invalidated because the user changed"
    " their password or Facebook has changed the session for security reasons."
)
POST_FIELDS = frozenset({"id", "message", "created_time", "updated_time", "from"})
COMMENT_FIELDS = frozenset({"id", "message", "created_time", "from", "parent"})


LEGACY_PARAMS = {  # query parameters of the features a new app cannot use
    "ids": "Multi-ID requests (ids=)",
    "method": "HTTP method override (method=)",
    "date_format": "Date/time formatting (date_format=)",
    "callback": "JSONP callbacks (callback=)",
}
LEGACY_CUTOFF = "2026-11-04"  # apps created on or after it: none of the legacy features
IDS_GONE_FROM = (26, 0)  # `GET /?ids=` at the root fails for every app from this version


@dataclass
class GraphAccess:
    """What the brand's token may read: the Pages it manages (each yields a Page token), the
    Page tokens revoked since, and whether the app has Page Public Content Access."""

    managed: set[str] = dataclasses.field(default_factory=lambda: set(MANAGED_PAGES))
    revoked: set[str] = dataclasses.field(default_factory=set)
    public_content: bool = True


@dataclass(frozen=True)
class Viewer:
    """Who asks: the Page whose Page token the request carries, or None for the brand's own
    (user or system-user) token."""

    page: str | None = None


def page_token(user_token: str, page_id: str) -> str:
    """The Page token the brand's token yields for a Page it manages (stable per pair)."""
    return "EAAP" + hashlib.sha256(f"{user_token}|{page_id}".encode()).hexdigest()[:40]


def graph_error(
    message: str,
    code: int,
    status: int = 400,
    subcode: int | None = None,
    kind: str = "OAuthException",
) -> ApiError:
    trace = hashlib.sha1(f"{message}{code}".encode()).hexdigest()[:11]
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": f"A{trace}"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return ApiError(Response(status, {"error": error}))


def graph_time(seconds: int) -> str:
    return to_datetime(seconds).strftime("%Y-%m-%dT%H:%M:%S+0000")


class GraphApi:
    def __init__(self, world: World, base_url: str, version: str) -> None:
        self.world = world
        self.retired_metrics = set(RETIRED_METRICS)  # tests retire more to see degradation
        self.hidden: set[str] = set()  # ids deleted at the source for now (admin: hide)
        self.base_url = base_url
        self.version = version
        self.legacy_features = False  # an app created before 2026-11-04 (see the module note)
        self.duplicate_items = False
        self.schema_drift = False
        self.ranked_comments = False  # a fault: `order` ignored even by the stream
        self.access = GraphAccess()
        self.user_token = ""  # the brand's token (the server sets it): Page tokens derive from it
        self._viewer = Viewer()  # who asks (each request sets it)
        # the people each Page's token was shown (comment and visitor post authors, who
        # reacted): a person's id is Page-scoped, read with that Page's token only
        self._shown: dict[str, set[str]] = {}
        self._listings: OrderedDict[tuple, tuple[list, list]] = OrderedDict()
        self._page_listings: OrderedDict[tuple, tuple[list, list]] = OrderedDict()

    def handle(
        self, parts: list[str], params: dict[str, str], viewer: Viewer = Viewer()
    ) -> Response:
        self._viewer = viewer
        self._refuse_legacy(parts, params)
        if not parts and params.get("ids"):
            return self._many(params)
        if parts == ["me", "accounts"]:
            return self._accounts(params, viewer)
        if len(parts) == 1:
            return self._node(parts[0], params)
        if len(parts) == 2:
            node, edge = parts
            if edge == "visitor_posts" and _brand_of_page(node) is not None:
                raise graph_error(
                    "(#100) Tried accessing nonexisting field (visitor_posts) on node type (Page)",
                    100,
                )
            handler = {
                "posts": self._posts,
                "feed": self._feed,
                "comments": self._comments,
                "reactions": self._reactions,
                "insights": self._insights,
            }.get(edge)
            if handler:
                return handler(node, params, "/".join(parts))
        raise graph_error(f"Unknown path components: /{'/'.join(parts[1:])}", 2500)

    def _refuse_legacy(self, parts: list[str], params: dict[str, str]) -> None:
        """The legacy features a new app may not use (and `?ids=` from v26.0 for any app)."""
        used = [name for key, name in LEGACY_PARAMS.items() if key in params]
        if ".as(" in params.get("fields", ""):
            used.append("Field aliases (.as())")
        if not used:
            return
        ids_only = used == [LEGACY_PARAMS["ids"]]
        if self.legacy_features and not (ids_only and not parts and _ids_gone(self.version)):
            return
        raise graph_error(
            f"(#12) {used[0]} is deprecated: apps created on or after {LEGACY_CUTOFF} cannot"
            " use it on any version, and GET /?ids= is not available from v26.0. Use a batch"
            " request or one request per object.",
            12,
        )

    # --- tokens and what they read ---------------------------------------------------------

    def _accounts(self, params: dict[str, str], viewer: Viewer) -> Response:
        """`/me/accounts`: the Pages the brand's token manages, each with its Page token."""
        if viewer.page is not None:  # /me of a Page token is the Page: it has no such edge
            raise graph_error(
                "(#100) Tried accessing nonexisting field (accounts) on node type (Page)", 100
            )
        pages = [
            {
                "access_token": page_token(self.user_token, brand.page_id),
                "category": "Coffee Shop",
                "name": brand.name,
                "id": brand.page_id,
                "tasks": list(PAGE_TASKS),
                # the IG professional account linked to the Page (ours only: the world's
                # rivals' accounts are not the brand's)
                **_linked_ig(brand),
            }
            for brand in BRANDS
            if brand.page_id in self.access.managed | self.access.revoked
        ]
        wanted = [f for f in params.get("fields", "").split(",") if f]
        if wanted:
            _only(wanted, ACCOUNT_FIELDS, "Page")

        def shown(page: dict) -> dict:
            # the fields asked for, the default ones otherwise: chosen per answer, after the
            # listing cache (its key leaves `fields` out, so two walks asking for different
            # fields at the same clock share one listing)
            return {k: v for k, v in page.items() if k in wanted} if wanted else dict(page)

        return self._page_of(lambda: pages, params, "me/accounts", lambda p: p["id"], shown)

    def owns(self, page_id: str) -> bool:
        """Whether this request carries the Page token of `page_id`."""
        return self._viewer.page == page_id

    def _public(self, page_id: str, *, content: bool = True) -> None:
        """A read of a Page's content by a token that neither is the Page's nor manages it:
        public content, with Page Public Content Access only; without it, #10. The content of
        a Page the brand manages (a New Pages Experience Page) needs that Page's own token:
        any other token gets `(#190) This method must be called with a Page Access Token`
        (its fields, `access_token` included, stay readable by the brand's token)."""
        ours = page_id in self.access.managed | self.access.revoked
        if content and ours and not self.owns(page_id):
            raise graph_error(PAGE_TOKEN_REQUIRED, 190)
        if (
            not self.owns(page_id)
            and page_id not in self.access.managed
            and not self.access.public_content
        ):
            raise graph_error(NO_PUBLIC_CONTENT, 10)

    def token_of(self, token: str) -> Viewer | None:
        """Who a token is: the brand's, or a managed Page's (None: no token we issued)."""
        if token == self.user_token:
            return Viewer()
        for brand in BRANDS:
            if token == page_token(self.user_token, brand.page_id):
                if brand.page_id in self.access.managed | self.access.revoked:
                    return Viewer(brand.page_id)
        return None

    # --- nodes ----------------------------------------------------------------------------

    def _node(self, node: str, params: dict[str, str]) -> Response:
        fields = [f for f in params.get("fields", "").split(",") if f]
        brand = _brand_of_page(node)
        if brand is not None:
            _only(fields, PAGE_FIELDS, "Page")
            self._public(node, content=False)
            fans = int(self.world.fans(brand)[-1][0])
            body = {
                "id": node,
                "name": BRANDS[brand].name,
                "fan_count": fans,
                "followers_count": round(fans * 1.08),
                "category": "Coffee Shop",
            }
            listed = self.access.managed | self.access.revoked
            if node in listed and (self.owns(node) or self._viewer.page is None):
                body["access_token"] = page_token(self.user_token, node)
                body.update(_linked_ig(BRANDS[brand]))
            return Response(200, self._drift(_select(body, fields, ("id", "name"))))
        if "_" in node:
            return self._content_node(node, fields)
        person = self.world.person_by_fb_id(int(node)) if node.isdigit() else None
        # a person's id is scoped to the Page they engaged with (a PSID): only the token of a
        # Page that was shown them reads them; any other token cannot load the node
        shown = self._shown.get(self._viewer.page or "", set())
        if person is None or node not in shown:
            raise _missing(node)
        _only(fields, USER_FIELDS, "User")
        body = {"id": node, "name": self.world.population.fb_name[person]}
        return Response(200, self._drift(body))

    def _content_node(self, node: str, fields: list[str]) -> Response:
        """A post, visitor post or comment by id (what a deletion check looks up)."""
        if node in self.hidden:
            raise _missing(node)
        post = self.world.post(node)
        if post is not None:
            _only(fields, POST_FIELDS, "Post")
            self._public(BRANDS[post.brand].page_id)
            body = self._post_json(post)
            return Response(200, _select(body, fields, ("id", "created_time")))
        comment = self.world.comment(node)
        if comment is None or comment.created > self.world.clock:
            raise _missing(node)
        _only(fields, COMMENT_FIELDS, "Comment")
        self._public(BRANDS[comment.brand].page_id)
        body = self._comment_json(comment)
        return Response(200, _select(body, fields, ("id", "created_time", "message")))

    def _many(self, params: dict[str, str]) -> Response:
        """`GET /?ids=a,b,c`: several nodes at once, keyed by id (at most 50); one id that does
        not exist fails the whole request (#803, naming the missing ones)."""
        ids = [i for i in params["ids"].split(",") if i]
        if len(ids) > 50:
            raise graph_error("(#100) Too many IDs. Maximum: 50. Provided: " + str(len(ids)), 100)
        found, missing = {}, []
        for node in ids:
            try:
                found[node] = self._node(node, params).body
            except ApiError as exc:
                if exc.response.body["error"].get("error_subcode") != 33:
                    raise
                missing.append(node)
        if missing:
            raise graph_error(
                f"(#803) Some of the aliases you requested do not exist: {','.join(missing)}",
                803,
                status=404,
            )
        return Response(200, found)

    # --- edges ----------------------------------------------------------------------------

    def _posts(self, node: str, params: dict[str, str], path: str) -> Response:
        brand = self._page(node)
        self._public(node)
        return self._page_of(
            lambda: self._in_window(self.world.posts(brand, "post"), params),
            params,
            path,
            lambda p: (p.created, p.id),
            self._post_listing_json(params),
        )

    def _feed(self, node: str, params: dict[str, str], path: str) -> Response:
        """The Page's feed: what people posted on the Page and the Page's own posts, by time
        (developers.facebook.com/docs/graph-api/reference/page/feed); a reader tells them
        apart by `from`."""
        brand = self._page(node)
        self._public(node)

        def build() -> list[Post]:
            both = [*self.world.posts(brand, "visitor_post"), *self.world.posts(brand, "post")]
            return self._in_window(sorted(both, key=lambda p: (p.created, p.id)), params)

        return self._page_of(
            build,
            params,
            path,
            lambda p: (p.created, p.id),
            self._post_listing_json(params),
        )

    def _post_listing_json(self, params: dict[str, str]):  # a post -> JSON
        """A listed post as JSON, with the edge counts its `fields` expand."""
        expanded = {}
        for field in (f for f in params.get("fields", "").split(",") if "." in f):
            edge, *modifiers = field.split(".")
            allowed = {
                "comments": {"limit(0)", "summary(true)", "filter(stream)", "filter(toplevel)"},
                "reactions": {"limit(0)", "summary(true)", "summary(total_count)"},
            }.get(edge)
            if allowed is None or not set(modifiers) <= allowed or "limit(0)" not in modifiers:
                raise graph_error(
                    f"(#100) The simulator expands comments and reactions with .limit(0) and"
                    f" .summary() only, not {field}",
                    100,
                )
            if not any(m.startswith("summary(") for m in modifiers):
                raise graph_error(f"(#100) {field} asks for no summary: it returns nothing", 100)
            # comments count top-level ones unless .filter(stream) (the edge's default)
            expanded[edge] = "filter(stream)" in modifiers

        def as_json(post: Post) -> dict:
            body = self._post_json(post)
            if expanded:
                full = self.world.post(post.id)  # its comments and reactions
                if "comments" in expanded:
                    written = [
                        c
                        for c in full.comments
                        if c.created <= self.world.clock
                        and (expanded["comments"] or c.parent_id is None)
                    ]
                    body["comments"] = {
                        "data": [],
                        "summary": {
                            "order": "chronological",
                            "total_count": len(written),
                            "can_comment": True,
                        },
                    }
                if "reactions" in expanded:
                    given = [r for r in full.reactions if r.at <= self.world.clock]
                    body["reactions"] = {
                        "data": [],
                        "summary": {"total_count": len(given), "viewer_reaction": "NONE"},
                    }
            return body

        return as_json

    def _comments(self, node: str, params: dict[str, str], path: str) -> Response:
        order = params.get("order", "chronological")
        if order not in COMMENT_ORDERS:
            raise graph_error(f"(#100) order must be one of {', '.join(COMMENT_ORDERS)}", 100)
        post = self.world.post(node)
        if post is None:
            raise _missing(node)
        self._public(BRANDS[post.brand].page_id)
        stream = params.get("filter", "toplevel") == "stream"
        # only the stream honours `order` (see the module's note)
        newest_first = stream and order == "reverse_chronological" and not self.ranked_comments
        key = _newest_first if newest_first else (lambda c: (c.created, c.id))

        def build() -> list[Message]:
            comments = self.world.comments(node) or []
            if not stream:
                comments = [c for c in comments if c.parent_id is None]
            return sorted(comments, key=key) if newest_first else comments

        return self._page_of(build, params, path, key, self._comment_json)

    def _reactions(self, node: str, params: dict[str, str], path: str) -> Response:
        post = self.world.post(node)
        if post is None:
            raise _missing(node)
        if not self.owns(BRANDS[post.brand].page_id):  # who reacted: the Page's token only
            raise graph_error(NO_PUBLIC_CONTENT, 10)
        clock = self.world.clock
        pop = self.world.population
        wanted = params.get("type")

        def build() -> list:
            reactions = sorted(
                (r for r in post.reactions if r.visible(clock)),
                key=lambda r: int(pop.fb_id[r.person]),
            )
            if wanted and wanted != "NONE":
                reactions = [r for r in reactions if r.type == wanted]
            return reactions

        def as_json(reaction) -> dict:
            self._shown_to_viewer({"id": str(int(pop.fb_id[reaction.person]))})
            return self._drift(
                {
                    "id": str(int(pop.fb_id[reaction.person])),
                    "name": pop.fb_name[reaction.person],
                    "type": reaction.type,
                }
            )

        response = self._page_of(build, params, path, lambda r: int(pop.fb_id[r.person]), as_json)
        if params.get("summary") in ("true", "total_count", "1"):
            response.body["summary"] = {"total_count": response.total}
        return response

    def _insights(self, node: str, params: dict[str, str], path: str) -> Response:
        brand = self._page(node)
        if not self.owns(node):  # strictly: a Page's insights need that Page's token
            raise graph_error(
                "(#10) Reading a Page's insights requires a Page access token of that Page"
                " with the ANALYZE task",
                10,
            )
        if params.get("period", "day") != "day":
            raise graph_error("(#100) Only period=day is available", 100)
        metrics = [m for m in params.get("metric", "").split(",") if m]
        if not metrics or any(
            m not in INSIGHT_METRICS or m in self.retired_metrics for m in metrics
        ):
            raise graph_error("(#100) The value must be a valid insights metric", 100)
        rows = self.world.fans(brand)
        last = len(rows) - 1
        until = _day_of(params.get("until"), last + 1)
        since = _day_of(params.get("since"), max(0, until - 93))
        if until - since > 93:
            raise graph_error(
                "(#100) The since and until parameters must be no more than 93 days apart", 100
            )
        until = min(until, last + 1)
        data = []
        for metric in metrics:
            values = [
                {
                    "value": _metric_value(metric, rows[day], day),
                    "end_time": graph_time((day + 1) * DAY),
                }
                for day in range(max(since, 0), until)
            ]
            data.append(
                {
                    "name": metric,
                    "period": "day",
                    "values": values,
                    "title": metric.replace("_", " ").title(),
                    "description": f"Daily: {metric.replace('_', ' ')}",
                    "id": f"{node}/insights/{metric}/day",
                }
            )
        # Graph pages insights by time: the windows before and after this one
        span = max(1, until - since) * DAY
        window = {"metric": ",".join(metrics), "period": "day"}
        paging = {
            direction: f"{self.base_url}/{self.version}/{path}?"
            + urlencode({**window, "since": start, "until": start + span})
            for direction, start in (
                ("previous", since * DAY - span),
                ("next", until * DAY),
            )
        }
        return Response(200, {"data": data, "paging": paging})

    # --- helpers --------------------------------------------------------------------------

    def forget_listings(self) -> None:
        self._listings.clear()
        self._page_listings.clear()

    def _page(self, node: str) -> int:
        brand = _brand_of_page(node)
        if brand is None:
            raise _missing(node)
        return brand

    def _in_window(self, posts, params: dict[str, str]) -> list[Post]:
        since = parse_time(params["since"]) if params.get("since") else None
        until = parse_time(params["until"]) if params.get("until") else None
        return [
            p
            for p in posts
            if (since is None or p.created >= since) and (until is None or p.created <= until)
        ]

    def _listing(self, build, params: dict[str, str], path: str, key) -> tuple[list, list]:
        """Items and their sort keys, cached per query and clock (pages of one walk reuse it)."""
        varying = {"after", "before", "limit", "access_token", "fields", "summary"}
        cache_key = (
            path,
            tuple(sorted((k, v) for k, v in params.items() if k not in varying)),
            self.world.clock,
        )
        # a Page's post listings apart from the edges' (a listing per post): a walk of a
        # post's comments between two pages of its Page's feed must not push the feed out,
        # or each feed page would build the whole listing again
        page_listing = path.rsplit("/", 1)[-1] in PAGE_LISTINGS
        cache = self._page_listings if page_listing else self._listings
        if cache_key not in cache:
            items = [i for i in build() if getattr(i, "id", None) not in self.hidden]
            cache[cache_key] = (items, [_jsonable(key(item)) for item in items])
            if len(cache) > (PAGE_LISTINGS_KEPT if page_listing else EDGE_LISTINGS_KEPT):
                cache.popitem(last=False)
        else:
            cache.move_to_end(cache_key)
        return cache[cache_key]

    def _page_of(self, build, params: dict[str, str], path: str, key, as_json) -> Response:
        items, keys = self._listing(build, params, path, key)
        try:
            limit = int(params.get("limit", DEFAULT_LIMIT))
        except ValueError as exc:
            raise graph_error("(#100) limit must be an integer", 100) from exc
        limit = max(1, min(limit, MAX_LIMIT))
        try:
            after = pagination.decode(params["after"]) if params.get("after") else None
        except pagination.BadCursor as exc:
            raise graph_error("(#100) The parameter after is invalid", 100) from exc
        start, end = pagination.page_after(keys, after, limit)
        chunk = items[start:end]
        if self.duplicate_items and after is not None and start > 0:
            chunk = [items[start - 1], *chunk]
        body: dict = {"data": [as_json(item) for item in chunk]}
        if chunk:
            paging: dict = {
                "cursors": {
                    "before": pagination.encode(keys[start]),
                    "after": pagination.encode(keys[end - 1]),
                }
            }
            if end < len(items):
                query = {**params, "after": paging["cursors"]["after"], "limit": str(limit)}
                paging["next"] = f"{self.base_url}/{self.version}/{path}?{urlencode(query)}"
            body["paging"] = paging
        response = Response(200, body)
        response.total = len(items)
        return response

    def _post_json(self, post: Post) -> dict:
        body = {"id": post.id, "created_time": graph_time(post.created)}
        if post.author is not None:
            msg = post.author
            body["message"] = msg.text_at(self.world.clock)
            if self.owns(BRANDS[post.brand].page_id):  # who wrote it: the Page's token only
                body["from"] = self._shown_to_viewer(self._from(msg))
            if msg.edited_at is not None and msg.edited_at <= self.world.clock:
                body["updated_time"] = graph_time(msg.edited_at)
        else:
            brand = BRANDS[post.brand]
            body["message"] = post.message
            body["from"] = {"id": brand.page_id, "name": brand.name}
            body["updated_time"] = body["created_time"]
        if self.schema_drift:
            body.pop("updated_time", None)
        return self._drift(body)

    def _comment_json(self, comment: Message) -> dict:
        body = {
            "id": comment.id,
            "created_time": graph_time(comment.created),
            "from": self._from(comment),
            "message": comment.text_at(self.world.clock),
        }
        page = BRANDS[comment.brand].page_id
        if self.owns(page):
            self._shown_to_viewer(body["from"])
        else:  # who wrote it: the owning Page's token only
            del body["from"]
            if page not in self.access.managed:  # no id without the MODERATE task on the Page
                del body["id"]
                return self._drift(body)
        if comment.parent_id:
            body["parent"] = {"id": comment.parent_id}
        return self._drift(body)

    def _shown_to_viewer(self, author: dict) -> dict:
        """Note that the asking Page's token was shown this person (see `_node`)."""
        if self._viewer.page is not None:
            self._shown.setdefault(self._viewer.page, set()).add(str(author["id"]))
        return author

    def _from(self, msg: Message) -> dict:
        if msg.person is None:
            brand = BRANDS[msg.brand]
            return {"id": brand.page_id, "name": brand.name}
        pop = self.world.population
        return {"id": str(int(pop.fb_id[msg.person])), "name": pop.fb_name[msg.person]}

    def _drift(self, body: dict) -> dict:
        if self.schema_drift:
            body["is_simulated_drift"] = True
        return body


def _metric_value(metric: str, row, day: int) -> int:  # a numpy row
    """A day's value: followers, follows and unfollows are the world's; the view and
    engagement counts are derived from the follower count (no truth is kept for them)."""
    followers, follows, unfollows = (int(v) for v in row)
    wobble = 1 + ((day * 7919) % 13) / 26  # deterministic day-to-day variation
    derived = {
        "page_follows": followers,
        "page_daily_follows_unique": follows,
        "page_daily_unfollows_unique": unfollows,
        "page_post_engagements": int(followers * 0.05 * wobble),
        "page_media_view": int(followers * 1.6 * wobble),
        "page_total_media_view_unique": int(followers * 0.7 * wobble),
        "page_views_total": int(followers * 0.08 * wobble),
    }
    return derived[metric]


def _only(fields: list[str], allowed: frozenset[str], node_type: str) -> None:
    """Graph's answer to a field the node does not have (or the token may not read)."""
    for field in fields:
        if field not in allowed:
            raise graph_error(
                f"(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})",
                100,
            )


def _select(body: dict, fields: list[str], default: tuple[str, ...]) -> dict:
    wanted = fields or default
    return {k: v for k, v in body.items() if k in wanted or k == "is_simulated_drift"}


def _ids_gone(version: str) -> bool:
    """Whether `version` (`v26.0`) is one from which `?ids=` is gone for every app."""
    try:
        major, minor = (int(p) for p in version.lstrip("v").split("."))
    except ValueError:
        return True  # no version in the path: the app's newest
    return (major, minor) >= IDS_GONE_FROM


def _linked_ig(brand) -> dict:
    """`instagram_business_account` of a Page the brand manages: ours is linked to our IG
    User; a field left out where no account is linked, as Graph does."""
    if brand.page_id != BRANDS[0].page_id or not brand.ig_user_id:
        return {}
    return {"instagram_business_account": {"id": brand.ig_user_id}}


def _brand_of_page(node: str) -> int | None:
    return next((i for i, b in enumerate(BRANDS) if b.page_id == node), None)


def _missing(node: str) -> ApiError:
    return graph_error(
        f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation.",
        100,
        subcode=33,
        kind="GraphMethodException",
    )


def _day_of(value: str | None, default: int) -> int:
    return default if not value else parse_time(value) // DAY


def _newest_first(comment: Message) -> tuple:
    """A comment's place newest first, flat (a cursor's JSON compares like the key)."""
    return (-comment.created, *(-ord(ch) for ch in comment.id))


def _jsonable(key):
    return list(key) if isinstance(key, tuple) else key
