"""X (API v2) extraction: mentions of each brand and the brand's replies by recent search with a
`since_id` watermark, their authors, and the followers of the brands and of those authors.

New tweets come from `since_id`; a second walk over the look-back window (newest seen minus
lookback_days) finds tweets that were deleted since and lands them as tombstones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from social_crm.extract.extractor import Extractor
from social_crm.extract.records import InvalidRecord, land_or_quarantine, require_id
from social_crm.load.landing import BatchResult, LandingBatch, RawRecord, read_watermark

log = logging.getLogger(__name__)

SOURCE = "x"
TWEET_FIELDS = (
    "created_at,lang,public_metrics,conversation_id,in_reply_to_user_id,referenced_tweets,author_id"
)
USER_FIELDS = "public_metrics,location,description"


@dataclass(frozen=True)
class XSettings:
    brand_handles: tuple[str, ...]
    brand_user_ids: tuple[str, ...]
    lookback_days: int = 30
    page_size: int = 100
    author_followers: bool = True  # also walk the followers of every author (the follow graph)


def parse_x_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidRecord(f"created_at is {type(value).__name__}, not a string")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRecord(f"created_at {value[:40]!r} is not ISO-8601") from None


class XExtractor(Extractor):
    source = SOURCE
    settings: XSettings

    def tweets(self) -> list[BatchResult]:
        """Mentions and brand replies for every brand, and their authors."""
        with self.connect() as c_tweets, self.connect() as c_users:
            with self._batch(c_tweets, "tweets") as tweets, self._batch(c_users, "users") as users:
                mark = read_watermark(c_tweets, SOURCE, "tweets")
                newest_id = int(mark.get("since_id") or 0)
                newest_at = mark.get("last_event_at")
                for handle in self.settings.brand_handles:
                    query = f"@{handle} OR from:{handle}"
                    walks: list[tuple[str, dict[str, Any]]] = [("new", {})]
                    if mark.get("since_id"):
                        walks = [("new", {"since_id": mark["since_id"]})]
                        if newest_at is not None:
                            window = newest_at - timedelta(days=self.settings.lookback_days)
                            walks.append(("window", {"start_time": _x_time(window)}))
                    for name, bounds in walks:
                        seen_max, at_max, clean = self._search(query, handle, bounds, tweets, users)
                        newest_id = max(newest_id, seen_max)
                        if at_max and (newest_at is None or at_max > newest_at):
                            newest_at = at_max
                        if clean and name == "window":
                            tweets.reconcile(
                                handle, parse_x_time(bounds["start_time"]), self.interval[1]
                            )
                        elif clean and not mark.get("since_id"):
                            # first run: a complete walk (up to the interval's end)
                            tweets.reconcile(handle, until=self.interval[1])
                tweets.set_watermark(
                    since_id=str(newest_id) if newest_id else None, last_event_at=newest_at
                )
        return [tweets.result, users.result]

    def _search(
        self,
        query: str,
        handle: str,
        bounds: dict[str, Any],
        tweets: LandingBatch,
        users: LandingBatch,
    ) -> tuple[int, datetime | None, bool]:
        params: dict[str, Any] = {
            "query": query,
            "max_results": self.settings.page_size,
            "expansions": "author_id",
            "tweet.fields": TWEET_FIELDS,
            "user.fields": USER_FIELDS,
            **bounds,
        }
        if self.interval[1]:
            params["end_time"] = _x_time(self.interval[1])
        newest_id, newest_at, clean = 0, None, True
        for page in self.client.token_pages("tweets/search/recent", params, "next_token"):
            for item in page.items:
                record = land_or_quarantine(tweets, item, lambda i: _tweet_record(i, handle))
                if record is None:
                    clean = False
                    continue
                newest_id = max(newest_id, int(record.natural_key))
                if newest_at is None or record.event_at > newest_at:
                    newest_at = record.event_at
            for user in (page.body.get("includes") or {}).get("users") or []:
                land_or_quarantine(users, user, _user_record)
            log.info(
                "x @%s: page %d, %d tweets so far", handle, page.number, tweets.result.records_in
            )
        return newest_id, newest_at, clean

    def followers(self) -> list[BatchResult]:
        """Followers of each brand account and, for the follow graph, of every tweet author."""
        with self.connect() as c_follow, self.connect() as c_users:
            targets = list(self.settings.brand_user_ids)
            if self.settings.author_followers:
                targets += [
                    row[0]
                    for row in c_follow.execute(
                        "select distinct payload->>'author_id' from raw.x_tweets"
                        " where not is_deleted and payload->>'author_id' <> all(%s) order by 1",
                        (list(self.settings.brand_user_ids),),
                    ).fetchall()
                ]
            with (
                self._batch(c_follow, "followers") as follows,
                self._batch(c_users, "users") as users,
            ):
                for n, target in enumerate(targets, start=1):
                    clean = True
                    params = {"max_results": 1000, "user.fields": USER_FIELDS}
                    for page in self.client.token_pages(
                        f"users/{target}/followers", params, "pagination_token"
                    ):
                        for item in page.items:
                            if land_or_quarantine(users, item, _user_record) is None:
                                clean = False
                                continue
                            follows.add(
                                RawRecord(
                                    f"{target}:{item['id']}",
                                    {"followed_id": target, "follower_id": item["id"]},
                                    scope_key=target,
                                )
                            )
                    if clean:
                        follows.reconcile(target)
                    if n % 200 == 0:
                        log.info("x followers: %d/%d accounts walked", n, len(targets))
        return [follows.result, users.result]


def _user_record(item: Any) -> RawRecord:
    return RawRecord(require_id(item, numeric=True), item)


def _tweet_record(item: Any, handle: str) -> RawRecord:
    tweet_id = require_id(item, numeric=True)
    created = parse_x_time(item.get("created_at"))
    if not isinstance(item.get("author_id"), str):
        raise InvalidRecord("missing 'author_id'")
    return RawRecord(tweet_id, {**item, "brand_handle": handle}, scope_key=handle, event_at=created)


def _x_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
