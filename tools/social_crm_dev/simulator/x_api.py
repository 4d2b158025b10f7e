"""X API v2 shapes over the world: recent and full-archive search (mentions, the brand's
replies) and their Post counts, tweet lookup by ids, user lookup and followers, with
`next_token`/`pagination_token` paging and X's error format.

Never kinder than the real API (docs.x.com/x-api):
- Recent search serves the last 7 days of the API's clock: `start_time` or `since_id` older
  than that is a 400 (`'start_time' must be on or after ...`); without `start_time` the window
  starts 7 days ago. `end_time` must be at least 10 seconds before the request. Full-archive
  search (`/2/tweets/search/all`, pro tier) starts 30 days back unless told otherwise.
- Access tiers (`XProfile.tier`): each has its endpoints and per-15-minute request limits, and
  a monthly Post cap counted on every Post returned (docs.x.com/x-api/fundamentals/post-cap,
  docs.x.com/x-api/fundamentals/rate-limits); an endpoint outside the tier answers 403
  `client-forbidden`, a spent cap 429 `usage-capped`. Every answer carries `x-rate-limit-*`.
- Search returns no reposts (docs.x.com/changelog, 2026-05-04: "retweets are no longer
  returned in keyword-based search results"; we apply it to every query, the stricter
  reading), and neither do the counts.
- Owned timelines (docs.x.com/x-api/posts/timelines/integrate): `GET /2/users/:id/mentions`
  (Posts of others that mention the account, reposts of them included: the docs do not
  exclude them) and `GET /2/users/:id/tweets` (the account's own, `exclude=retweets,replies`)
  reach only the 800 (mentions; own Posts with exclude=replies) or 3,200 most recent Posts:
  a request beyond answers 200 with no data, and paging just ends there. They page with
  `pagination_token` (max_results 5 to 100, default 10; a later page's `previous_token` is
  given, never served: stricter) and refuse a parameter they do not
  document (`next_token` included), `start_time` not before `end_time`, `since_id` not
  below `until_id` (the OpenAPI spec, docs.x.com/x-api/users/get-mentions).
- Post counts (`/2/tweets/counts/recent|all`, docs.x.com/x-api/posts/recent-search-counts):
  buckets of `start`, `end`, `tweet_count` tiling the window (the first from `start_time`, the
  last to `end_time`), `meta.total_tweet_count`; full-archive counts page by 31 days. They
  read no Posts (nothing against the cap) and count what search returns.
"""

from __future__ import annotations

import heapq
import re
import threading
import time
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from social_crm_dev.simulator import pagination
from social_crm_dev.simulator.activity import TWEPOCH_MS, WORLD_START_MS, Message
from social_crm_dev.simulator.config import BRANDS, DAY
from social_crm_dev.simulator.responses import ApiError, Response, parse_time, to_datetime
from social_crm_dev.simulator.world import World
from social_crm_dev.simulator.x_billing import XBilling

INVALID = "https://api.twitter.com/2/problems/invalid-request"
PROBLEMS = "https://api.twitter.com/2/problems"
RECENT_DAYS = 7
ARCHIVE_DEFAULT_DAYS = 30
END_TIME_GAP = 10  # seconds: end_time must be at least this much before the request
COUNTS_DEFAULT_END_GAP = 30  # seconds: counts without end_time stop this long before now
COUNTS_PAGE_DAYS = 31  # full-archive counts answer 31 days a page
COUNT_BUCKETS = {"minute": 60, "hour": 3600, "day": DAY}

