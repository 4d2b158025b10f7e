"""Facebook Pages extraction: page snapshot, daily insights, posts and visitor posts with their
comments (and replies) and reactions, and the profiles of the people who engaged.

Incremental by a look-back window: posts created since (newest seen - lookback_days) are walked
again with all their comments and reactions, so new items and edits land as new versions and
items no longer returned land as tombstones. The first run walks everything.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from social_crm.extract.extractor import Extractor
from social_crm.extract.http import Page
from social_crm.extract.read_ahead import PrefetchedPages
from social_crm.extract.records import InvalidRecord, land_or_quarantine, require_id
from social_crm.load.landing import BatchResult, LandingBatch, RawRecord, read_watermark

log = logging.getLogger(__name__)

SOURCE = "facebook"
REACTION_TYPES = {"LIKE", "LOVE", "HAHA", "WOW", "SAD", "ANGRY", "CARE", "THANKFUL", "PRIDE"}
PROFILE_FIELDS = "id,name,email,location"
LOOKUP_BATCH = 50  # Graph's limit for ?ids=
ACTIVITY_AHEAD = 3  # posts whose comments and reactions are fetched while one post is landed


@dataclass(frozen=True)
class FacebookSettings:
    page_ids: tuple[str, ...]
    lookback_days: int = 30
    page_size: int = 100


def parse_graph_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidRecord(f"timestamp is {type(value).__name__}, not a string")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        raise InvalidRecord(f"timestamp {value[:40]!r} is not ISO-8601 (Graph format)") from None


class FacebookExtractor(Extractor):
    source = SOURCE
    settings: FacebookSettings

    def page_snapshots(self) -> BatchResult:
        at = self.interval[1] or datetime.now(UTC)
        with self.connect() as conn, self._batch(conn, "page_snapshots") as batch:
            for page_id in self.settings.page_ids:
                body = self.client.get_json(
                    page_id, {"fields": "id,name,fan_count,followers_count"}
                )
                land_or_quarantine(
                    batch,
                    body,
                    lambda item: RawRecord(
                        require_id(item), item, scope_key=item["id"], event_at=at
                    ),
                )
        return batch.result

    def insights(self) -> BatchResult:
        with self.connect() as conn:
            mark = read_watermark(conn, SOURCE, "page_insights").get("last_event_at")
            with self._batch(conn, "page_insights") as batch:
                newest = mark
                for page_id in self.settings.page_ids:
                    params = {"metric": "page_fans,page_fan_adds,page_fan_removes", "period": "day"}
                    if mark is not None:
                        params["since"] = (mark - timedelta(days=2)).strftime("%Y-%m-%d")
                    body = self.client.get_json(f"{page_id}/insights", params)
                    for metric in body.get("data") or []:
                        for value in metric.get("values") or []:
                            item = {
                                "page_id": page_id,
                                "metric": metric.get("name"),
                                "value": value.get("value"),
                                "end_time": value.get("end_time"),
                            }
                            record = land_or_quarantine(batch, item, _insight_record)
                            if record and (newest is None or record.event_at > newest):
                                newest = record.event_at
                batch.set_watermark(last_event_at=newest)
        return batch.result

    # --- posts, comments, reactions -------------------------------------------------------

    def posts_with_activity(self, edge: str = "posts") -> list[BatchResult]:
        """Walk /{page}/posts (or /{page}/feed for visitor posts) in the look-back window, and
        every comment and reaction of those posts. Returns the posts, comments, reactions and
        users batches."""
        entity = "posts" if edge == "posts" else "visitor_posts"
        with self.connect() as c_posts, self.connect() as c_comments, self.connect() as c_reactions:
            mark = read_watermark(c_posts, SOURCE, entity).get("last_event_at")
            since = mark - timedelta(days=self.settings.lookback_days) if mark else None
            people: set[str] = set()
            with (
                self._batch(c_posts, entity) as posts,
                self._batch(c_comments, "comments") as comments,
                self._batch(c_reactions, "reactions") as reactions,
            ):
                newest = mark
                for page_id in self.settings.page_ids:
                    params: dict[str, Any] = {
                        "limit": self.settings.page_size,
                        "fields": "id,message,created_time,updated_time,from",
                    }
                    if since:
                        params["since"] = int(since.timestamp())
                    if self.interval[1]:
                        params["until"] = int(self.interval[1].timestamp())
                    clean = True
                    for page in self.client.graph_pages(f"{page_id}/{edge}", params):
                        post_ids = []
                        for item in page.items:
                            record = land_or_quarantine(
                                posts, item, lambda i, p=page_id: _post_record(i, p)
                            )
                            if record is None:
                                clean = False
                                continue
                            newest = max(filter(None, (newest, record.event_at)))
                            if "from" in item and isinstance(item["from"], dict):
                                people.add(str(item["from"].get("id")))
                            post_ids.append(record.natural_key)
                        for post_id, comment_pages, reaction_pages in self._activity_walks(
                            post_ids
                        ):
                            self._activity(
                                post_id, comment_pages, reaction_pages, comments, reactions, people
                            )
                        log.info(
                            "facebook %s %s: page %d, %d posts so far",
                            page_id,
                            edge,
                            page.number,
                            posts.result.records_in,
                        )
                    if clean:
                        posts.reconcile(page_id, since, self.interval[1])
                posts.set_watermark(last_event_at=newest)
            results = [comments.result, reactions.result, posts.result]
        results.append(self.users(people))
        return results

    def _activity_walks(
        self, post_ids: list[str]
    ) -> Iterator[tuple[str, PrefetchedPages, PrefetchedPages]]:
        """(post id, its comment pages, its reaction pages) in order, with the walks of the next
        ACTIVITY_AHEAD posts already running: the API works on them while one post is landed."""
        running: deque[tuple[str, PrefetchedPages, PrefetchedPages]] = deque()
        comment_params = {
            "filter": "stream",
            "limit": self.settings.page_size,
            "fields": "id,message,created_time,from,parent",
        }
        reaction_params = {"limit": self.settings.page_size}
        try:
            for post_id in post_ids:
                running.append(
                    (
                        post_id,
                        PrefetchedPages(
                            self.client.graph_pages(f"{post_id}/comments", comment_params)
                        ),
                        PrefetchedPages(
                            self.client.graph_pages(f"{post_id}/reactions", reaction_params)
                        ),
                    )
                )
                if len(running) > ACTIVITY_AHEAD:
                    yield running[0]
                    running.popleft()  # only once landed: a failure leaves it to the finally
            while running:
                yield running[0]
                running.popleft()
        finally:
            for _, comment_pages, reaction_pages in running:
                comment_pages.close()
                reaction_pages.close()

    def _activity(
        self,
        post_id: str,
        comment_pages: Iterable[Page],
        reaction_pages: Iterable[Page],
        comments: LandingBatch,
        reactions: LandingBatch,
        people: set[str],
    ) -> None:
        clean = True
        for page in comment_pages:
            for item in page.items:
                record = land_or_quarantine(comments, item, lambda i: _comment_record(i, post_id))
                if record is None:
                    clean = False
                elif isinstance(item.get("from"), dict):
                    people.add(str(item["from"].get("id")))
        if clean:
            comments.reconcile(post_id)
        clean = True
        for page in reaction_pages:
            for item in page.items:
                record = land_or_quarantine(reactions, item, lambda i: _reaction_record(i, post_id))
                if record is None:
                    clean = False
                else:
                    people.add(record.payload["user_id"])
        if clean:
            reactions.reconcile(post_id)

    # --- people ---------------------------------------------------------------------------

    def users(self, user_ids: Iterable[str]) -> BatchResult:
        """Profiles (name, location, verified email where shared) of people not yet landed."""
        page_ids = set(self.settings.page_ids)
        with self.connect() as conn:
            wanted = sorted(set(user_ids) - page_ids - {"None"})
            known = {
                row[0]
                for row in conn.execute(
                    "select distinct natural_key from raw.facebook_users"
                    " where natural_key = any(%s)",
                    (wanted,),
                ).fetchall()
            }
            todo = [u for u in wanted if u not in known]
            with self._batch(conn, "users") as batch:
                for start in range(0, len(todo), LOOKUP_BATCH):
                    chunk = todo[start : start + LOOKUP_BATCH]
                    body = self.client.get_json(
                        "", {"ids": ",".join(chunk), "fields": PROFILE_FIELDS}
                    )
                    for user_id in chunk:
                        land_or_quarantine(
                            batch, body.get(user_id), lambda i: RawRecord(require_id(i), i)
                        )
                log.info("facebook users: %d looked up, %d already known", len(todo), len(known))
        return batch.result


def _post_record(item: Any, page_id: str) -> RawRecord:
    post_id = require_id(item)
    created = parse_graph_time(item.get("created_time"))
    return RawRecord(post_id, {**item, "page_id": page_id}, scope_key=page_id, event_at=created)


def _comment_record(item: Any, post_id: str) -> RawRecord:
    comment_id = require_id(item)
    created = parse_graph_time(item.get("created_time"))
    author = item.get("from")
    if not isinstance(author, dict) or not author.get("id"):
        raise InvalidRecord("comment without 'from.id'")
    return RawRecord(comment_id, {**item, "post_id": post_id}, scope_key=post_id, event_at=created)


def _reaction_record(item: Any, post_id: str) -> RawRecord:
    user_id = require_id(item)
    kind = item.get("type")
    if kind not in REACTION_TYPES:
        raise InvalidRecord(f"unknown reaction type {str(kind)[:20]!r}")
    payload = {"post_id": post_id, "user_id": user_id, "name": item.get("name"), "type": kind}
    return RawRecord(f"{post_id}:{user_id}", payload, scope_key=post_id)


def _insight_record(item: dict) -> RawRecord:
    if item["metric"] not in ("page_fans", "page_fan_adds", "page_fan_removes"):
        raise InvalidRecord(f"unexpected insights metric {str(item['metric'])[:40]!r}")
    if not isinstance(item["value"], int):
        raise InvalidRecord(f"insights value is {type(item['value']).__name__}, not a number")
    end = parse_graph_time(item["end_time"])
    key = f"{item['page_id']}:{item['metric']}:{item['end_time']}"
    return RawRecord(key, item, scope_key=item["page_id"], event_at=end)
