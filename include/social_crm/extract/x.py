"""X (API v2) extraction: mentions of each brand and the brand's replies, their authors, and,
when enabled, follower lists; within what the project's access tier allows.

What the real API allows, and how we stay inside it (docs.x.com/x-api):
- Recent search (`/2/tweets/search/recent`) covers the last 7 days only: `start_time` or
  `since_id` older than that is a 400. Every run walks one window per brand, from the newest
  tweet seen minus `lookback_days`, never earlier than 7 days before the API's own clock (read
  from its `Date` header); with `full_archive` (pro tier and above) `/2/tweets/search/all` is
  used and the look-back is not clamped. A gap older than the window is logged, not requested.
- Each search has its own watermark (`search:<query>`), moved only past a walk proven
  complete: one that read back to the watermark's Post (pages are newest first and
  contiguous), or whose window the counts endpoint counts no more Posts in than it read. A
  walk the count shows short (an empty answer, a walk cut short) is resumed below the oldest
  Post it read (`until_id`); still unproven, the next run reads again from the watermark.
  One brand's damaged walk never hides behind another's newer Posts. Behind the watermark,
  a count audit (`count_audit_hours`) compares the counts endpoint's hourly buckets with the
  Posts alive in raw and walks again only the hours where raw holds fewer.
- `end_time` must be at least 10 seconds before the request time.
- Every Post returned by search or lookup counts against the project's monthly Post cap:
  reads are counted, and a spent budget ends the task without failing (`x_budget.py`).
- A tweet missing from a window walk is looked up with `GET /2/tweets?ids=` (100 at a time) and
  tombstoned only when the answer lists it under `errors` as `resource-not-found`.
- Follower lists (`/2/users/:id/followers`) are outside the lower tiers: off by default
  (`follower_walks`: off | brands | authors). A follow missing from a walk is tombstoned only
  when the walk returned as many followers as the account's `public_metrics.followers_count`;
  a walk that returned fewer deletes nothing and is walked again next run.

The entities, and each one's key, scope, event time, watermark and deletion rule, are declared
in `x_streams.py`; the engine (`streams.py`) pages and lands them.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from social_crm.extract.extractor import Extractor
from social_crm.extract.http import ApiAccessError, Page, UsageCapExceeded
from social_crm.extract.recheck import SETTLE, checkpoint_due, is_due, recheck_period
from social_crm.extract.records import X_ID, InvalidRecord
from social_crm.extract.streams import Stream, Walked, streamed
from social_crm.extract.x_budget import TIER_POST_CAPS, BudgetSpent, ReadBudget
from social_crm.extract.x_streams import (
    FOLLOWERS,
    MENTIONS,
    OWN_POSTS,
    SOURCE,
    TWEET_LOOKUP,
    TWEETS,
    TWEETS_ARCHIVE,
    USERS,
    included_users,
    parse_x_time,
)
from social_crm.load.landing import (
    BatchResult,
    ConfirmGone,
    LandingBatch,
    Missing,
    read_watermark,
)
from social_crm.quality.rules import whole_count
from social_crm.settings import X_PRICES_USD

log = logging.getLogger(__name__)

RECENT_WINDOW = timedelta(days=7)
WINDOW_MARGIN = timedelta(minutes=5)  # our clock reading and the API's may differ a little
END_TIME_GAP = timedelta(seconds=10)  # end_time must be this much before the request
LOOKUP_BATCH = 100  # GET /2/tweets?ids=
TIMELINE_PAGE = 100  # the largest page of GET /2/users/:id/mentions and /tweets
LIVE_WATERMARK = "tweets_live"  # the live walk's since_id before each search had its own
RESUMES = 3  # a walk its count shows short is resumed below its oldest Post this many times
# a search's watermark row carries this (`cursor_value`) while its next window walk must cover
# the whole look-back window: a Post of it was quarantined and is read again only so
WHOLE_WINDOW = "whole-window"
TWEPOCH_MS = 1288834974657  # X ids are snowflakes: milliseconds since this epoch, shifted 22


@dataclass(frozen=True)
class XSettings:
    brand_handles: tuple[str, ...]
    brand_user_ids: tuple[str, ...]
    lookback_days: int = 7
    page_size: int = 100
    tier: str = "pay_per_use"  # the access model (settings.X_ACCESS)
    monthly_read_cap: int = 0  # 0: the model's Post cap
    monthly_budget_usd: float = 0.0  # pay-per-use: what a month may cost (0: no budget)
    prices: Mapping[str, float] = field(default_factory=lambda: dict(X_PRICES_USD))
    owned_user_ids: tuple[str, ...] = ()  # our brand accounts: their own data is an Owned Read
    full_archive: bool = False
    follower_walks: str = "off"  # off | brands | authors
    recheck_hours: int = 24  # a Post's first re-check, at this age (0: every run walks all)
    follower_walk_days: int = 7  # an account's followers are walked again this often
    count_audit_hours: int = 24  # each search's count audit, this often (0: every run)
    # (handle, user id) of the brands whose account is ours: read through its owned
    # timelines, not search
    own_accounts: tuple[tuple[str, str], ...] = ()
    # the brand (brands.csv's brand_key) a mapped task reads alone, "" for every brand at once
    brand_key: str = ""

    @property
    def recheck_mark(self) -> str | None:
        """The row in `meta.watermarks` of when this run's Posts were last re-checked: the
        brand's own when a mapped task reads one brand (two brands' tasks never race one
        row), the shared `tweets` row otherwise (None)."""
        return f"{TWEETS.entity}:{self.brand_key}" if self.brand_key else None

    @property
    def feeds(self) -> list[Feed]:
        """Every walk of a run as configured (`feeds_of` the claimed owner)."""
        return self.feeds_of(self.owned_user_ids)

    def feeds_of(self, owned: Collection[str]) -> list[Feed]:
        """Every walk of a run, brand by brand: a rival's search; our account's timelines when
        its reads are Owned Reads (`owned`: the account the token is verified to be), search
        otherwise. Read by an app-only token, a timeline costs more than search: it returns
        the reposts of mentions (charged, then dropped), which search leaves out."""
        own = {h: user for h, user in self.own_accounts if user in owned}
        feeds: list[Feed] = []
        for handle in self.brand_handles:
            if handle in own:
                feeds += [
                    Feed(handle, f"@{handle}", MENTIONS, own[handle], "others"),
                    Feed(handle, f"from:{handle}", OWN_POSTS, own[handle], "own"),
                ]
            else:
                feeds.append(Feed(handle, search_query(handle)))
        return feeds

    @property
    def read_cap(self) -> int:
        return self.monthly_read_cap or TIER_POST_CAPS[self.tier]


@dataclass(frozen=True)
class Feed:
    """One walk of a brand's Posts, with its own watermark: a search (`query`), or an owned
    timeline of the brand's account (`timeline`, at `user_id`) whose Posts are those `query`
    finds (what the counts endpoint counts to prove a walk, and search reads where the
    timeline does not reach); `authors` says which of the brand's Posts in raw are its."""

    handle: str
    query: str
    timeline: Stream | None = None
    user_id: str = ""
    authors: str = "all"  # all | others | own (the brand's account)

    @property
    def entity(self) -> str:
        """Its watermark's row in `meta.watermarks`."""
        if self.timeline is None:
            return f"search:{self.query}"
        return "timeline:" + self.timeline.path.format(scope=self.user_id)

    @property
    def audit_entity(self) -> str:
        """The row in `meta.watermarks` holding when it was last count-audited."""
        return f"audit:{self.query}"

    @property
    def name(self) -> str:
        if self.timeline is None:
            return f"@{self.handle} search"
        return f"@{self.handle} {self.timeline.path.format(scope=self.user_id)}"