# Per-app requests per window, by tier and endpoint (docs.x.com/x-api/fundamentals/rate-limits;
# where the tables disagree, the lower number). Free has no read endpoints in today's table.
TIER_LIMITS: dict[str, dict[str, int]] = {
    "free": {},
    "basic": {
        "search_recent": 60,
        "counts_recent": 60,
        "tweets_lookup": 15,
        "user_lookup": 100,
        "mentions": 10,
        "user_tweets": 5,
    },
    "pro": {
        "mentions": 450,
        "user_tweets": 1500,
        "search_recent": 450,
        "search_all": 300,
        "counts_recent": 300,
        "counts_all": 300,
        "tweets_lookup": 450,
        "user_lookup": 300,
        "followers": 15,
        "users_me": 75,
    },
}
# Pay-per-use, what a developer who signs up since 2026-02-06 gets: every endpoint, the per-app
# limits of today's table (docs.x.com/x-api/fundamentals/rate-limits; the usage endpoint's is
# not listed: the lowest of its neighbours), billing per resource (`x_billing.py`)
TIER_LIMITS["pay_per_use"] = {
    "search_recent": 450,
    "search_all": 300,
    "counts_recent": 300,
    "counts_all": 300,
    "tweets_lookup": 3500,
    "user_lookup": 300,
    "followers": 300,
    "mentions": 450,  # GET /2/users/:id/mentions
    "user_tweets": 10_000,  # GET /2/users/:id/tweets
    "usage_tweets": 30,
    "users_me": 75,  # GET /2/users/me, per user
}
# full-archive search: also "1/sec" per app and per user, beside its 300 a 15-minute window
# (docs.x.com/x-api/fundamentals/rate-limits): seconds between two requests at least
PER_SECOND = {"search_all": 1.0}
# the monthly Post cap: pay-per-use 3 million since 2026-08-13 (2 million before: docs.x.com
# /x-api/getting-started/pricing and /x-api/fundamentals/post-cap, xdevplatform/docs c2317112)
TIER_MONTHLY_POSTS = {"free": 500, "basic": 10_000, "pro": 1_000_000, "pay_per_use": 3_000_000}
# count against the cap
POST_ENDPOINTS = {"search_recent", "search_all", "tweets_lookup", "mentions", "user_tweets"}
# the most recent Posts an owned timeline reaches (docs.x.com/x-api/posts/timelines/integrate)
MENTIONS_HORIZON = 800
TWEETS_HORIZON = 3200
TWEETS_NO_REPLIES_HORIZON = 800
TIMELINE_PARAMS = {
    "max_results",
    "pagination_token",
    "start_time",
    "end_time",
    "since_id",
    "until_id",
    "tweet.fields",
    "expansions",
    "user.fields",
    "media.fields",
    "poll.fields",
    "place.fields",
}
OLDEST_TIMELINE_TIME = "2010-11-06T00:00:00Z"  # "Must be on or after 2010-11-06"


# X tags a Post with the language its own detector found, or "und" when it could not tell
# (X API v2 Post object, field `lang`): short Posts often go untagged. One in UNTAGGED of the
# simulated Posts, chosen by id, is "und".
UNTAGGED = 12


def x_lang(tweet: Message) -> str:
    return "und" if int(tweet.id) % UNTAGGED == 0 else tweet.lang


