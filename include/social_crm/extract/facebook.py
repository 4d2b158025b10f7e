"""Facebook Pages extraction: page snapshot, daily insights, posts and visitor posts with their
comments (and replies) and reactions, and the profiles of the people who engaged.

Incremental by a look-back window: the posts created since (newest seen - lookback_days) are
listed again, each with the counts of its comments and reactions (field expansion:
`comments.filter(stream).limit(0).summary(true)`, `reactions.limit(0).summary(total_count)`).
A post's comments (reactions) are read again only when their count moved since the last read,
or when the post passed one of its re-walk points (ages `recheck_hours`, twice, four times ...
that, within the look-back; `recheck.checkpoint_due`): a count does not move when a comment is
edited, or deleted and another written, and Meta's counts may include deleted comments. At a
re-walk point every comment (reaction) is walked; when only the comment count went up, the
comments are read newest first (`order=reverse_chronological`, which the all-levels `stream`
honours) down to the newest one the last read saw: a request per post, however many comments
it has. Reactions have no time and no documented order: they are walked whole. So an hourly
run costs what changed plus a few re-walks per post written in an hour, and an edit or
deletion lands at most as late as the post's age when it happened. New items
and edits land as new versions. An item no longer returned is looked up by id (`?ids=`, 50 at
a time, then one by one when the batch lookup names a missing alias) and lands as a tombstone
only when the Graph API answers that it does not exist; a reaction, which has no id of its
own, only when a second walk of its post's reactions agrees. The first run walks everything.

A Page token reads `id` and `name` of the people who engage with the Page's content, nothing
more (developers.facebook.com/docs/graph-api/reference/user: email, location and the rest need
the person's own login); we ask for no more than that.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import sql

from social_crm.extract import graph_metrics
from social_crm.extract.extractor import Extractor
from social_crm.extract.http import ApiError, Page
from social_crm.extract.read_ahead import PrefetchedPages
from social_crm.extract.recheck import SETTLE, checkpoint_due, needs_walk
from social_crm.extract.records import (
    GRAPH_ID,
    InvalidRecord,
    graph_id,
    land_or_quarantine,
    require_id,
)
from social_crm.load.landing import BatchResult, LandingBatch, Missing, RawRecord, read_watermark

log = logging.getLogger(__name__)

SOURCE = "facebook"
REACTION_TYPES = {"LIKE", "LOVE", "HAHA", "WOW", "SAD", "ANGRY", "CARE", "THANKFUL", "PRIDE"}
PROFILE_FIELDS = "id,name"  # all a Page token may read of the people who engage
LOOKUP_BATCH = 50  # Graph's limit for ?ids=
ACTIVITY_AHEAD = 3  # posts whose comments and reactions are fetched while one post is landed
POST_FIELDS = "id,message,created_time,updated_time,from"
# the counts a post listing reports with each post (the edges' `summary.total_count`)
COMMENT_COUNT = "comments.filter(stream).limit(0).summary(true)"
REACTION_COUNT = "reactions.limit(0).summary(total_count)"


# the edges whose counts a post listing reports, in the order of `_activity_walks`' pairs
EDGES = ("comments", "reactions")


@dataclass
class _Counts:
    """A post's counts as listed now, and what the last walks saw, per edge."""

    seen: dict[str, int | None]
    # edge: (its count at the last read, when the last complete walk was)
    known: dict[str, tuple[int | None, datetime | None]] = field(default_factory=dict)
    newest_comment_at: datetime | None = None  # the newest comment the last read saw

    created_at: datetime | None = None

    def wants(self, edge: str, now: datetime, first: timedelta, horizon: timedelta) -> bool:
        walked = self.known.get(edge, (None, None))
        created = self.created_at or now
        return needs_walk(self.seen.get(edge), *walked, now, created, first, horizon)

    def new_comments_since(
        self, now: datetime, first: timedelta, horizon: timedelta
    ) -> datetime | None:
        """Where a newest-first read of the comments may stop, when only their count going
        up calls for a read (no re-walk due, the last read's newest comment known); None: walk
        them all."""
        total, walked_at = self.known.get("comments", (None, None))
        seen = self.seen.get("comments")
        if None in (self.newest_comment_at, walked_at, total, seen) or first <= timedelta(0):
            return None
        if seen < total or checkpoint_due(self.created_at or now, walked_at, now, first, horizon):
            return None
        return self.newest_comment_at - SETTLE