@dataclass(frozen=True)
class SearchMark:
    """How far one search is known complete: every Post it matches up to `since_id` (created
    at `at`) has landed."""

    since_id: int
    at: datetime


@dataclass
class Walk:
    """What one walk of a search read: its newest and oldest Post, how many distinct Posts
    (pages come newest first: a Post repeated across a page boundary is counted once), and
    whether every Post parsed."""

    newest_id: int = 0
    newest_at: datetime | None = None
    oldest_id: int = 0
    read: int = 0
    clean: bool = True

    def extend(self, older: Walk) -> None:
        """Add a walk of what lies below this one's oldest Post (`until_id`)."""
        self.read += older.read
        if older.oldest_id:
            self.oldest_id = min(self.oldest_id or older.oldest_id, older.oldest_id)
        if older.newest_id > self.newest_id:
            self.newest_id, self.newest_at = older.newest_id, older.newest_at
        self.clean = self.clean and older.clean

    def saw(self, tweet_id: int, created: datetime | None) -> None:
        if not self.oldest_id or tweet_id < self.oldest_id:
            self.oldest_id = tweet_id
            self.read += 1
        if tweet_id > self.newest_id:
            self.newest_id, self.newest_at = tweet_id, created


class XExtractor(Extractor):
    source = SOURCE
    settings: XSettings

    def tweets(self) -> list[BatchResult]:
        """Mentions and brand replies for every brand, and their authors. A first run (and a
        backfill of a past interval, and every run with `recheck_hours` 0) walks the whole
        look-back window; a run that follows one reads what is new since the newest Post its
        search is known complete up to (its own watermark), then looks up again the Posts whose
        re-check is due (deletions, changed metrics)."""
        now = self.client.server_now(fresh=True)  # one HEAD request a run
        budget = ReadBudget(self, now)
        with self.connect() as c_tweets, self.connect() as c_users:
            with (
                self.engine.batch(
                    c_tweets,
                    TWEETS,
                    confirm_gone=self._gone_tweets(budget),
                    watermark_entity=self.settings.recheck_mark,
                ) as tweets,
                self.engine.batch(c_users, USERS) as users,
            ):
                # a brand's first mapped run follows the runs of every brand at once: the
                # shared row until the brand's own is written
                checked_at = _stored_time(
                    (
                        self.settings.recheck_mark
                        and self.engine.watermark(c_tweets, TWEETS, self.settings.recheck_mark)
                        or self.engine.watermark(c_tweets, TWEETS)
                    ).get("cursor_value")
                )
                hours = self.settings.recheck_hours
                end = self.interval[1]
                backfill = end is not None and end < now - timedelta(hours=hours)
                steady = bool(hours and checked_at and not backfill)
                spent = False
                # a brand's Posts missing from its walks may be gone once every walk of the
                # brand is proven: the window all of them covered (None: one was not)
                covered: dict[str, tuple[datetime, datetime] | None] = {}
                for feed in self.settings.feeds_of(budget.owned):
                    mark = self._read_mark(c_tweets, feed)
                    flagged = whole_window_due(c_tweets, feed)
                    lookback = (
                        SETTLE
                        if steady and mark and not flagged
                        else timedelta(days=self.settings.lookback_days)
                    )
                    start, end = self._window(mark.at if mark else None, now, lookback)
                    if end <= start:
                        log.warning(
                            "x %s: this run's interval ends (%s) before the oldest tweet the "
                            "endpoint serves (%s); nothing to read",
                            feed.name,
                            end.isoformat(),
                            start.isoformat(),
                        )
                        covered[feed.handle] = None
                        continue
                    try:
                        # a walk of the whole window, to read again what was quarantined, is
                        # proven only down to where it began: reaching the watermark's Post
                        # proves it down to the watermark, which moves, and the mark stays
                        walk, proven = self._proven_walk(
                            feed, None if flagged else mark, start, end, tweets, users, budget
                        )
                    except BudgetSpent:
                        spent = True
                        covered[feed.handle] = None
                        break
                    before = covered.get(feed.handle, (start, end))
                    covered[feed.handle] = (
                        (max(start, before[0]), min(end, before[1]))
                        if proven and walk.clean and before is not None
                        else None
                    )
                    reached = proven or bool(
                        mark and walk.oldest_id and walk.oldest_id <= mark.since_id
                    )
                    if flagged and not proven:
                        log.warning(
                            "x %s: the walk of the whole window was not proven complete; "
                            "the next run walks it again",
                            feed.name,
                        )
                    self._save_mark(
                        tweets,
                        feed,
                        mark,
                        walk if reached else None,
                        whole_window=not walk.clean or (flagged and not proven),
                    )
                for handle, window in covered.items():
                    if window is not None and window[0] < window[1]:
                        tweets.reconcile(handle, *window)
                if steady and not spent:
                    assert checked_at is not None  # steady: a run that follows one
                    try:
                        for handle in self._recheck(checked_at, now, tweets, users, budget):
                            for feed in self.settings.feeds_of(budget.owned):
                                if feed.handle == handle:
                                    self._save_mark(tweets, feed, None, None, whole_window=True)
                    except BudgetSpent:
                        spent = True
                if not spent:  # Posts are re-checked from now on (a backfill saw none after)
                    tweets.set_watermark(cursor_value=None if backfill else now.isoformat())
        results = [tweets.result, users.result]
        if steady and not spent:
            results += self._audit(now, budget)
        log.info(
            "x: %s reads used this month of %s; $%.2f spent this month%s",
            f"{budget.used:,}",
            f"{budget.cap:,}",
            budget.spent_usd,
            f" of ${budget.budget_usd:,.2f}" if budget.budget_usd else "",
        )
        return results

    def _audit(self, now: datetime, budget: ReadBudget) -> list[BatchResult]:
        """The count audit behind the watermarks, each search every `count_audit_hours`: the
        counts endpoint's hourly buckets of the look-back window up to the search's watermark
        (one request a search; counts read no Posts) against the Posts alive in raw for the
        search in each hour, and a walk (`start_time`/`end_time`) of only the hours where raw
        holds fewer: a Post search did not return when its window was walked (hidden then,
        restored since, or skipped by a walk cut short) lands, live, and a Post unchanged lands
        no new version. An hour where raw holds more is the re-check's (deletions)."""
        # a run on a schedule comes a little early or late (and Date headers are in seconds)
        due_before = now - timedelta(hours=self.settings.count_audit_hours) + WINDOW_MARGIN
        start = self._window(None, now, timedelta(days=self.settings.lookback_days))[0]
        hours = posts = 0
        with self.connect() as c_tweets, self.connect() as c_users:
            with (
                self.engine.batch(c_tweets, TWEETS) as tweets,
                self.engine.batch(c_users, USERS) as users,
            ):
                for feed in self.settings.feeds_of(budget.owned):
                    mark = self._read_mark(c_tweets, feed)
                    last = _stored_time(
                        self.engine.watermark(c_tweets, TWEETS, feed.audit_entity).get(
                            "cursor_value"
                        )
                    )
                    if mark is None or (last is not None and last > due_before):
                        continue
                    end = min(mark.at, now - END_TIME_GAP).replace(microsecond=0)
                    if end <= start:
                        continue
                    try:
                        short = self._short_hours(c_tweets, feed, start, end)
                    except UsageCapExceeded as exc:
                        budget.stop(str(exc))
                        break
                    except BudgetSpent:  # the counts request could not be held
                        break
                    if short is None:
                        continue  # no complete count: audited again next run
                    try:
                        for begin, finish in short:
                            walk = self._read(
                                feed, begin, finish, tweets, users, budget, by_search=True
                            )
                            hours += round((finish - begin) / timedelta(hours=1)) or 1
                            posts += walk.read
                            if not walk.clean:
                                self._save_mark(tweets, feed, None, None, whole_window=True)
                    except BudgetSpent:
                        break
                    tweets.with_commit(
                        "insert into meta.watermarks (source, entity, cursor_value, batch_id,"
                        " updated_at) values (%s, %s, %s, %s, now())"
                        " on conflict (source, entity) do update set"
                        " cursor_value = excluded.cursor_value, batch_id = excluded.batch_id,"
                        " updated_at = now()",
                        (SOURCE, feed.audit_entity, now.isoformat(), tweets.result.batch_id),
                    )
        log.info(
            "x: the count audit walked %d hours where raw held fewer Posts than the API counts"
            " and read %d Posts",
            hours,
            posts,
        )
        return [tweets.result, users.result]

    def _short_hours(
        self, conn: psycopg.Connection, feed: Feed, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]] | None:
        """The spans of [start, end) (adjacent hours joined) where the counts endpoint counts
        more Posts of `feed`'s query than raw holds alive for it; None when the counts
        answer does not cover the window (or the tier refuses it)."""
        buckets = self._count_buckets(feed.query, start, end, "hour")
        if buckets is None:
            return None
        edges = [begin for begin, _, _ in buckets]
        held = [0] * len(buckets)
        for (at,) in streamed(
            conn,
            "select event_at from (select distinct on (natural_key) event_at, is_deleted,"
            " scope_key, payload->>'author_id' as author_id from raw.x_tweets"
            " where event_at >= %s and event_at < %s"
            " order by natural_key, ingest_seq desc) as latest"
            " where not is_deleted and scope_key = %s"
            " and case %s when 'others' then author_id is distinct from %s"
            " when 'own' then author_id = %s else true end",
            (start, end, feed.handle, feed.authors, feed.user_id, feed.user_id),
        ):
            held[max(0, bisect_right(edges, at) - 1)] += 1
        spans: list[tuple[datetime, datetime]] = []
        for (begin, finish, count), have in zip(buckets, held, strict=True):
            if count <= have:
                continue
            if spans and spans[-1][1] == begin:
                spans[-1] = (spans[-1][0], finish)
            else:
                spans.append((begin, finish))
        return spans

    def _read_mark(self, conn: psycopg.Connection, feed: Feed) -> SearchMark | None:
        """How far `feed` is known complete: its own watermark; for a timeline before its
        first walk, the brand's search's (what the search proved holds for the timeline's
        Posts too); or, in a warehouse whose searches shared one watermark (before each had
        its own), the newest Post landed for the handle no newer than that shared one (never
        past a Post that an empty or cut walk of this handle skipped while another handle
        read newer ones)."""
        handle = feed.handle
        for entity in dict.fromkeys((feed.entity, search_entity(handle))):
            own = self.engine.watermark(conn, TWEETS, entity)
            if own.get("since_id") and own.get("last_event_at"):
                return SearchMark(int(own["since_id"]), own["last_event_at"])
        shared = max(
            int(self.engine.watermark(conn, TWEETS, entity).get("since_id") or 0)
            for entity in ("tweets", LIVE_WATERMARK)
        )
        if not shared:
            return None
        row = conn.execute(
            "select natural_key, event_at from raw.x_tweets where scope_key = %s"
            " and event_at <= %s"
            " and case when natural_key ~ '^[0-9]+$' then natural_key::numeric end <= %s"
            " order by event_at desc, natural_key desc limit 1",
            (handle, snowflake_time(shared), shared),
        ).fetchone()
        return SearchMark(int(row[0]), row[1]) if row else None

    def _save_mark(
        self,
        batch: LandingBatch,
        feed: Feed,
        mark: SearchMark | None,
        walk: Walk | None,
        *,
        whole_window: bool,
    ) -> None:
        """In the transaction that lands the walk: move the search's watermark to the newest
        Post of `walk` (one proven complete down to the watermark), and mark whether the
        search's next window walk must cover the whole look-back window (`WHOLE_WINDOW`: a
        Post of it was quarantined, or a whole-window walk was not proven) or may start at
        the watermark. Each search keeps its mark, so a run that ends early (the read cap)
        keeps what its finished walks learned."""
        since_id = at = None
        if walk is not None and walk.newest_id and walk.newest_at is not None:
            if mark is None or mark.since_id < walk.newest_id:
                since_id, at = str(walk.newest_id), walk.newest_at
        batch.with_commit(
            "insert into meta.watermarks (source, entity, cursor_value, since_id, last_event_at,"
            " batch_id, updated_at) values (%s, %s, %s, %s, %s, %s, now())"
            " on conflict (source, entity) do update set"
            " cursor_value = excluded.cursor_value,"
            " since_id = coalesce(excluded.since_id, meta.watermarks.since_id),"
            " last_event_at = coalesce(excluded.last_event_at, meta.watermarks.last_event_at),"
            " batch_id = excluded.batch_id, updated_at = now()",
            (
                SOURCE,
                feed.entity,
                WHOLE_WINDOW if whole_window else None,
                since_id,
                at,
                batch.result.batch_id,
            ),
        )

    def _proven_walk(
        self,
        feed: Feed,
        mark: SearchMark | None,
        start: datetime,
        end: datetime,
        tweets: LandingBatch,
        users: LandingBatch,
        budget: ReadBudget,
        since_id: int | None = None,
    ) -> tuple[Walk, bool]:
        """Walk `feed` over [start, end) (what is newer than `since_id`, when given), and
        whether the walk read every Post it matches there: it read back to a Post at or
        before the feed's watermark (pages are newest first and contiguous, so nothing
        between was skipped), or the API's count of the feed's query in the same window
        (`/2/tweets/counts/*`) is no more than the Posts it read. A walk the count shows short
        (an empty answer, a walk cut short, a timeline's horizon) is resumed below the oldest
        Post it read (`until_id`), up to `RESUMES` times: reading again only what it missed.
        A timeline is resumed by itself until a resume reads nothing more (the timeline
        reaches no further back: its 800 most recent mentions), then by search, which fills
        the gap. Unproven, the watermark stays and the next run reads from it."""
        query = feed.query
        walk = self._read(feed, start, end, tweets, users, budget, since_id=since_id)
        counted = None
        by_search = feed.timeline is None
        for attempt in range(RESUMES + 1):
            if mark is not None and walk.oldest_id and walk.oldest_id <= mark.since_id:
                return walk, True
            if counted is None:  # asked again after an answer that did not cover the window
                try:
                    counted = self._counted(query, start, end, since_id)
                except UsageCapExceeded as exc:  # the credits ran out between two requests
                    budget.spent(str(exc))
            if counted is not None and counted <= walk.read:
                return walk, True
            if counted is not None and attempt < RESUMES:
                resumed = self._read(
                    feed,
                    start,
                    end,
                    tweets,
                    users,
                    budget,
                    since_id=since_id,
                    until_id=walk.oldest_id or None,
                    by_search=by_search,
                )
                if not by_search and not resumed.read:
                    log.warning(
                        "x %s: the timeline reaches no further back than %s (%d Posts read, "
                        "%d counted): search reads the rest of the window",
                        feed.name,
                        walk.oldest_id and snowflake_time(walk.oldest_id).isoformat(),
                        walk.read,
                        counted,
                    )
                    by_search = True
                walk.extend(resumed)
        log.warning(
            "x %s: the walk of %s to %s read %d Posts, the API counts %s: it may have been "
            "cut short; its watermark stays%s and the next run reads from there",
            feed.name,
            start.isoformat(),
            end.isoformat(),
            walk.read,
            "no complete count" if counted is None else counted,
            f" at {mark.at.isoformat()}" if mark else "",
        )
        return walk, False

    def _counted(
        self, query: str, start: datetime, end: datetime, since_id: int | None = None
    ) -> int | None:
        """How many Posts `query` matches in [start, end) (newer than `since_id`, created no
        earlier than `start`, when given) by the counts endpoint; None when its answer does
        not cover the whole window (an empty or cut answer) or the access tier refuses it."""
        buckets = self._count_buckets(query, start, end, "day", since_id)
        return None if buckets is None else sum(count for _, _, count in buckets)

    def _count_buckets(
        self,
        query: str,
        start: datetime,
        end: datetime,
        granularity: str,
        since_id: int | None = None,
    ) -> list[tuple[datetime, datetime, int]] | None:
        """The counts endpoint's buckets (start, end, Posts) of [start, end) by `granularity`
        (minute, hour, day); None when its answer does not cover the whole window or the
        access tier refuses it."""
        path = "tweets/counts/all" if self.settings.full_archive else "tweets/counts/recent"
        params = {"query": query, "end_time": _x_time(end), "granularity": granularity}
        if since_id:
            params["since_id"] = str(since_id)
        else:
            params["start_time"] = _x_time(start)
        buckets: list[dict] = []
        try:
            for page in self.client.token_pages(path, params, "next_token"):
                buckets += page.items
        except ApiAccessError as exc:
            log.warning("x: %s; walks are proven by overlap only", exc)
            return None
        return count_buckets(buckets, start, end)

    def _recheck(
        self,
        since: datetime,
        now: datetime,
        tweets: LandingBatch,
        users: LandingBatch,
        budget: ReadBudget,
    ) -> set[str]:
        """Look up again (`GET /2/tweets?ids=`, 100 a request) the Posts of the look-back
        window that passed a re-check point since the last run (ages `recheck_hours`, then
        twice, four times ... that, up to `lookback_days`): a Post the API answers is gone is
        tombstoned, one that changed lands as a new version. Returns the brands of the Posts
        quarantined (every brand, for a Post the lookup was not asked for): their searches walk
        the whole window next run, to read them again."""
        first = timedelta(hours=self.settings.recheck_hours)
        horizon = timedelta(days=self.settings.lookback_days)
        # the Posts of the window streamed, only those due kept: the window holds every Post
        # of `lookback_days` (the incremental run's 1 GB at 10M events, read whole)
        handle_of: dict[str, str] = {}
        window = 0
        with self.connect() as conn:  # a look-up beside the batch's transaction
            for key, handle, created in streamed(
                conn,
                "select natural_key, scope_key, event_at from (select distinct on (natural_key)"
                " natural_key, scope_key, event_at, is_deleted from raw.x_tweets"
                " where event_at >= %s and scope_key = any(%s)"
                " order by natural_key, ingest_seq desc) as latest where not is_deleted",
                (since - horizon, list(self.settings.brand_handles)),
            ):
                window += 1
                if checkpoint_due(created, since, now, first, horizon):
                    handle_of[key] = handle
        due = sorted(handle_of)
        gone: set[str] = set()
        quarantined: set[str] = set()
        for begin in range(0, len(due), LOOKUP_BATCH):
            chunk = due[begin : begin + LOOKUP_BATCH]
            budget.reserve(len(chunk))
            try:
                (page,) = self.engine.pages(TWEET_LOOKUP, params={"ids": ",".join(chunk)})
            except UsageCapExceeded as exc:
                budget.spent(str(exc))
            except BaseException:
                budget.release()
                raise
            body = page.body
            items = body.get("data") or []
            budget.spend(len(items))
            for item in items:
                handle = handle_of.get(str(item.get("id")) if isinstance(item, dict) else "")
                if handle is None:
                    tweets.quarantine(str(item)[:2000], "a Post the lookup was not asked for")
                    quarantined |= set(self.settings.brand_handles)
                    continue
                if not self.engine.land(TWEET_LOOKUP, [item], tweets, handle).clean:
                    quarantined.add(handle)
            self.engine.land(USERS, included_users(body), users)
            gone |= not_found_ids(body) & set(chunk)
        tweets.confirmed_gone(gone)
        log.info(
            "x: %d of %d Posts in the window re-checked, %d deleted at the source",
            len(due),
            window,
            len(gone),
        )
        return quarantined

    def new_tweets(self) -> list[BatchResult]:
        """The live walk: mentions and brand replies posted since the newest Post each search
        is known complete up to (`since_id`: reads, and spends, only what is new), and their
        authors; the count of Posts since that one (`/2/tweets/counts/*`, which reads none)
        proves the walk complete. It confirms no deletion (that takes a walk of the whole
        window: `tweets`). A watermark older than recent search serves falls back to the start
        of what it serves."""
        now = self.client.server_now(fresh=True)
        budget = ReadBudget(self, now)
        with self.connect() as c_tweets, self.connect() as c_users:
            with (
                self.engine.batch(c_tweets, TWEETS) as tweets,
                self.engine.batch(c_users, USERS) as users,
            ):
                oldest = None if self.settings.full_archive else now - RECENT_WINDOW
                end = (now - END_TIME_GAP).replace(microsecond=0)
                for feed in self.settings.feeds_of(budget.owned):
                    mark = self._read_mark(c_tweets, feed)
                    if mark and not (oldest and mark.at < oldest + WINDOW_MARGIN):
                        start, since_id = mark.at.replace(microsecond=0), mark.since_id
                    else:  # the look-back from now, as a first window walk reads
                        lookback = timedelta(days=self.settings.lookback_days)
                        start, since_id = self._window(None, now, lookback)[0], None
                    try:
                        walk, proven = self._proven_walk(
                            feed, mark, start, end, tweets, users, budget, since_id=since_id
                        )
                    except BudgetSpent:
                        break
                    flagged = whole_window_due(c_tweets, feed)
                    if proven or not walk.clean:
                        self._save_mark(
                            tweets,
                            feed,
                            mark,
                            walk if proven else None,
                            whole_window=flagged or not walk.clean,
                        )
        return [tweets.result, users.result]

    def _window(
        self, newest_at: datetime | None, now: datetime, lookback: timedelta
    ) -> tuple[datetime, datetime]:
        """[start, end) of this run's walk: `lookback` before the newest tweet seen (before
        now on a first run), within what the endpoint serves; it ends at the interval's end,
        or as late as the endpoint allows."""
        end = self.interval[1]
        latest_end = now - END_TIME_GAP
        if end is None or end > latest_end:
            end = latest_end
        anchor = min(newest_at, end) if newest_at else end
        start = anchor - lookback
        if not self.settings.full_archive:
            oldest = now - RECENT_WINDOW + WINDOW_MARGIN
            if start < oldest:
                if newest_at is not None and newest_at < oldest:
                    log.warning(
                        "x: tweets between %s and %s cannot be read: recent search serves "
                        "the last 7 days (set full_archive on a pro connection to reach them)",
                        newest_at.isoformat(),
                        oldest.isoformat(),
                    )
                start = oldest
        return start.replace(microsecond=0), end.replace(microsecond=0)

    def _read(
        self,
        feed: Feed,
        start: datetime | None,
        end: datetime | None,
        tweets: LandingBatch,
        users: LandingBatch,
        budget: ReadBudget,
        since_id: int | None = None,
        until_id: int | None = None,
        by_search: bool = False,
    ) -> Walk:
        """Read `feed`'s Posts in the window (its timeline, or search when it has none or
        `by_search`) and land them page by page; what the walk read."""
        handle = feed.handle
        params: dict[str, Any] = {}
        if feed.timeline is None or by_search:
            stream = TWEETS_ARCHIVE if self.settings.full_archive else TWEETS
            params["query"], scope = feed.query, handle
        else:
            stream, scope = feed.timeline, feed.user_id
            # a timeline's pages hold 5 to 100 Posts, full-archive search's up to 500
            params["max_results"] = max(5, min(self.engine.page_size, TIMELINE_PAGE))
        if since_id:
            params["since_id"] = str(since_id)
        elif start is not None:
            params["start_time"] = _x_time(start)
        if end is not None:
            params["end_time"] = _x_time(end)
        if until_id:
            params["until_id"] = str(until_id)
        walk = Walk()
        page_posts = int(params.get("max_results", self.engine.page_size))
        budget.reserve(page_posts)  # counted before it is asked for: tasks at once share it
        pages = self.engine.pages(stream, scope, params)
        try:
            with self.connect() as found:  # who landed each page's Posts before
                while True:
                    try:
                        page = next(pages, None)
                    except UsageCapExceeded as exc:
                        budget.spent(str(exc))
                    if page is None:
                        break
                    budget.spend(len(page.items))
                    landed = self._land_posts(found, stream, page, tweets, users, handle, walk)
                    walk.clean = walk.clean and landed.clean
                    log.info(
                        "x %s: page %d, %d tweets so far",
                        feed.name,
                        page.number,
                        tweets.result.records_in,
                    )
                    if (page.body.get("meta") or {}).get("next_token"):
                        budget.reserve(page_posts)
        finally:
            budget.release()  # a page reserved and not answered (an error, the walk's end)
        return walk

    def _land_posts(
        self,
        found: psycopg.Connection,
        stream: Stream,
        page: Page,
        tweets: LandingBatch,
        users: LandingBatch,
        handle: str,
        walk: Walk,
    ) -> Walked:
        """Land a page of `handle`'s walk: each Post under the brand whose handle its latest
        version in raw names (the first brand's walk that found it), a new one under
        `handle`; and the Posts' authors. A Post naming two brands matches both brands'
        searches (a mention operator matches the Post's text:
        docs.x.com/x-api/posts/search/integrate/build-a-query): landed under each brand's
        handle in turn (`brand_handle` is in the payload), it would be a new version at
        every brand's walk, each brand's mapped task landing it again every run."""
        items = stream.select(page)
        ids = [str(item.get("id")) for item in items if isinstance(item, dict)]
        landed_by: dict[str, str] = dict(
            found.execute(
                "select distinct on (natural_key) natural_key, scope_key from raw.x_tweets"
                " where natural_key = any(%s) and scope_key is not null"
                " order by natural_key, ingest_seq desc",
                (ids,),
            ).fetchall()
        )
        found.rollback()  # no transaction left open across the next page's request
        by_brand: dict[str, list[Any]] = {}
        for item in items:
            key = str(item.get("id")) if isinstance(item, dict) else ""
            by_brand.setdefault(landed_by.get(key, handle), []).append(item)
        walked = Walked()
        for brand, posts in by_brand.items():
            self.engine.land(
                stream,
                posts,
                tweets,
                brand,
                walked,
                lambda _, record: walk.saw(int(record.natural_key), record.event_at),
            )
        self.engine.land(USERS, included_users(page.body), users)
        return walked

    def _gone_tweets(self, budget: ReadBudget) -> ConfirmGone:
        def confirm(missing: list[Missing]) -> set[str]:
            """Of tweets missing from a walk, those `GET /2/tweets` reports not found."""
            ids = [m.natural_key for m in missing if X_ID.match(m.natural_key)]
            gone: set[str] = set()
            for start in range(0, len(ids), LOOKUP_BATCH):
                chunk = ids[start : start + LOOKUP_BATCH]
                try:
                    body = self.client.get_json("tweets", {"ids": ",".join(chunk)})
                except (UsageCapExceeded, BudgetSpent):
                    log.warning("x: read cap reached; %d deletions left unconfirmed", len(ids))
                    break
                budget.spend(len(body.get("data") or []))
                gone |= not_found_ids(body) & set(chunk)
            budget.spend(0)
            log.info(
                "x: %d tweets missing from the walk, %d confirmed deleted", len(ids), len(gone)
            )
            return gone

        return confirm

    def followers(self) -> list[BatchResult]:
        """Followers of the brand accounts (follower_walks = brands) and also of every author
        (authors); nothing when off. An account's followers are walked when it was never
        walked, then again every `follower_walk_days` on average (each account its own period,
        between half and 1.5 times that): a follower list costs a request per 1,000 followers
        and the endpoint allows 15 requests in 15 minutes."""
        if self.settings.follower_walks == "off":
            log.info("x followers: follower_walks is off for this connection; nothing to walk")
            return []
        now = self.client.server_now(fresh=True)
        hours = self.settings.follower_walk_days * 24
        with self.connect() as c_follow, self.connect() as c_users:
            targets = list(self.settings.brand_user_ids)
            if self.settings.follower_walks == "authors":
                targets += [
                    row[0]
                    for row in c_follow.execute(
                        "select distinct payload->>'author_id' from raw.x_tweets"
                        " where not is_deleted and payload->>'author_id' <> all(%s) order by 1",
                        (list(self.settings.brand_user_ids),),
                    ).fetchall()
                ]
            walked: dict[str, datetime] = dict(
                c_follow.execute(
                    "select account_id, walked_at from meta.x_follower_walks"
                    " where account_id = any(%s)",
                    (targets,),
                ).fetchall()
            )
            due = [t for t in targets if is_due(walked.get(t), now, recheck_period(t, hours))]
            log.info(
                "x followers: %d of %d accounts due for a walk (every %d days on average)",
                len(due),
                len(targets),
                self.settings.follower_walk_days,
            )
            complete: set[str] = set()  # accounts whose walk returned all their followers
            budget = ReadBudget(self, now)
            with (
                self.engine.batch(
                    c_follow, FOLLOWERS, confirm_gone=self._gone_follows(complete)
                ) as follows,
                self.engine.batch(c_users, USERS) as users,
            ):
                for n, target in enumerate(due, start=1):
                    # each follower page (up to 1,000, $10) is held before it is asked for
                    try:
                        walk, seen = self._walk_followers(target, follows, users)
                        counted = self._follower_count(target) if walk.clean else None
                    except BudgetSpent:
                        break
                    except UsageCapExceeded as exc:
                        budget.stop(str(exc))  # what was walked lands; walked again later
                        break
                    if n % 200 == 0:
                        log.info("x followers: %d/%d accounts walked", n, len(due))
                    if not walk.clean:  # walked again next run, for what was quarantined
                        continue
                    if counted is not None and seen < counted:
                        log.warning(
                            "x followers: the walk of %s returned %d of the %d followers the "
                            "account counts (an empty or cut answer?); nothing deleted, walked "
                            "again next run",
                            target,
                            seen,
                            counted,
                        )
                        continue
                    if counted == seen:
                        complete.add(target)
                        follows.reconcile(target)
                    follows.with_commit(
                        "insert into meta.x_follower_walks (account_id, walked_at)"
                        " values (%s, %s) on conflict (account_id)"
                        " do update set walked_at = excluded.walked_at",
                        (target, now),
                    )
        return [follows.result, users.result]

    def _walk_followers(
        self,
        target: str,
        follows: LandingBatch,
        users: LandingBatch,
    ) -> tuple[Walked, int]:
        """Land the followers of `target` (as users) and its follows, page by page as they
        arrive (memory stays flat); returns the walk and how many distinct followers it read
        (a follower repeated across a page boundary counts once)."""
        walked = Walked()
        if not X_ID.match(target):
            log.warning("x followers: %r is not an X user id; skipped", target[:40])
            return walked, 0
        last: list[str | None] = [None]
        seen = [0]

        def follow(item: dict, _: object) -> None:
            if item["id"] != last[0]:
                seen[0] += 1
            last[0] = item["id"]
            follows.add(FOLLOWERS.build(item, target))

        for page in self.engine.pages(FOLLOWERS, target):
            self.engine.land(USERS, page.items, users, walked=walked, on_record=follow)
        return walked, seen[0]

    def _gone_follows(self, complete: set[str]) -> ConfirmGone:
        def confirm(missing: list[Missing]) -> set[str]:
            """Follows missing from a walk are gone when the walk was complete: it returned as
            many followers as the account's `public_metrics.followers_count` says it has (a
            lookup of the account after the walk; an account not found has none). A walk cut
            short or an empty answer returns fewer, and deletes nothing."""
            return {m.natural_key for m in missing if m.scope_key in complete}

        return confirm

    def _follower_count(self, target: str) -> int | None:
        """The account's `public_metrics.followers_count` (0 when the account is not found),
        or None when the answer does not carry it or it is not a valid count
        (rules.whole_count, the rule the staging models read it by)."""
        if not X_ID.match(target):
            return None
        body = self.client.get_json(f"users/{target}", {"user.fields": "public_metrics"})
        data = body.get("data")
        if data is None and any(
            str(e.get("type", "")).endswith("/resource-not-found")
            for e in body.get("errors") or []
            if isinstance(e, dict)
        ):
            return 0
        return whole_count(((data or {}).get("public_metrics") or {}).get("followers_count"))


