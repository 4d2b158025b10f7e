"""X API v2 shapes over the world: recent search (mentions, the brand's replies) and
followers, with `next_token`/`pagination_token` paging and X's error format."""

from __future__ import annotations

import heapq
import re

from social_crm_dev.simulator import pagination
from social_crm_dev.simulator.activity import TWEPOCH_MS, WORLD_START_MS, Message
from social_crm_dev.simulator.config import BRANDS
from social_crm_dev.simulator.responses import ApiError, Response, parse_time, to_datetime
from social_crm_dev.simulator.world import World

INVALID = "https://api.twitter.com/2/problems/invalid-request"


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

    def handle(self, parts: list[str], params: dict[str, str]) -> Response:
        if parts == ["tweets", "search", "recent"]:
            return self._search(params)
        if len(parts) == 3 and parts[0] == "users" and parts[2] == "followers":
            return self._followers(parts[1], params)
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

    def _search(self, params: dict[str, str]) -> Response:
        query = params.get("query", "")
        if not query:
            raise x_invalid("The `query` query parameter can not be empty", "query", "")
        limit = _int_param(params, "max_results", 10, 10, 100)
        mentioned = {h.lower() for h in re.findall(r"@(\w+)", query)}
        authors = {h.lower() for h in re.findall(r"from:(\w+)", query)}
        start = parse_time(params["start_time"]) if params.get("start_time") else 0
        end = parse_time(params["end_time"]) if params.get("end_time") else None
        since_id = _id_param(params, "since_id") if params.get("since_id") else 0
        until_id = _id_param(params, "until_id") if params.get("until_id") else None
        after = _token(params, "next_token")  # the last id already returned
        if after is not None:
            # duplicated-items fault: the page repeats the last item of the previous one
            bound = after + 1 if self.duplicate_items else after
            until_id = bound if until_id is None else min(until_id, bound)
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
        chunk: list[Message] = []
        more = False
        for tweet in heapq.merge(*streams, key=lambda t: -int(t.id)):
            tid = int(tweet.id)
            if until_id is not None and tid >= until_id:
                continue
            if tid <= since_id:
                break
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
            if "author_id" in params.get("expansions", ""):
                people = sorted({t.person for t in chunk if t.person is not None})
                users = [self._user_json(p, params) for p in people]
                brands = sorted({t.brand for t in chunk if t.person is None})
                users += [self._brand_json(b, params) for b in brands]
                body["includes"] = {"users": users}
        return Response(200, body)

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
            "lang": tweet.lang,
            "conversation_id": root,
            "public_metrics": {
                "retweet_count": 0,
                "reply_count": 0,
                "like_count": 0,
                "quote_count": 0,
            },
        }
        if tweet.parent_id:
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
            "name": pop.full_name(person),
            "username": pop.x_handle[person],
        }
        optional = {
            "location": pop.city[person],
            "description": f"{pop.job[person]} in {pop.city[person]}",
            "public_metrics": {
                "followers_count": self.world.x_follower_count(person),
                "following_count": self.world.x_following_count(person),
                "tweet_count": int(10 + pop.activity[person] * 50),
                "listed_count": 0,
            },
        }
        return self._with_fields(body, optional, fields, drifts_away="location")

    def _brand_json(self, brand: int, params: dict[str, str]) -> dict:
        spec = BRANDS[brand]
        body: dict = {"id": spec.x_user_id, "name": spec.name, "username": spec.x_handle}
        if "public_metrics" in params.get("user.fields", ""):
            body["public_metrics"] = {
                "followers_count": len(self.world.population.brand_followers[brand]),
                "following_count": 0,
                "tweet_count": 0,
                "listed_count": 0,
            }
        return body


def tweet_created(tweet_id: int) -> int:
    """World seconds a tweet id was minted at (ids are snowflakes)."""
    return ((tweet_id >> 22) + TWEPOCH_MS - WORLD_START_MS) // 1000


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