@dataclass
class XProfile:
    """The access the simulated X project has: tier, window length, monthly Post cap."""

    tier: str = "pay_per_use"  # what a developer who signs up today gets (docs/real-apis.md)
    window_seconds: float = 900.0  # 0: request limits are reported, never enforced
    monthly_posts: int | None = None  # None: the tier's cap
    billing: XBilling = field(default_factory=XBilling)  # pay_per_use: what it was charged
    _posts_by_day: dict[str, int] = field(default_factory=dict, repr=False)
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict, repr=False)
    _posts_by_month: dict[str, int] = field(default_factory=dict, repr=False)
    _last_request: dict[str, float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.tier not in TIER_LIMITS:
            raise ValueError(f"unknown X tier {self.tier!r} (known: {', '.join(TIER_LIMITS)})")

    @property
    def cap(self) -> int:
        return TIER_MONTHLY_POSTS[self.tier] if self.monthly_posts is None else self.monthly_posts

    def admit(
        self, endpoint: str, month: str, clock: float
    ) -> tuple[Response | None, dict[str, str]]:
        """An error answer when the request is refused (tier, limit, cap), and the rate-limit
        headers for the answer either way. Windows run on the machine's time; their reset is
        given on the API's clock `clock` (epoch seconds, what the `Date` header says), as X's
        is on X's."""
        limits = TIER_LIMITS[self.tier]
        if endpoint not in limits:
            return client_forbidden(self.tier), {}
        if self.tier == "pay_per_use" and (refused := self.billing.refusal(month)) is not None:
            return refused, {}
        limit = limits[endpoint]
        now = time.time()
        with self._lock:
            gap = PER_SECOND.get(endpoint)
            if gap and self.window_seconds:  # on the machine's time, as the windows are
                last = self._last_request.get(endpoint)
                if last is not None and now - last < gap:
                    return too_many_requests(), {
                        "x-rate-limit-limit": "1",
                        "x-rate-limit-remaining": "0",
                        "x-rate-limit-reset": str(int(clock + gap - (now - last) + 0.999)),
                    }
                self._last_request[endpoint] = now
            started, used = self._windows.get(endpoint, (now, 0))
            length = self.window_seconds or 900.0
            if now - started >= length:
                started, used = now, 0
            reset = str(int(clock + (started + length - now) + 0.999))
            if self.window_seconds and used >= limit:
                headers = {
                    "x-rate-limit-limit": str(limit),
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": reset,
                }
                return too_many_requests(), headers
            used += 1
            self._windows[endpoint] = (started, used)
            headers = {
                "x-rate-limit-limit": str(limit),
                "x-rate-limit-remaining": str(max(0, limit - used)),
                "x-rate-limit-reset": reset,
            }
            if endpoint in POST_ENDPOINTS and self._posts_by_month.get(month, 0) >= self.cap:
                return usage_capped(self.tier), headers
        return None, headers

    def count_posts(self, month: str, posts: int, day: str = "") -> None:
        with self._lock:
            self._posts_by_month[month] = self._posts_by_month.get(month, 0) + posts
            if day:
                self._posts_by_day[day] = self._posts_by_day.get(day, 0) + posts

    def usage(self, days: int, month: str) -> Response:
        """`GET /2/usage/tweets?days=` in the shape of X's OpenAPI (`Usage`: counts as
        strings, `daily_project_usage` an object of `usage` entries with ISO date-times). The
        docs page's example (docs.x.com/x-api/usage/introduction) shows another (an array of
        days of `tweets_consumed` numbers): a client must read both."""
        with self._lock:
            daily = sorted(self._posts_by_day.items())[-days:]
            used = self._posts_by_month.get(month, 0)
        return Response(
            200,
            {
                "data": {
                    "cap_reset_day": 1,
                    "daily_project_usage": {
                        "project_id": "1",
                        "usage": [
                            {"date": f"{d}T00:00:00.000Z", "usage": str(n)} for d, n in daily
                        ],
                    },
                    "project_cap": str(self.cap),
                    "project_id": "1",
                    "project_usage": str(used),
                }
            },
        )

    def posts_read(self, month: str) -> int:
        return self._posts_by_month.get(month, 0)

    def posts_read_in_all(self) -> int:
        return sum(self._posts_by_month.values())


def client_forbidden(tier: str) -> Response:
    return Response(
        403,
        {
            "client_id": "simulated-app",
            "detail": (
                "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
                "and tokens from a Twitter developer App that is attached to a Project with the "
                f"appropriate level of API access (this project: {tier})."
            ),
            "registration_url": "https://developer.x.com/en/portal/products",
            "title": "Client Forbidden",
            "required_enrollment": "Appropriate Level of API Access",
            "reason": "client-not-enrolled",
            "type": f"{PROBLEMS}/client-forbidden",
        },
    )


def unsupported_authentication() -> Response:
    """GET /2/users/me asked with an app-only token: "The /me endpoint requires User Context
    authentication. App-Only (Bearer Token) authentication is not supported" (docs.x.com/x-api/
    users/lookup/quickstart/authenticated-lookup); the field's answer is this 403."""
    return Response(
        403,
        {
            "title": "Unsupported Authentication",
            "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this "
            "endpoint.  Supported authentication types are [OAuth 1.0a User Context, "
            "OAuth 2.0 User Context].",
            "type": "https://api.twitter.com/2/problems/unsupported-authentication",
            "status": 403,
        },
    )


def too_many_requests() -> Response:
    return Response(
        429,
        {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        },
    )


def usage_capped(tier: str = "pro") -> Response:
    body = {
        "title": "UsageCapExceeded",
        "detail": "Usage cap exceeded: Monthly product cap",
        "type": f"{PROBLEMS}/usage-capped",
        "period": "Monthly",
        "scope": "Product",
    }
    if tier == "pay_per_use":  # as reported of a pay-per-use project (xdevplatform/xdk#25)
        body = {"account_id": "1", "product_name": "standard-basic", **body}
    return Response(429, body)


def endpoint_of(parts: list[str]) -> str | None:
    if parts == ["tweets", "search", "recent"]:
        return "search_recent"
    if parts == ["tweets", "search", "all"]:
        return "search_all"
    if parts == ["tweets", "counts", "recent"]:
        return "counts_recent"
    if parts == ["tweets", "counts", "all"]:
        return "counts_all"
    if parts == ["tweets"]:
        return "tweets_lookup"
    if parts == ["usage", "tweets"]:
        return "usage_tweets"
    if len(parts) == 3 and parts[0] == "users" and parts[2] == "followers":
        return "followers"
    if len(parts) == 3 and parts[0] == "users" and parts[2] == "mentions":
        return "mentions"
    if len(parts) == 3 and parts[0] == "users" and parts[2] == "tweets":
        return "user_tweets"
    if parts == ["users", "me"]:
        return "users_me"
    if len(parts) == 2 and parts[0] == "users":
        return "user_lookup"
    return None


def x_invalid(message: str, parameter: str, value: str) -> ApiError:
    return ApiError(
        Response(
            400,
            {
                "errors": [{"parameters": {parameter: [value]}, "message": message}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": INVALID,
            },
        )
    )


def x_not_found(resource: str, value: str) -> ApiError:
    return ApiError(
        Response(
            200,
            {
                "errors": [
                    {
                        "value": value,
                        "detail": f"Could not find {resource} with id: [{value}].",
                        "title": "Not Found Error",
                        "resource_type": resource,
                        "parameter": "id",
                        "resource_id": value,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            },
        )
    )


def x_time(seconds: int) -> str:
    return to_datetime(seconds).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class XApi:
    def __init__(self, world: World) -> None:
        self.world = world
        self.duplicate_items = False
        self.schema_drift = False
        self.hidden: set[str] = set()  # tweet ids deleted at the source for now

    def handle(self, parts: list[str], params: dict[str, str]) -> Response:
        if parts == ["tweets", "search", "recent"]:
            return self._search(params, archive=False)
        if parts == ["tweets", "search", "all"]:
            return self._search(params, archive=True)
        if parts == ["tweets", "counts", "recent"]:
            return self._counts(params, archive=False)
        if parts == ["tweets", "counts", "all"]:
            return self._counts(params, archive=True)
        if parts == ["tweets"]:
            return self._lookup(params)
        if len(parts) == 3 and parts[0] == "users" and parts[2] == "followers":
            return self._followers(parts[1], params)
        if len(parts) == 3 and parts[0] == "users" and parts[2] in ("mentions", "tweets"):
            return self._timeline(parts[1], parts[2], params)
        if len(parts) == 2 and parts[0] == "users":
            return self._user(parts[1], params)
        return Response(
            404,
            {
                "title": "Not Found",
                "type": "about:blank",
                "status": 404,
                "detail": f"no route /2/{'/'.join(parts)}",
            },
        )

    # --- search ---------------------------------------------------------------------------

    def _search(self, params: dict[str, str], *, archive: bool) -> Response:
        limit = _int_param(params, "max_results", 10, 10, 500 if archive else 100)
        after = _token(params, "next_token")  # the last id already returned
        if after is not None and self.duplicate_items:
            after += 1  # duplicated-items fault: the page repeats the last item of the previous one
        chunk: list[Message] = []
        more = False
        for tweet in self._matching(params, archive, after):
            if len(chunk) == limit:
                more = True
                break
            chunk.append(tweet)

        fields = set(params.get("tweet.fields", "").split(","))
        data = [self._tweet_json(t, fields) for t in chunk]
        meta: dict = {"result_count": len(data)}
        if chunk:
            meta["newest_id"], meta["oldest_id"] = chunk[0].id, chunk[-1].id
        if more:
            meta["next_token"] = pagination.encode(int(chunk[-1].id))
        body: dict = {"meta": meta}
        if data:
            body["data"] = data
            body.update(self._author_includes(chunk, params))
        return Response(200, body)

    def _matching(
        self, params: dict[str, str], archive: bool, before_id: int | None = None
    ) -> Iterator[Message]:
        """The visible Posts a search `query` matches in the request's window (start_time,
        end_time, since_id, until_id; ids below `before_id`), newest first."""
        query = params.get("query", "")
        if not query:
            raise x_invalid("The `query` query parameter can not be empty", "query", "")
        mentioned = {h.lower() for h in re.findall(r"@(\w+)", query)}
        authors = {h.lower() for h in re.findall(r"from:(\w+)", query)}
        start, end, since_id = self._search_window(params, archive)
        until_id = _id_param(params, "until_id") if params.get("until_id") else None
        if before_id is not None:
            until_id = before_id if until_id is None else min(until_id, before_id)
        if until_id is not None:
            latest = tweet_created(until_id) + 1
            end = latest if end is None else min(end, latest)
        streams = []
        for index, brand in enumerate(BRANDS):
            handle = brand.x_handle.lower()
            if handle in mentioned or handle in authors:
                want_own, want_others = handle in authors, handle in mentioned
                streams.append(
                    t
                    for t in self.world.tweets(index, start, end)
                    if (t.person is None and want_own) or (t.person is not None and want_others)
                )
                if want_others:  # a repost mentions the brand too, in its `RT @...:` text
                    streams.append(self.world.reposts(index, start, end))
        for tweet in heapq.merge(*streams, key=lambda t: -int(t.id)):
            if tweet.kind == "repost":
                continue  # no reposts in search since 2026-05-04 (docs.x.com/changelog)
            if tweet.id in self.hidden:
                continue
            tid = int(tweet.id)
            if until_id is not None and tid >= until_id:
                continue
            if tid <= since_id:
                return
            yield tweet

    def _counts(self, params: dict[str, str], *, archive: bool) -> Response:
        """`GET /2/tweets/counts/recent|all`: how many Posts the query matches per minute, hour
        or day of the window (`data[]` of start, end, tweet_count; `meta.total_tweet_count`),
        the same Posts search returns; full-archive counts page by 31 days (`next_token`)."""
        granularity = params.get("granularity", "hour")
        if granularity not in COUNT_BUCKETS:
            raise x_invalid(
                f"The `granularity` query parameter value [{granularity}] is not one of "
                "[minute,hour,day]",
                "granularity",
                granularity,
            )
        start, end, _ = self._search_window(params, archive)
        end = self.world.clock - COUNTS_DEFAULT_END_GAP if end is None else end
        page_start = _token(params, "next_token") or _token(params, "pagination_token") or start
        page_end = min(end, page_start + COUNTS_PAGE_DAYS * DAY) if archive else end
        step = COUNT_BUCKETS[granularity]
        edges = [page_start, *range((page_start // step + 1) * step, page_end, step), page_end]
        counts = dict.fromkeys(edges[:-1], 0)
        window = {**params, "start_time": x_time(page_start), "end_time": x_time(page_end)}
        for tweet in self._matching(window, archive):
            bucket = edges[max(0, bisect_right(edges, tweet.created) - 1)]
            counts[bucket] += 1
        data = [
            {"end": x_time(b), "start": x_time(a), "tweet_count": counts[a]}
            for a, b in zip(edges, edges[1:], strict=False)
        ]
        meta: dict = {"total_tweet_count": sum(counts.values())}
        if page_end < end:
            meta["next_token"] = pagination.encode(page_end)
        return Response(200, {"data": data, "meta": meta})

    def _author_includes(self, tweets: list[Message], params: dict[str, str]) -> dict:
        """`includes.users` for `expansions=author_id` (search and lookup alike:
        developer.x.com/en/docs/x-api/tweets/lookup/api-reference/get-tweets)."""
        if not tweets or "author_id" not in params.get("expansions", "").split(","):
            return {}
        people = sorted({t.person for t in tweets if t.person is not None})
        users = [self._user_json(p, params) for p in people]
        brands = sorted({t.brand for t in tweets if t.person is None})
        users += [self._brand_json(b, params) for b in brands]
        return {"includes": {"users": users}}

    def _search_window(self, params: dict[str, str], archive: bool) -> tuple[int, int | None, int]:
        """start, end (world seconds) and since_id of a search, refused as X refuses them."""
        now = self.world.clock
        oldest = None if archive else now - RECENT_DAYS * DAY
        start = parse_time(params["start_time"]) if params.get("start_time") else None
        if start is None:
            start = now - (ARCHIVE_DEFAULT_DAYS if archive else RECENT_DAYS) * DAY
        elif oldest is not None and start < oldest:
            raise x_invalid(
                f"Invalid 'start_time':'{params['start_time']}'. 'start_time' must be on or after "
                f"{_minute(oldest)}",
                "start_time",
                params["start_time"],
            )
        end = parse_time(params["end_time"]) if params.get("end_time") else None
        if end is not None and end > now - END_TIME_GAP:
            raise x_invalid(
                f"Invalid 'end_time':'{params['end_time']}'. 'end_time' must be a minimum of 10 "
                "seconds prior to the request time.",
                "end_time",
                params["end_time"],
            )
        if end is not None and end <= start:
            raise x_invalid(
                "Invalid 'start_time'. 'start_time' must be before 'end_time'",
                "start_time",
                params.get("start_time", ""),
            )
        since_id = _id_param(params, "since_id") if params.get("since_id") else 0
        if since_id and oldest is not None and tweet_created(since_id) < oldest:
            raise x_invalid(
                f"'since_id' must be a tweet id created after {_minute(oldest)}. Please use a "
                "'since_id' that is larger than "
                f"{((oldest * 1000 + WORLD_START_MS - TWEPOCH_MS) << 22)}",
                "since_id",
                params["since_id"],
            )
        return start, end, since_id

    def _lookup(self, params: dict[str, str]) -> Response:
        """`GET /2/tweets?ids=`: the visible ones under data, the rest under errors."""
        ids = [i for i in params.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= 100 or not all(i.isdigit() for i in ids):
            raise x_invalid(
                "The `ids` query parameter value must be 1 to 100 comma-separated tweet ids",
                "ids",
                params.get("ids", ""),
            )
        fields = set(params.get("tweet.fields", "").split(","))
        found, errors = [], []
        for tweet_id in ids:
            tweet = self._tweet_by_id(tweet_id)
            if tweet is None:
                errors.append(
                    {
                        "value": tweet_id,
                        "detail": f"Could not find tweet with ids: [{tweet_id}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "resource_id": tweet_id,
                        "type": f"{PROBLEMS}/resource-not-found",
                    }
                )
            else:
                found.append(tweet)
        body: dict = {}
        if found:
            body["data"] = [self._tweet_json(t, fields) for t in found]
            body.update(self._author_includes(found, params))
        if errors:
            body["errors"] = errors
        return Response(200, body)

    def _tweet_by_id(self, tweet_id: str) -> Message | None:
        if tweet_id in self.hidden:
            return None
        number = int(tweet_id)
        brand = tweet_brand(number)
        created = tweet_created(number)
        if brand >= len(BRANDS) or not 0 <= created <= self.world.clock:
            return None
        day = created // DAY
        return next(
            (
                t
                for t in (
                    *self.world.tweets_created_on(brand, day),
                    *self.world.reposts_created_on(brand, day),
                )
                if t.id == tweet_id and t.visible(self.world.clock)
            ),
            None,
        )

    def _tweet_json(self, tweet: Message, fields: set[str]) -> dict:
        pop = self.world.population
        author = (
            BRANDS[tweet.brand].x_user_id
            if tweet.person is None
            else str(int(pop.x_id[tweet.person]))
        )
        body: dict = {
            "id": tweet.id,
            "text": tweet.text,
            "edit_history_tweet_ids": [tweet.id],
            "author_id": author,
        }
        root = tweet.parent_id or tweet.id
        optional = {
            "created_at": x_time(tweet.created),
            "lang": x_lang(tweet),
            "conversation_id": root,
            "public_metrics": {
                "retweet_count": 0,
                "reply_count": 0,
                "like_count": 0,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": 0,
            },
        }
        if tweet.reposted_id:
            optional["referenced_tweets"] = [{"type": "retweeted", "id": tweet.reposted_id}]
        elif tweet.parent_id:
            optional["referenced_tweets"] = [{"type": "replied_to", "id": tweet.parent_id}]
            replied = self._replied_user(tweet)
            if replied:
                optional["in_reply_to_user_id"] = replied
        return self._with_fields(body, optional, fields, drifts_away="lang")

    def _with_fields(self, body: dict, optional: dict, fields: set[str], drifts_away: str) -> dict:
        """Add the optional fields the request asked for; under schema drift, drop one and add
        an unknown one."""
        body.update({name: value for name, value in optional.items() if name in fields})
        if self.schema_drift:
            body.pop(drifts_away, None)
            body["is_simulated_drift"] = True
        return body

    def _replied_user(self, tweet: Message) -> str | None:
        if tweet.reply_to_person is None:
            return None
        return str(int(self.world.population.x_id[tweet.reply_to_person]))

    # --- owned timelines ------------------------------------------------------------------

    def _timeline(self, user_id: str, kind: str, params: dict[str, str]) -> Response:
        """`GET /2/users/:id/mentions` and `/2/users/:id/tweets`: the account's most recent
        Posts (mentions of it by others, reposts included; or its own), newest first, within
        the timeline's horizon; `pagination_token` names the last id of the previous page."""
        allowed = TIMELINE_PARAMS | ({"exclude"} if kind == "tweets" else set())
        for name in params:
            if name not in allowed:
                raise x_invalid(
                    f"The query parameter [{name}] is not one of "
                    f"[{','.join(['id', *sorted(allowed)])}]",
                    name,
                    params[name],
                )
        limit = _int_param(params, "max_results", 10, 5, 100)
        exclude = {e for e in params.get("exclude", "").split(",") if e}
        if not exclude <= {"replies", "retweets"}:
            raise x_invalid(
                f"The `exclude` query parameter value [{params['exclude']}] is not one of "
                "[replies,retweets]",
                "exclude",
                params["exclude"],
            )
        start, end, since_id, until_id = self._timeline_window(params)
        brand = next((i for i, b in enumerate(BRANDS) if b.x_user_id == user_id), None)
        if brand is None:
            person = self.world.person_by_x_id(int(user_id)) if user_id.isdigit() else None
            if person is None:
                raise x_not_found("user", user_id)
            return Response(200, {"meta": {"result_count": 0}})  # people's timelines: none
        if kind == "mentions":
            horizon = MENTIONS_HORIZON
            posts = heapq.merge(
                (t for t in self.world.tweets(brand) if t.person is not None),
                self.world.reposts(brand),
                key=lambda t: -int(t.id),
            )
        else:
            horizon = TWEETS_NO_REPLIES_HORIZON if "replies" in exclude else TWEETS_HORIZON
            posts = (
                t
                for t in self.world.tweets(brand)
                if t.person is None and not ("replies" in exclude and t.parent_id)
            )
        reachable: list[Message] = []
        for tweet in posts:
            if tweet.id in self.hidden or (tweet.reposted_id or "") in self.hidden:
                continue
            reachable.append(tweet)
            if len(reachable) == horizon:
                break  # beyond: a successful answer with no data
        after = _token(params, "pagination_token")
        if after is not None and self.duplicate_items:
            after += 1  # duplicated-items fault: the last item of the previous page again
        matching = [
            t
            for t in reachable
            if start <= t.created < end
            and int(t.id) > since_id
            and (until_id is None or int(t.id) < until_id)
            and (after is None or int(t.id) < after)
        ]
        chunk, more = matching[:limit], len(matching) > limit
        fields = set(params.get("tweet.fields", "").split(","))
        meta: dict = {"result_count": len(chunk)}
        if chunk:
            meta["newest_id"], meta["oldest_id"] = chunk[0].id, chunk[-1].id
        if more:
            meta["next_token"] = pagination.encode(int(chunk[-1].id))
        if chunk and after is not None:  # a token back to the page before: we serve none
            meta["previous_token"] = pagination.encode(["before", int(chunk[0].id)])
        body: dict = {"meta": meta}
        if chunk:
            body["data"] = [self._tweet_json(t, fields) for t in chunk]
            body.update(self._author_includes(chunk, params))
        return Response(200, body)

    def _timeline_window(self, params: dict[str, str]) -> tuple[int, int, int, int | None]:
        """start, end (world seconds), since_id and until_id of a timeline request, refused
        as the OpenAPI spec refuses them."""
        floor = parse_time(OLDEST_TIMELINE_TIME)
        bounds = {}
        for name in ("start_time", "end_time"):
            raw = params.get(name)
            moment = parse_time(raw) if raw else None
            if moment is not None and moment < floor:
                raise x_invalid(
                    f"Invalid '{name}':'{raw}'. '{name}' must be on or after 2010-11-06T00:00Z",
                    name,
                    raw or "",
                )
            bounds[name] = moment
        start = bounds["start_time"] if bounds["start_time"] is not None else floor
        end = bounds["end_time"] if bounds["end_time"] is not None else self.world.clock + 1
        if bounds["start_time"] is not None and bounds["end_time"] is not None and end <= start:
            raise x_invalid(
                "Invalid 'start_time'. 'start_time' must be before 'end_time'",
                "start_time",
                params["start_time"],
            )
        since_id = _id_param(params, "since_id") if params.get("since_id") else 0
        until_id = _id_param(params, "until_id") if params.get("until_id") else None
        if since_id and until_id is not None and since_id >= until_id:
            raise x_invalid(
                "Invalid 'since_id'. 'since_id' must be less than 'until_id'",
                "since_id",
                params["since_id"],
            )
        return start, end, since_id, until_id

    # --- users ----------------------------------------------------------------------------

    def _followers(self, user_id: str, params: dict[str, str]) -> Response:
        limit = _int_param(params, "max_results", 100, 1, 1000)
        brand = next((i for i, b in enumerate(BRANDS) if b.x_user_id == user_id), None)
        if brand is not None:
            followers = self.world.population.brand_followers[brand]
        else:
            person = self.world.person_by_x_id(int(user_id)) if user_id.isdigit() else None
            if person is None:
                raise x_not_found("user", user_id)
            followers = self.world.x_followers(person)
        pop = self.world.population
        ids = sorted(int(pop.x_id[p]) for p in followers)
        by_id = {int(pop.x_id[p]): int(p) for p in followers}
        after = _token(params, "pagination_token")
        start, end = pagination.page_after(ids, after, limit)
        data = [self._user_json(by_id[i], params) for i in ids[start:end]]
        meta: dict = {"result_count": len(data)}
        if end < len(ids):
            meta["next_token"] = pagination.encode(ids[end - 1])
        body: dict = {"meta": meta}
        if data:
            body["data"] = data
        return Response(200, body)

    def _user(self, user_id: str, params: dict[str, str]) -> Response:
        brand = next((i for i, b in enumerate(BRANDS) if b.x_user_id == user_id), None)
        if brand is not None:
            return Response(200, {"data": self._brand_json(brand, params)})
        person = self.world.person_by_x_id(int(user_id)) if user_id.isdigit() else None
        if person is None:
            raise x_not_found("user", user_id)
        return Response(200, {"data": self._user_json(person, params)})

    def _user_json(self, person: int, params: dict[str, str]) -> dict:
        pop = self.world.population
        fields = set(params.get("user.fields", "").split(","))
        body: dict = {
            "id": str(int(pop.x_id[person])),
            "name": pop.x_name[person],
            "username": pop.x_handle[person],
        }
        optional = {
            "location": pop.x_location[person],
            "description": f"{pop.job[person]}. Coffee, books and long walks.",
            "public_metrics": {
                "followers_count": self.world.x_follower_count(person),
                "following_count": self.world.x_following_count(person),
                "tweet_count": int(10 + pop.activity[person] * 50),
                "listed_count": 0,
                "like_count": int(pop.activity[person] * 200),
                "media_count": 0,
            },
        }
        return self._with_fields(body, optional, fields, drifts_away="location")

    def _brand_json(self, brand: int, params: dict[str, str]) -> dict:
        spec = BRANDS[brand]
        fields = set(params.get("user.fields", "").split(","))
        body: dict = {"id": spec.x_user_id, "name": spec.name, "username": spec.x_handle}
        optional = {
            "location": "Norway",
            "description": f"{spec.name}: coffee",
            "public_metrics": {
                "followers_count": len(self.world.population.brand_followers[brand]),
                "following_count": 0,
                "tweet_count": 0,
                "listed_count": 0,
                "like_count": 0,
                "media_count": 0,
            },
        }
        body.update({name: value for name, value in optional.items() if name in fields})
        return body


def _minute(seconds: int) -> str:
    return to_datetime(seconds).strftime("%Y-%m-%dT%H:%MZ")


def tweet_created(tweet_id: int) -> int:
    """World seconds a tweet id was minted at (ids are snowflakes)."""
    return ((tweet_id >> 22) + TWEPOCH_MS - WORLD_START_MS) // 1000


def tweet_brand(tweet_id: int) -> int:
    """The brand a tweet id was minted for (`activity.tweet_id`): two bits, and past the
    fourth brand the id's milliseconds."""
    ms = ((tweet_id >> 22) + TWEPOCH_MS - WORLD_START_MS) % 1000
    return (ms << 2) | ((tweet_id >> 18) & 3)


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise x_invalid(
            f"The `{name}` query parameter value [{raw}] is not between {low} and {high}", name, raw
        )
    return int(raw)


def _id_param(params: dict[str, str], name: str) -> int:
    raw = params[name]
    if not raw.isdigit():
        raise x_invalid(f"The `{name}` query parameter value [{raw}] is not valid", name, raw)
    return int(raw)


def _token(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return int(pagination.decode(raw))
    except (pagination.BadCursor, TypeError, ValueError) as exc:
        raise x_invalid(
            f"The `{name}` query parameter value [{raw}] is not valid", name, raw
        ) from exc