def search_query(handle: str) -> str:
    """The recent-search query of a brand: its mentions and its own Posts (replies)."""
    return f"@{handle} OR from:{handle}"


def whole_window_due(conn: psycopg.Connection, feed: Feed) -> bool:
    """Whether the next window walk of `feed` must cover the whole look-back window (its
    watermark row is marked `WHOLE_WINDOW`)."""
    return read_watermark(conn, SOURCE, feed.entity).get("cursor_value") == WHOLE_WINDOW


def search_entity(handle: str) -> str:
    """The name of a search's own watermark in `meta.watermarks` (one per query)."""
    return f"search:{search_query(handle)}"


def count_buckets(
    buckets: list[Any], start: datetime, end: datetime
) -> list[tuple[datetime, datetime, int]] | None:
    """The buckets (start, end, tweet_count) of a counts answer's `data[]` for [start, end),
    oldest first, or None when they leave part of the window uncovered (an empty or cut
    answer) or one is malformed."""
    covered = start
    try:
        spans = sorted(
            (parse_x_time(b["start"]), parse_x_time(b["end"]), int(b["tweet_count"]))
            for b in buckets
        )
    except (InvalidRecord, KeyError, TypeError, ValueError):
        return None
    for begin, finish, count in spans:
        if begin > covered or count < 0:
            return None
        covered = max(covered, finish)
    return spans if covered >= end else None


def counted_posts(buckets: list[Any], start: datetime, end: datetime) -> int | None:
    """The Posts a counts answer (`data[]` of start, end, tweet_count) holds for [start, end),
    or None when its buckets leave part of the window uncovered or one is malformed."""
    spans = count_buckets(buckets, start, end)
    return None if spans is None else sum(count for _, _, count in spans)


def not_found_ids(body: dict) -> set[str]:
    """The ids a lookup answer lists under `errors` as not found (other errors, such as a
    protected account, do not mean deleted)."""
    return {
        str(error.get("resource_id") or error.get("value"))
        for error in body.get("errors") or []
        if isinstance(error, dict) and str(error.get("type", "")).endswith("/resource-not-found")
    }


def _stored_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def snowflake_time(tweet_id: int) -> datetime:
    """When a tweet was created, from its id (docs.x.com/fundamentals/x-ids: a
    snowflake holds its creation time; the epoch is Twitter snowflake's)."""
    return datetime.fromtimestamp(((tweet_id >> 22) + TWEPOCH_MS) / 1000, UTC)


def _x_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
