"""Facebook Pages extraction: page snapshot, daily insights, posts and visitor posts with their
comments (and replies) and reactions, and the profiles of the people who engaged.

Incremental by a look-back window: the posts of a Page created since (its newest seen -
lookback_days) are listed again, each with the counts of its comments and reactions (field
expansion: `comments.filter(stream).limit(0).summary(true)`,
`reactions.limit(0).summary(total_count)`).
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
and edits land as new versions. An item no longer returned is looked up by id (a synchronous
batch request of 50 reads, never `?ids=`: `graph_batch`) and lands as a tombstone only when the
Graph API answers that it does not exist; a reaction, which has no id of its
own, only when a second walk of its post's reactions agrees. A deleted post's comments and
reactions are tombstoned with it (`Engine.cascade`), and their last walk forgotten: if the
post comes back, they are walked in the run that sees it. Each Page has its own watermark
for its posts, visitor posts and insights (`posts:<page id>` ...): a Page's first run, even
one added to brands.csv long after the others, walks its whole history.

The entities, and each one's key, scope, event time, watermark and deletion rule, are declared
in `facebook_streams.py`; the engine (`streams.py`) pages, lands and fans out.

Tokens (docs/rivals.md): the connection's token is the brand's user or system-user token. The
first request asks it for the Pages it manages (`/me/accounts`, each with its Page token and
tasks); every request about one of the brand's own Pages, its posts and their comments and
reactions then carries that Page's token (`ApiClient.scope_token`): only the owning Page's
token reads who commented or reacted. A rival's Page is read with the brand's token, as public
content (Page Public Content Access): its posts with their comment and reaction counts and its
follower counts; never its comments (no ids, no authors), reactions by person, visitor posts
or insights. A Page that cannot be read (one of ours the token does not manage, a revoked Page
token, a rival without Page Public Content Access) is reported for that Page alone: the other
Pages land, then the task fails once (`finish`: `PagesUnreadable`) naming each Page and what
to grant.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from social_crm.extract import graph_batch, graph_metrics
from social_crm.extract.extractor import Extractor
from social_crm.extract.facebook_streams import (
    COMMENTS,
    PAGE_INSIGHTS,
    PAGE_SNAPSHOTS,
    POST_FIELDS,
    POSTS,
    PROFILE_FIELDS,
    REACTIONS,
    SOURCE,
    USERS,
    VISITOR_POSTS,
    author_id,
    comment_record,
)
from social_crm.extract.graph_policy import PageTokenRequired, cannot_load
from social_crm.extract.http import ApiAccessError, ApiAuthError, ApiError, Page
from social_crm.extract.recheck import SETTLE, checkpoint_due, needs_walk
from social_crm.extract.records import GRAPH_ID, graph_id, land_or_quarantine
from social_crm.extract.streams import Stream, Walked, listing_fields
from social_crm.load.landing import BatchResult, LandingBatch, Missing

log = logging.getLogger(__name__)

LOOKUP_BATCH = graph_batch.MAX_BATCH  # ids looked up together (Graph's batch limit)
ACTIVITY_AHEAD = 3  # posts whose comments and reactions are fetched while one post is landed


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
        newest = self.newest_comment_at
        if newest is None or walked_at is None or total is None or seen is None:
            return None
        if first <= timedelta(0) or seen < total:
            return None
        if checkpoint_due(self.created_at or now, walked_at, now, first, horizon):
            return None
        return newest - SETTLE


@dataclass(frozen=True)
class FacebookSettings:
    page_ids: tuple[str, ...]
    lookback_days: int = 30
    page_size: int = 100
    recheck_hours: int = 24
    # the brand's own Pages, read with their Page tokens (the others: rivals, public content);
    # None: the Pages the token manages
    own_page_ids: tuple[str, ...] | None = None


REQUIRED_TASKS = ("MODERATE", "ANALYZE")  # who commented (MODERATE), the Page's insights


class PagesUnreadable(ApiAccessError):
    """Some Pages could not be read (the others landed): the step fails once, naming each
    Page and what to grant; a retry would not help."""


@dataclass
class _PageAccess:
    """How each Page is read this run: our Pages with their Page token, rivals as public
    content; the Pages that could not be read, with why."""

    own: set[str] = field(default_factory=set)
    rivals: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Schedule:
    """When a post's comments and reactions are due (`recheck.needs_walk`): this run's time,
    the first re-walk point and the look-back; a backfill of a past interval walks every
    post (counts describe today)."""

    now: datetime
    first: timedelta
    horizon: timedelta
    backfill: bool


class FacebookExtractor(Extractor):
    source = SOURCE
    settings: FacebookSettings
    _access: _PageAccess | None = None

    # --- tokens and Pages -----------------------------------------------------------------

    def page_access(self) -> _PageAccess:
        """Ask the brand's token for the Pages it manages (once per extractor), scope each own
        Page's token to its requests, and sort the Pages into ours and rivals."""
        if self._access is not None:
            return self._access
        managed: dict[str, dict] = {}
        own = self.settings.own_page_ids
        if own is not None and not set(own) & set(self.settings.page_ids):
            # rivals only (a rival brand's mapped task): no Page token to ask for
            self._access = _PageAccess(rivals=set(self.settings.page_ids))
            return self._access
        try:
            for page in self.client.graph_pages(
                "me/accounts", {"fields": "id,name,access_token,tasks", "limit": 100}
            ):
                for item in page.items:
                    if isinstance(item, dict) and GRAPH_ID.match(str(item.get("id") or "")):
                        managed[str(item["id"])] = item
        except ApiError as exc:
            if isinstance(exc, ApiAuthError) or exc.error_code != 100:
                raise
            # /me of a Page token is the Page, which has no `accounts`
            raise ApiAccessError(
                f"{self.client.connection_id}: the token cannot list the Pages it manages "
                f"(/me/accounts: {exc.error_message}): it must be the brand's system-user (or "
                "user) token with the Pages' tasks, not a Page token (docs/rivals.md)",
                exc.status,
                exc.body,
            ) from exc
        if own is None:
            own = tuple(p for p in self.settings.page_ids if p in managed)
        access = _PageAccess(rivals={p for p in self.settings.page_ids if p not in own})
        name = self.client.connection_id
        for page_id in (p for p in self.settings.page_ids if p in own):
            item = managed.get(page_id) or {}
            token, tasks = item.get("access_token"), item.get("tasks") or []
            missing = [t for t in REQUIRED_TASKS if t not in tasks]
            if not isinstance(token, str) or not token:
                access.failed[page_id] = (
                    f"connection '{name}' does not manage this Page (its token's /me/accounts "
                    "does not list it): give the connection's system user (or user) the "
                    f"{' and '.join(REQUIRED_TASKS)} tasks on the Page in Meta Business "
                    "Settings, or mark the Page as a rival in dbt_project/seeds/brands.csv"
                )
            elif missing:
                access.failed[page_id] = (
                    f"connection '{name}' lacks the {' and '.join(missing)} task(s) on this "
                    "Page (who commented needs MODERATE, insights ANALYZE): grant them to the "
                    "connection's system user (or user) in Meta Business Settings"
                )
            else:
                self.client.scope_token(page_id, token)
                access.own.add(page_id)
        self._access = access
        return access

    def _pages(self, *, rivals: bool = True) -> list[str]:
        """The Pages this step reads, in the settings' order (rivals too, unless not)."""
        access = self.page_access()
        readable = access.own | (access.rivals if rivals else set())
        return [p for p in self.settings.page_ids if p in readable and p not in access.failed]

    @contextmanager
    def _one_page(self, page_id: str) -> Iterator[None]:
        """A Page's permission error is that Page's: recorded, and the next Page is read; so
        is a Page Graph cannot load (unpublished, restricted by age or country, a wrong id in
        brands.csv). The brand's own token refused while reading a rival is the
        connection's: it fails all."""
        access = self.page_access()
        try:
            yield
        except ApiError as exc:
            grant = self._why_not_read(page_id, exc)
            access.failed[page_id] = f"{grant} ({exc.error_message or exc})"[:600]
            log.warning("facebook page %s: not read: %s", page_id, access.failed[page_id])

    def _why_not_read(self, page_id: str, exc: ApiError) -> str:
        """What to do about a Page the API refused or cannot load; the error again (raised)
        when it is not that Page's."""
        access = self.page_access()
        if isinstance(exc, PageTokenRequired):
            return (
                "Graph reads this Page only with its own Page token (New Pages Experience): "
                "if it is the brand's, mark it is_ours in dbt_project/seeds/brands.csv and give "
                f"the connection's system user the {' and '.join(REQUIRED_TASKS)} tasks on it; "
                "a rival's Page is read as public content only"
            )
        if cannot_load(exc.detail):
            return (
                "Graph cannot load this Page (unpublished, restricted by age or country, or a "
                "wrong id in dbt_project/seeds/brands.csv): check the Page's id; it is asked "
                "again next run"
            )
        if not isinstance(exc, ApiAccessError | ApiAuthError):
            raise exc
        if isinstance(exc, ApiAuthError) and page_id not in access.own:
            raise exc
        if page_id in access.own:
            return (
                "its Page token was refused: give the connection's system user (or user) "
                f"the {' and '.join(REQUIRED_TASKS)} tasks on the Page again"
                if isinstance(exc, ApiAuthError)
                else "the Page token lacks a permission: grant pages_read_engagement and "
                "pages_read_user_content to the app and the Page's tasks to its user"
            )
        return (
            "a rival's Page is read as public content: the app needs the Page Public "
            "Content Access feature (App Review, business verification)"
        )

    def finish(self) -> None:
        """After a task's steps: the Pages that could not be read fail it once
        (`PagesUnreadable`), every other Page having landed."""
        failed = self._access.failed if self._access is not None else {}
        if failed:
            raise PagesUnreadable(
                f"{self.client.connection_id}: {len(failed)} Facebook Page(s) not read (the "
                "others landed): "
                + "; ".join(f"Page {page}: {why}" for page, why in sorted(failed.items()))
            )

    # --- page snapshots and insights ------------------------------------------------------

    def page_snapshots(self) -> BatchResult:
        """Each Page's counts (rivals' too: public Page fields), dated by the API's answer
        (its `Date`), whatever interval the run describes: the counts are the API's now."""
        with self.connect() as conn, self.engine.batch(conn, PAGE_SNAPSHOTS) as batch:
            for page_id in self._pages():
                with self._one_page(page_id):
                    for page in self.engine.pages(PAGE_SNAPSHOTS, page_id):
                        at = self.client.answered_at()
                        items = PAGE_SNAPSHOTS.select(page)
                        self.engine.land(PAGE_SNAPSHOTS, items, batch, page_id, stamp=at)
        return batch.result

    def insights(self) -> BatchResult:
        """Daily Page Insights of the registry's metrics, for our Pages (a rival's insights
        need its own Page token). A metric the API rejects is dropped (and recorded in
        meta.rejected_metrics); the others land."""
        pages = self._pages(rivals=False)
        with self.connect() as conn:
            # each Page's own: one connected later reads its whole history
            marks = {
                p: self.engine.watermark(conn, PAGE_INSIGHTS, scope=p).get("last_event_at")
                for p in pages
            }
            rejected = {
                row[0]
                for row in conn.execute(
                    "select metric from meta.rejected_metrics where source = %s", (SOURCE,)
                ).fetchall()
            }
            # the API retires a metric for every request sent after the date, whatever days it
            # asks for: the metrics are chosen by the API's today, not the run's interval (a
            # backfill) nor our machine's clock
            metrics = graph_metrics.to_request(self.client.server_now().date(), rejected)
            if rejected:
                log.warning(
                    "facebook insights: not asking for %s (rejected by the API before; see "
                    "meta.rejected_metrics)",
                    ", ".join(sorted(rejected)),
                )
            with self.engine.batch(conn, PAGE_INSIGHTS) as batch:
                for page_id in pages:
                    mark, params = marks[page_id], {}
                    if mark is not None:
                        params["since"] = (mark - timedelta(days=2)).strftime("%Y-%m-%d")
                    with self._one_page(page_id):
                        values = [
                            {
                                "page_id": page_id,
                                "metric": metric.get("name"),
                                "value": value.get("value"),
                                "end_time": value.get("end_time"),
                            }
                            for metric in self._insight_series(page_id, metrics, params)
                            for value in metric.get("values") or []
                        ]
                        walked = self.engine.land(PAGE_INSIGHTS, values, batch, page_id)
                        if walked.newest_at is not None:
                            batch.set_watermark(
                                PAGE_INSIGHTS.watermark_name(page_id),
                                last_event_at=walked.newest_at,
                            )
        return batch.result

    def _insight_series(self, page_id: str, metrics: list[str], params: dict) -> list[dict]:
        """The series of `metrics` for a page: one request, or, when the API rejects a metric
        (it does not say which), one request per metric, dropping the rejected ones."""
        if not metrics:
            return []
        try:
            return self._insight_answer(page_id, {**params, "metric": ",".join(metrics)})
        except ApiError as exc:
            if not graph_metrics.is_invalid_metric_error(exc.error_message):
                raise
        series = []
        for metric in list(metrics):
            try:
                series += self._insight_answer(page_id, {**params, "metric": metric})
            except ApiError as exc:
                if not graph_metrics.is_invalid_metric_error(exc.error_message):
                    raise
                self._reject_metric(metric, exc.error_message)
                metrics.remove(metric)
        return series

    def _insight_answer(self, page_id: str, params: dict) -> list[dict]:
        (page,) = self.engine.pages(PAGE_INSIGHTS, page_id, params)
        return list(page.body.get("data") or [])

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
        listing = POSTS if edge == "posts" else VISITOR_POSTS
        children = [COMMENTS] if recent_days is not None else [COMMENTS, REACTIONS]
        with (
            self.connect() as c_posts,
            self.connect() as c_comments,
            self.connect() as c_reactions,
            self.connect() as c_counts,
        ):
            c_counts.autocommit = True  # look-ups only
            # a rival's visitor posts come without their authors: not read
            pages = self._pages(rivals=edge == "posts")
            since = self._listing_starts(c_posts, listing, pages, recent_days)
            people: dict[str, str] = {}  # who engaged: the Page where they were seen
            engine = self.engine
            with (
                engine.batch(c_posts, listing, confirm_gone=self._gone_nodes) as posts,
                engine.batch(c_comments, COMMENTS, confirm_gone=self._gone_nodes) as comments,
                engine.batch(c_reactions, REACTIONS, confirm_gone=self._gone_reactions)
                if REACTIONS in children
                else nullcontext(None) as reactions,
            ):
                schedule = self._schedule()
                # the counts of both edges whichever it walks: the live walk and the hourly
                # one land the same post as the same payload (a count only one of them asked
                # for would make each land a new version of every post the other landed)
                fields = listing_fields(POST_FIELDS, [COMMENTS, REACTIONS])
                skipped = 0
                for page_id in pages:
                    rival = page_id not in self.page_access().own
                    start = since[page_id]
                    with self._one_page(page_id):
                        clean, newest = True, None
                        params = {
                            "fields": fields,
                            "since": int(start.timestamp()) if start else None,
                            "until": int(self.interval[1].timestamp())
                            if self.interval[1]
                            else None,
                        }
                        for page in engine.pages(listing, page_id, params):
                            listed, walked = self._list_posts(
                                listing, page, page_id, posts, people, rival
                            )
                            clean = clean and walked.clean
                            newest = _later(newest, walked.newest_at)
                            if rival:  # its posts and their counts: all a brand reads of it
                                continue
                            if not schedule.backfill:
                                _known_counts(c_counts, listed)
                            plans = {}
                            for post_id, counts in listed.items():
                                plan = _plan(counts, schedule, reactions is not None)
                                if plan.comments or plan.reactions:
                                    plans[post_id] = plan
                                else:
                                    skipped += 1
                            self._walk_activity(
                                plans, listed, schedule, comments, reactions, people
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
                            posts.reconcile(page_id, start, self.interval[1])
                        # moved by a walk of the whole window that ended (a failed one
                        # lands its newest posts first: moved, its older ones would be
                        # skipped); the live walk's window is not the watermark's
                        if recent_days is None and newest is not None:
                            posts.set_watermark(
                                listing.watermark_name(page_id), last_event_at=newest
                            )
            results = [comments.result, posts.result]
            if reactions is not None:
                results.insert(1, reactions.result)
        results += engine.cascade(listing, [COMMENTS, REACTIONS], _forget_walks)
        results.append(self.users(people))
        return results

    def _listing_starts(
        self,
        conn: psycopg.Connection,
        listing: Stream,
        pages: list[str],
        recent_days: int | None,
    ) -> dict[str, datetime | None]:
        """Where each Page's listing starts: `lookback_days` before its own watermark (None,
        the whole history, for a Page without one: added later, or never read yet); for the
        live walk, `recent_days` before now."""
        if recent_days is not None:
            now = self.interval[1] or self.client.server_now()
            return dict.fromkeys(pages, now - timedelta(days=recent_days))
        lookback = timedelta(days=self.settings.lookback_days)
        starts: dict[str, datetime | None] = {}
        for page_id in pages:
            mark = self.engine.watermark(conn, listing, scope=page_id).get("last_event_at")
            starts[page_id] = mark - lookback if mark else None
        return starts

    def _schedule(self) -> _Schedule:
        server_now = self.client.server_now()
        now = self.interval[1] or server_now
        return _Schedule(
            now,
            timedelta(hours=self.settings.recheck_hours),
            timedelta(days=self.settings.lookback_days),
            # a backfill of a past interval walks every post: counts describe today
            now < server_now - timedelta(hours=self.settings.recheck_hours),
        )

    def _list_posts(
        self,
        listing: Stream,
        page: Page,
        page_id: str,
        posts: LandingBatch,
        people: dict[str, str],
        rival: bool = False,
    ) -> tuple[dict[str, _Counts], Walked]:
        """Land a page of a post listing; return each landed post's listed counts, by id. A
        rival's post keeps its counts in its record (`comment_count`, `reaction_count`: all
        a brand reads of its engagement; a count that moved is a new version)."""
        listed: dict[str, _Counts] = {}
        walked = Walked()
        for item in page.items:
            if listing is VISITOR_POSTS and isinstance(item, dict) and author_id(item) == page_id:
                continue  # the feed mixes in the Page's own posts: they land from /posts
            counts = _counts_of(item)  # before landing: the counts are not the post's record
            if rival and isinstance(item, dict):
                item["comment_count"] = counts.seen.get("comments")
                item["reaction_count"] = counts.seen.get("reactions")

            def note(item: Any, record: Any, counts: _Counts = counts) -> None:
                _seen(people, author_id(item), page_id)
                counts.created_at = record.event_at
                listed[record.natural_key] = counts

            self.engine.land(listing, [item], posts, page_id, walked, on_record=note)
        return listed, walked

    def _walk_activity(
        self,
        plans: dict[str, _Walk],
        listed: dict[str, _Counts],
        schedule: _Schedule,
        comments: LandingBatch,
        reactions: LandingBatch | None,
        people: dict[str, str],
    ) -> None:
        """Walk the comments and reactions `plans` asks for, post by post, the next posts'
        walks running ahead; record what each walk read completely."""
        fan_out = self.engine.fan_out(
            {COMMENTS.entity: COMMENTS, REACTIONS.entity: REACTIONS},
            {post_id: plan.edges() for post_id, plan in plans.items()},
            ACTIVITY_AHEAD,
        )
        for post_id, pages in fan_out:
            walked = self._activity(
                post_id,
                pages.get(COMMENTS.entity),
                pages.get(REACTIONS.entity),
                plans[post_id].comments_since,
                comments,
                reactions,
                people,
            )
            _remember_counts(post_id, listed[post_id], walked, schedule.now, comments, reactions)

    def _activity(
        self,
        post_id: str,
        comment_pages: Iterable[Page] | None,
        reaction_pages: Iterable[Page] | None,
        comments_since: datetime | None,
        comments: LandingBatch,
        reactions: LandingBatch | None,
        people: dict[str, str],
    ) -> _Walked:
        """Land a post's comments and reactions: all of them (deletions then reconciled), or,
        with `comments_since`, the comments newest first down to that time. Returns what was
        read completely."""
        walked = _Walked()
        owner = page_of(post_id)  # whose Page token reads who engaged
        if comment_pages is not None and comments_since is not None:
            read = land_new_comments(post_id, comment_pages, comments_since, comments, people)
            if read is not None:
                clean, walked.newest_comment_at = read
                walked.comments = "new" if clean else None
                comment_pages = None
            else:
                comment_pages = self.engine.pages(COMMENTS, parent=post_id)
        if comment_pages is not None:
            all_comments = Walked()
            for page in comment_pages:
                self.engine.land(
                    COMMENTS,
                    page.items,
                    comments,
                    post_id,
                    all_comments,
                    on_record=lambda item, _: _seen(people, author_id(item), owner),
                )
            walked.comments_read = all_comments.read
            walked.newest_comment_at = all_comments.newest_at
            if all_comments.clean:
                comments.reconcile(post_id)
                walked.comments = "all"
        if reaction_pages is None or reactions is None:
            return walked
        counted, all_reactions = _CountedWalk(), Walked()
        for page in reaction_pages:
            counted.see(page)
            self.engine.land(
                REACTIONS,
                page.items,
                reactions,
                post_id,
                all_reactions,
                on_record=lambda _, record: _seen(people, record.payload["user_id"], owner),
            )
        # complete by the API's own count: an empty or cut-short answer reconciles nothing
        if all_reactions.clean and counted.complete:
            reactions.reconcile(post_id)
            walked.reactions = True
        return walked

    # --- people ---------------------------------------------------------------------------

    def users(self, people: dict[str, str]) -> BatchResult:
        """Profiles (id and name) of people not yet landed, each read with the token of the
        Page where they engaged (`people`: person -> Page): a person's id is scoped to the
        Page (a PSID, "unique to each User-Page pair", developers.facebook.com/docs/pages/
        guides), and on a New Pages Experience Page only its Page token reads it."""
        page_ids = set(self.settings.page_ids)
        access = self.page_access()
        own = access.own - set(access.failed)  # Pages whose token reads them this run
        with self.connect() as conn:
            wanted = sorted(u for u in set(people) - page_ids if u and GRAPH_ID.match(u))
            known = {
                row[0]
                for row in conn.execute(
                    "select distinct natural_key from raw.facebook_users"
                    " where natural_key = any(%s)",
                    (wanted,),
                ).fetchall()
            }
            todo = [u for u in wanted if u not in known]
            by_page: dict[str, list[str]] = {}
            for user in todo:
                by_page.setdefault(people[user], []).append(user)
            unread = sum(len(users) for page, users in by_page.items() if page not in own)
            if unread:
                log.warning(
                    "facebook users: %d seen on a Page without our Page token: not looked up",
                    unread,
                )
            with self.engine.batch(conn, USERS) as batch:
                for page, users in sorted(by_page.items()):
                    if page not in own:
                        continue
                    for start in range(0, len(users), LOOKUP_BATCH):
                        chunk = users[start : start + LOOKUP_BATCH]
                        found = graph_batch.read_nodes(
                            self.client, chunk, PROFILE_FIELDS, page=page
                        )
                        self.engine.land(USERS, [found[u] for u in chunk if u in found], batch)
                log.info("facebook users: %d looked up, %d already known", len(todo), len(known))
        return batch.result

    # --- deletions, confirmed at the source ----------------------------------------------

    def _gone_nodes(self, missing: list[Missing]) -> set[str]:
        """Of posts or comments missing from a walk, those the API says do not exist, asked
        with the token that can load them: the owning Page's for our Pages' objects (on a New
        Pages Experience Page no other token reads them, and `(#100)` subcode 33 "does not
        exist, cannot be loaded due to missing permissions" proves nothing), the brand's for
        a rival's public posts. An object of a Page of ours without its token this run is
        kept: nothing is tombstoned on a doubt."""
        keys = [m for m in missing if GRAPH_ID.match(m.natural_key)]
        if len(keys) < len(missing):
            log.warning(
                "facebook: %d record(s) missing from the walk have ids that are not Graph ids "
                "(landed by an older version?): they cannot be looked up, so they are kept",
                len(missing) - len(keys),
            )
        access = self.page_access()
        by_page: dict[str, list[str]] = {}
        for m in keys:
            by_page.setdefault(page_of(m.scope_key), []).append(m.natural_key)
        gone: set[str] = set()
        for page, ids in sorted(by_page.items()):
            readable = (access.own | access.rivals) - set(access.failed)
            if page not in readable:
                log.warning(
                    "facebook page %s: %d record(s) missing from the walk kept: the Page "
                    "could not be read this run, so nothing confirms they are gone",
                    page,
                    len(ids),
                )
                continue
            scope = page if page in access.own else None
            found = graph_batch.read_nodes(self.client, ids, "id", page=scope)
            gone |= set(ids) - set(found)
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
                for page in self.engine.pages(REACTIONS, parent=graph_id(post_id, "post id")):
                    walk.see(page)
            except ApiError as exc:
                if not graph_batch.is_missing_node(exc):
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

    def edges(self) -> dict[str, tuple[dict[str, Any], int | None]]:
        """The engine's fan-out plan: {entity: (extra parameters, pages fetched ahead)}. A
        newest-first read of comments fetches its first page ahead, the next ones only if its
        reader asks (it usually stops after one)."""
        plan: dict[str, tuple[dict[str, Any], int | None]] = {}
        if self.comments and self.comments_since is not None:
            plan[COMMENTS.entity] = ({"order": "reverse_chronological"}, 1)
        elif self.comments:
            plan[COMMENTS.entity] = ({}, None)
        if self.reactions:
            plan[REACTIONS.entity] = ({}, None)
        return plan


def _plan(counts: _Counts, schedule: _Schedule, walk_reactions: bool) -> _Walk:
    """Which of a post's edges this run walks, and how (`recheck.needs_walk`)."""
    now, first, horizon = schedule.now, schedule.first, schedule.horizon
    return _Walk(
        counts.wants("comments", now, first, horizon),
        walk_reactions and counts.wants("reactions", now, first, horizon),
        counts.new_comments_since(now, first, horizon),
    )


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


def _seen(people: dict[str, str], person: str, page: str) -> None:
    """Note who engaged, and the first Page they were seen on (the token that reads them)."""
    people.setdefault(person, page)


def page_of(node: str) -> str:
    """The Page of a Page's id or of one of its posts (`{page-id}_{post-id}`)."""
    return node.split("_", 1)[0]


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a is not None and b is not None else a or b


def _counts_of(item: Any) -> _Counts:
    """Take the listed counts out of a post (they are not part of the post's record: a new
    comment would otherwise make a new version of the post)."""
    if not isinstance(item, dict):
        return _Counts({})
    return _Counts({edge: _total(item.pop(edge, None)) for edge in ("comments", "reactions")})


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
    people: dict[str, str],
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
            record = land_or_quarantine(comments, item, lambda i: comment_record(i, post_id))
            if record is None:
                clean = False
                continue
            _seen(people, author_id(item), page_of(post_id))
            at = record.event_at
            assert at is not None  # comment_record sets it from the comment's created_time
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


_WALK_COLUMNS = {
    COMMENTS.entity: ("comments_total", "comments_walked_at", "comments_newest_at"),
    REACTIONS.entity: ("reactions_total", "reactions_walked_at"),
}


def _forget_walks(batch: LandingBatch, child: Stream, post_ids: list[str]) -> None:
    """With the tombstones of deleted posts' comments (reactions): forget their last walk, so
    a post that comes back (the Page restored it) has them walked in the run that sees it,
    not at its next re-walk point (its counts, unchanged, would not call for a walk)."""
    columns = _WALK_COLUMNS[child.entity]
    batch.with_commit(
        f"update meta.facebook_post_activity set {', '.join(f'{c} = null' for c in columns)}"  # noqa: S608
        " where post_id = any(%s)",
        (post_ids,),
    )