@dataclass(frozen=True)
class FacebookSettings:
    page_ids: tuple[str, ...]
    lookback_days: int = 30
    page_size: int = 100
    recheck_hours: int = 24


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
        """Daily Page Insights of the registry's metrics. A metric the API rejects is dropped
        (and recorded in meta.rejected_metrics); the others land."""
        with self.connect() as conn:
            mark = read_watermark(conn, SOURCE, "page_insights").get("last_event_at")
            rejected = {
                row[0]
                for row in conn.execute(
                    "select metric from meta.rejected_metrics where source = %s", (SOURCE,)
                ).fetchall()
            }
            today = (self.interval[1] or datetime.now(UTC)).date()
            metrics = graph_metrics.to_request(today, rejected)
            if rejected:
                log.warning(
                    "facebook insights: not asking for %s (rejected by the API before; see "
                    "meta.rejected_metrics)",
                    ", ".join(sorted(rejected)),
                )
            with self._batch(conn, "page_insights") as batch:
                newest = mark
                for page_id in self.settings.page_ids:
                    params = {"period": "day"}
                    if mark is not None:
                        params["since"] = (mark - timedelta(days=2)).strftime("%Y-%m-%d")
                    for metric in self._insight_series(page_id, metrics, params):
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

    def _insight_series(self, page_id: str, metrics: list[str], params: dict) -> list[dict]:
        """The series of `metrics` for a page: one request, or, when the API rejects a metric
        (it does not say which), one request per metric, dropping the rejected ones."""
        if not metrics:
            return []
        try:
            body = self.client.get_json(
                f"{page_id}/insights", {**params, "metric": ",".join(metrics)}
            )
            return list(body.get("data") or [])
        except ApiError as exc:
            if not graph_metrics.is_invalid_metric_error(exc.error_message):
                raise
        series = []
        for metric in list(metrics):
            try:
                body = self.client.get_json(f"{page_id}/insights", {**params, "metric": metric})
            except ApiError as exc:
                if not graph_metrics.is_invalid_metric_error(exc.error_message):
                    raise
                self._reject_metric(metric, exc.error_message)
                metrics.remove(metric)
                continue
            series += body.get("data") or []
        return series

    def _reject_metric(self, metric: str, error: str) -> None:
        log.warning(
            "facebook insights: the Graph API (%s) rejects metric %s (%s); dropped, the other "
            "metrics land. Update include/social_crm/extract/graph_metrics.py",
            self.client.api_version,
            metric,
            error,
        )
        # recorded at once, on a connection of its own: a failed batch still remembers it
        with self.connect() as own:
            own.execute(
                "insert into meta.rejected_metrics (source, metric, api_version, error)"
                " values (%s, %s, %s, %s) on conflict (source, metric) do update set"
                " error = excluded.error, api_version = excluded.api_version,"
                " last_rejected_at = now()",
                (SOURCE, metric, self.client.api_version, error[:500]),
            )

    # --- posts, comments, reactions -------------------------------------------------------

    def posts_with_activity(
        self, edge: str = "posts", recent_days: int | None = None
    ) -> list[BatchResult]:
        """Walk /{page}/posts (or /{page}/feed for visitor posts) in the look-back window, and
        every comment and reaction of those posts. Returns the posts, comments, reactions and
        users batches.

        `recent_days` (the live walk): only the posts of the last `recent_days` days and their
        comments, not their reactions: where new messages to answer appear, at a fraction of
        the calls."""
        entity = "posts" if edge == "posts" else "visitor_posts"
        with (
            self.connect() as c_posts,
            self.connect() as c_comments,
            self.connect() as c_reactions,
            self.connect() as c_counts,
        ):
            c_counts.autocommit = True  # look-ups only
            mark = read_watermark(c_posts, SOURCE, entity).get("last_event_at")
            since = mark - timedelta(days=self.settings.lookback_days) if mark else None
            if recent_days is not None:
                now = self.interval[1] or self.client.server_now()
                since = now - timedelta(days=recent_days)
            people: set[str] = set()
            with (
                self._batch(c_posts, entity, confirm_gone=self._gone_nodes) as posts,
                self._batch(c_comments, "comments", confirm_gone=self._gone_nodes) as comments,
                (
                    nullcontext(None)
                    if recent_days is not None
                    else self._batch(c_reactions, "reactions", confirm_gone=self._gone_reactions)
                ) as reactions,
            ):
                newest = mark
                walk_reactions = reactions is not None
                server_now = self.client.server_now()
                now = self.interval[1] or server_now
                # a backfill of a past interval walks every post: counts describe today
                backfill = now < server_now - timedelta(hours=self.settings.recheck_hours)
                first = timedelta(hours=self.settings.recheck_hours)
                horizon = timedelta(days=self.settings.lookback_days)
                fields = ",".join(
                    [POST_FIELDS, COMMENT_COUNT, *([REACTION_COUNT] if walk_reactions else [])]
                )
                skipped = 0
                for page_id in self.settings.page_ids:
                    params: dict[str, Any] = {"limit": self.settings.page_size, "fields": fields}
                    if since:
                        params["since"] = int(since.timestamp())
                    if self.interval[1]:
                        params["until"] = int(self.interval[1].timestamp())
                    clean = True
                    for page in self.client.graph_pages(f"{page_id}/{edge}", params):
                        listed: dict[str, _Counts] = {}
                        for item in page.items:
                            counts = _counts_of(item)
                            record = land_or_quarantine(
                                posts, item, lambda i, p=page_id: _post_record(i, p)
                            )
                            if record is None:
                                clean = False
                                continue
                            newest = max(filter(None, (newest, record.event_at)))
                            people.add(_author_id(item))
                            counts.created_at = record.event_at
                            listed[record.natural_key] = counts
                        if not backfill:
                            _known_counts(c_counts, listed)
                        walks = {}
                        for post_id, counts in listed.items():
                            wanted = _Walk(
                                counts.wants("comments", now, first, horizon),
                                walk_reactions and counts.wants("reactions", now, first, horizon),
                                counts.new_comments_since(now, first, horizon),
                            )
                            if wanted.comments or wanted.reactions:
                                walks[post_id] = wanted
                            else:
                                skipped += 1
                        for post_id, comment_pages, reaction_pages in self._activity_walks(walks):
                            walked = self._activity(
                                post_id,
                                comment_pages,
                                reaction_pages,
                                walks[post_id].comments_since,
                                comments,
                                reactions,
                                people,
                            )
                            _remember_counts(
                                post_id, listed[post_id], walked, now, comments, reactions
                            )
                        log.info(
                            "facebook %s %s: page %d, %d posts so far, %d of them unchanged",
                            page_id,
                            edge,
                            page.number,
                            posts.result.records_in,
                            skipped,
                        )
                    if clean:
                        posts.reconcile(page_id, since, self.interval[1])
                posts.set_watermark(last_event_at=newest)
            results = [comments.result, posts.result]
            if reactions is not None:
                results.insert(1, reactions.result)
        results += self._gone_with_posts(entity, posts.result.batch_id)
        results.append(self.users(people))
        return results

    def _gone_with_posts(self, entity: str, batch_id: str) -> list[BatchResult]:
        """Tombstones for the comments and reactions of the posts a batch tombstoned: the
        Graph API serves neither once their post is gone, so no walk could confirm them gone
        one by one, and they would stay alive in raw."""
        with self.connect() as conn:
            gone = [
                row[0]
                for row in conn.execute(
                    sql.SQL("select natural_key from {} where batch_id = %s and is_deleted").format(
                        sql.Identifier("raw", f"{SOURCE}_{entity}")
                    ),
                    (batch_id,),
                ).fetchall()
            ]
        if not gone:
            return []
        results = []
        for child in ("comments", "reactions"):
            with self.connect() as conn, self._batch(conn, child) as batch:
                keys = conn.execute(
                    sql.SQL("select distinct natural_key from {} where scope_key = any(%s)").format(
                        sql.Identifier("raw", f"{SOURCE}_{child}")
                    ),
                    (gone,),
                ).fetchall()
                batch.confirmed_gone({row[0] for row in keys})
            results.append(batch.result)
        log.info(
            "facebook %s: %d deleted, their comments and reactions with them", entity, len(gone)
        )
        return results

    def _comment_pages(self, post_id: str, newest_first: bool = False) -> Iterator[Page]:
        params = {
            "filter": "stream",  # every level, in time order: the order `order` applies to
            "limit": self.settings.page_size,
            "fields": "id,message,created_time,from,parent",
        }
        if newest_first:
            params["order"] = "reverse_chronological"
        return self.client.graph_pages(f"{post_id}/comments", params)

    def _activity_walks(
        self, walks: dict[str, _Walk]
    ) -> Iterator[tuple[str, PrefetchedPages | None, PrefetchedPages | None]]:
        """(post id, its comment pages, its reaction pages) in order, for the posts and edges
        `walks` asks for (an edge not asked for: None), with the walks of the next
        ACTIVITY_AHEAD posts already running: the API works on them while one post is landed.
        A newest-first read of comments fetches its first page ahead, the next ones only if
        its reader asks (it usually stops after one)."""
        running: deque[tuple[str, PrefetchedPages | None, PrefetchedPages | None]] = deque()
        reaction_params = {"limit": self.settings.page_size, "summary": "total_count"}
        try:
            for post_id, walk in walks.items():
                newest_first = walk.comments_since is not None
                running.append(
                    (
                        post_id,
                        PrefetchedPages(
                            self._comment_pages(post_id, newest_first),
                            ahead=1 if newest_first else None,
                        )
                        if walk.comments
                        else None,
                        PrefetchedPages(
                            self.client.graph_pages(f"{post_id}/reactions", reaction_params)
                        )
                        if walk.reactions
                        else None,
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
                for pages in (comment_pages, reaction_pages):
                    if pages is not None:
                        pages.close()

    def _activity(
        self,
        post_id: str,
        comment_pages: Iterable[Page] | None,
        reaction_pages: Iterable[Page] | None,
        comments_since: datetime | None,
        comments: LandingBatch,
        reactions: LandingBatch | None,
        people: set[str],
    ) -> _Walked:
        """Land a post's comments and reactions: all of them (deletions then reconciled), or,
        with `comments_since`, the comments newest first down to that time. Returns what was
        read completely."""
        walked = _Walked()
        if comment_pages is not None and comments_since is not None:
            read = land_new_comments(post_id, comment_pages, comments_since, comments, people)
            if read is not None:
                clean, walked.newest_comment_at = read
                walked.comments = "new" if clean else None
                comment_pages = None
            else:
                comment_pages = self._comment_pages(post_id)
        if comment_pages is not None:
            clean = True
            for page in comment_pages:
                for item in page.items:
                    walked.comments_read += 1
                    record = land_or_quarantine(
                        comments, item, lambda i: _comment_record(i, post_id)
                    )
                    if record is None:
                        clean = False
                    else:
                        people.add(_author_id(item))
                        walked.newest_comment_at = max(
                            filter(None, (walked.newest_comment_at, record.event_at))
                        )
            if clean:
                comments.reconcile(post_id)
                walked.comments = "all"
        if reaction_pages is None or reactions is None:
            return walked
        clean, walk = True, _CountedWalk()
        for page in reaction_pages:
            walk.see(page)
            for item in page.items:
                record = land_or_quarantine(reactions, item, lambda i: _reaction_record(i, post_id))
                if record is None:
                    clean = False
                else:
                    people.add(record.payload["user_id"])
        # complete by the API's own count: an empty or cut-short answer reconciles nothing
        if clean and walk.complete:
            reactions.reconcile(post_id)
            walked.reactions = True
        return walked

    # --- people ---------------------------------------------------------------------------

    def users(self, user_ids: Iterable[str]) -> BatchResult:
        """Profiles (id and name: what a Page token reads) of people not yet landed."""
        page_ids = set(self.settings.page_ids)
        with self.connect() as conn:
            wanted = sorted(u for u in set(user_ids) - page_ids if u and GRAPH_ID.match(u))
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
                    found = self._lookup(chunk, PROFILE_FIELDS)
                    for user_id in chunk:
                        if user_id in found:
                            land_or_quarantine(
                                batch, found[user_id], lambda i: RawRecord(require_id(i), i)
                            )
                log.info("facebook users: %d looked up, %d already known", len(todo), len(known))
        return batch.result

    # --- deletions, confirmed at the source ----------------------------------------------

    def _lookup(self, ids: list[str], fields: str) -> dict[str, dict]:
        """The nodes of `ids` that exist, by id: one `?ids=` request, or, when it fails
        because some do not exist (#803 names them, #100/33 does not), one request per id."""
        try:
            body = self.client.get_json("", {"ids": ",".join(ids), "fields": fields})
            return {key: value for key, value in body.items() if isinstance(value, dict)}
        except ApiError as exc:
            if not _is_missing_node(exc):
                raise
        found = {}
        for node in ids:
            try:
                found[node] = self.client.get_json(node, {"fields": fields})
            except ApiError as exc:
                if not _is_missing_node(exc):
                    raise
        return found

    def _gone_nodes(self, missing: list[Missing]) -> set[str]:
        """Of posts or comments missing from a walk, those the API says do not exist."""
        keys = [m.natural_key for m in missing if GRAPH_ID.match(m.natural_key)]
        if len(keys) < len(missing):
            log.warning(
                "facebook: %d record(s) missing from the walk have ids that are not Graph ids "
                "(landed by an older version?): they cannot be looked up, so they are kept",
                len(missing) - len(keys),
            )
        gone: set[str] = set()
        for start in range(0, len(keys), LOOKUP_BATCH):
            chunk = keys[start : start + LOOKUP_BATCH]
            gone |= set(chunk) - set(self._lookup(chunk, "id"))
        log.info("facebook: %d missing from the walk, %d confirmed deleted", len(keys), len(gone))
        return gone

    def _gone_reactions(self, missing: list[Missing]) -> set[str]:
        """A reaction has no id to look up: it is gone when a second walk of its post's
        reactions, complete by the API's own count (`summary.total_count`), does not return it
        either, or when the post itself no longer exists."""
        by_post: dict[str, set[str]] = {}
        for m in missing:
            by_post.setdefault(m.scope_key, set()).add(m.natural_key)
        gone: set[str] = set()
        for post_id, keys in by_post.items():
            walk = _CountedWalk()
            try:
                for page in self.client.graph_pages(
                    f"{graph_id(post_id, 'post id')}/reactions",
                    {"limit": self.settings.page_size, "summary": "total_count"},
                ):
                    walk.see(page)
            except ApiError as exc:
                if not _is_missing_node(exc):
                    raise
                gone |= keys  # the post is gone, and its reactions with it
                continue
            if walk.complete:
                gone |= keys - {f"{post_id}:{user_id}" for user_id in walk.ids}
        return gone


@dataclass(frozen=True)
class _Walk:
    """What a post's walk reads: its comments (all, or newest first down to `comments_since`),
    its reactions."""

    comments: bool
    reactions: bool
    comments_since: datetime | None = None


@dataclass
class _Walked:
    """What a post's walk read completely: its comments ("all", or "new": newest first down
    to where the last read was), with the newest one's time; its reactions."""

    comments: str | None = None
    newest_comment_at: datetime | None = None
    reactions: bool = False
    comments_read: int = 0  # comments a walk of all of them returned


class _CountedWalk:
    """The ids a walk of a post's reactions returned, and the API's own count of them
    (`summary.total_count` of the first page): the walk is complete when the two agree."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.total: int | None = None

    def see(self, page: Page) -> None:
        if page.number == 1:
            summary = page.body.get("summary")
            count = summary.get("total_count") if isinstance(summary, dict) else None
            self.total = count if isinstance(count, int) else None
        self.ids |= {str(item.get("id")) for item in page.items if isinstance(item, dict)}

    @property
    def complete(self) -> bool:
        return self.total == len(self.ids)


def _counts_of(item: Any) -> _Counts:
    """Take the listed counts out of a post (they are not part of the post's record: a new
    comment would otherwise make a new version of the post)."""
    if not isinstance(item, dict):
        return _Counts({})
    return _Counts({edge: _total(item.pop(edge, None)) for edge in EDGES})


def _total(edge: Any) -> int | None:
    summary = edge.get("summary") if isinstance(edge, dict) else None
    count = summary.get("total_count") if isinstance(summary, dict) else None
    return count if isinstance(count, int) else None


def _known_counts(conn: Any, listed: dict[str, _Counts]) -> None:
    """Fill each listed post's `known` from what the last walks recorded."""
    if not listed:
        return
    rows = conn.execute(
        "select post_id, comments_total, comments_walked_at, reactions_total,"
        " reactions_walked_at, comments_newest_at from meta.facebook_post_activity"
        " where post_id = any(%s)",
        (list(listed),),
    ).fetchall()
    for post_id, comments_total, comments_at, reactions_total, reactions_at, newest in rows:
        listed[post_id].known = {
            "comments": (comments_total, comments_at),
            "reactions": (reactions_total, reactions_at),
        }
        listed[post_id].newest_comment_at = newest


def land_new_comments(
    post_id: str,
    pages: Iterable[Page],
    since: datetime,
    comments: LandingBatch,
    people: set[str],
) -> tuple[bool, datetime | None] | None:
    """Land a post's comments newest first, page by page, until a page reaches one written
    before `since` (and at least two comments showed the order). Returns (nothing
    quarantined, the newest comment's time), or None when the read cannot say where the new
    comments end: the API did not answer newest first (comments it ranks keep their order),
    or answered nothing. The caller then walks them all."""
    clean, newest, previous, read = True, None, None, 0
    for page in pages:
        oldest = None
        for item in page.items:
            record = land_or_quarantine(comments, item, lambda i: _comment_record(i, post_id))
            if record is None:
                clean = False
                continue
            people.add(_author_id(item))
            at = record.event_at
            if previous is not None and at > previous:
                log.warning(
                    "facebook %s: comments asked newest first came in another order;"
                    " walking them all",
                    post_id,
                )
                return None
            newest, previous, oldest, read = newest or at, at, at, read + 1
        if oldest is not None and oldest < since and read >= 2:
            break
    return (clean, newest) if read else None


def _remember_counts(
    post_id: str,
    counts: _Counts,
    walked: _Walked,
    now: datetime,
    comments: LandingBatch,
    reactions: LandingBatch | None,
) -> None:
    """Record, with the batch that landed them, the counts of the edges read completely: for
    a walk of all items also when it was (the re-walk points count from it); for comments the
    newest one read. An empty answer to a walk of all comments of a post whose count says it
    has some is not recorded (a transient blip looks the same as every comment deleted): the
    next run reads them again."""
    blip = walked.comments == "all" and not walked.comments_read and counts.seen.get("comments")
    if walked.comments is not None and not blip:
        comments.with_commit(
            "insert into meta.facebook_post_activity (post_id, comments_total,"
            " comments_walked_at, comments_newest_at) values (%s, %s, %s, %s)"
            " on conflict (post_id) do update set comments_total = excluded.comments_total,"
            " comments_walked_at = coalesce(excluded.comments_walked_at,"
            " meta.facebook_post_activity.comments_walked_at),"
            " comments_newest_at = case when excluded.comments_walked_at is not null"
            " then excluded.comments_newest_at else greatest(excluded.comments_newest_at,"
            " meta.facebook_post_activity.comments_newest_at) end",
            (
                post_id,
                counts.seen.get("comments"),
                now if walked.comments == "all" else None,
                walked.newest_comment_at,
            ),
        )
    if walked.reactions and reactions is not None:
        reactions.with_commit(
            "insert into meta.facebook_post_activity (post_id, reactions_total,"
            " reactions_walked_at) values (%s, %s, %s) on conflict (post_id) do update set"
            " reactions_total = excluded.reactions_total,"
            " reactions_walked_at = excluded.reactions_walked_at",
            (post_id, counts.seen.get("reactions"), now),
        )


def _is_missing_node(exc: ApiError) -> bool:
    """Graph's answers for an id that does not exist: #803 (`?ids=` aliases) or #100/33."""
    return exc.error_code == 803 or (exc.error_code == 100 and exc.error_subcode == 33)


def _author_id(item: dict) -> str:
    author = item.get("from")
    return str(author.get("id")) if isinstance(author, dict) else ""


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
    graph_id(author["id"], "'from.id'")
    return RawRecord(comment_id, {**item, "post_id": post_id}, scope_key=post_id, event_at=created)


def _reaction_record(item: Any, post_id: str) -> RawRecord:
    user_id = require_id(item)
    kind = item.get("type")
    if kind not in REACTION_TYPES:
        raise InvalidRecord(f"unknown reaction type {str(kind)[:20]!r}")
    payload = {"post_id": post_id, "user_id": user_id, "name": item.get("name"), "type": kind}
    return RawRecord(f"{post_id}:{user_id}", payload, scope_key=post_id)


def _insight_record(item: dict) -> RawRecord:
    if item["metric"] not in graph_metrics.BY_NAME:
        raise InvalidRecord(f"unexpected insights metric {str(item['metric'])[:40]!r}")
    if not isinstance(item["value"], int):
        raise InvalidRecord(f"insights value is {type(item['value']).__name__}, not a number")
    end = parse_graph_time(item["end_time"])
    key = f"{item['page_id']}:{item['metric']}:{item['end_time']}"
    return RawRecord(key, item, scope_key=item["page_id"], event_at=end)
