"""Instagram extraction (Instagram API with Facebook Login, on graph.facebook.com): our
account's daily snapshot and insights, our media with their insights, comments and replies,
the media we are tagged in, the media and comments that @mention us (announced by webhook),
rivals' accounts and media (business discovery) and the recent media of our campaign
hashtags. The entities, and each one's key, scope, watermark and deletion rule, are declared
in `instagram_streams.py`; the engine (`streams.py`) pages and lands; docs/instagram.md says
what a run costs.

Tokens (as the Facebook connection, `facebook.py`): the connection's token is the brand's user
or system-user token; the first request asks it for the Pages it manages with the Instagram
account linked to each (`/me/accounts?fields=id,access_token,instagram_business_account`);
requests about one of our Instagram accounts, its media and their comments then carry that
Page's token (`ApiClient.scope_token`). An account of ours no Page links is reported for that
account alone: the others land, then the task fails once (`finish`).

Incremental: our media are listed newest first down to `lookback_days` before the account's
newest media seen (the whole account on its first run); a media's comments and their replies
are walked again only when its `comments_count` moved, or at one of its re-walk points
(`recheck.needs_walk`). A media or comment no longer returned is looked up by id (a batch
request of 50 reads: `graph_batch`) and tombstoned only when the API answers that it does not
exist; a deleted media's comments are tombstoned with it (`Engine.cascade`). Others' media
(tags, mentions, rivals, hashtags) are never tombstoned: we cannot look them up.

Limits: the `X-Business-Use-Case-Usage` header paces the calls from 80% of a limit on
(`graph_policy`); 30 unique hashtags per account in a rolling 7 days, counted in
`meta.instagram_hashtag_queries` before each query is sent, so a 31st is never sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from social_crm.extract import graph_batch, webhook_reads
from social_crm.extract.extractor import Extractor
from social_crm.extract.facebook_streams import parse_graph_time
from social_crm.extract.graph_policy import RATE_LIMIT_CODES, cannot_load
from social_crm.extract.http import ApiAccessError, ApiAuthError, ApiError
from social_crm.extract.instagram_streams import (
    ACCOUNT_FIELDS,
    ACCOUNT_INSIGHTS,
    ACCOUNTS,
    COMMENTS,
    HASHTAG,
    HASHTAG_MEDIA,
    MEDIA,
    MEDIA_INSIGHTS,
    MENTIONED_COMMENT_FIELDS,
    MENTIONED_COMMENTS,
    MENTIONED_MEDIA,
    MENTIONED_MEDIA_FIELDS,
    MENTIONS,
    OWN,
    REPLIES,
    RIVAL,
    RIVAL_ACCOUNT_FIELDS,
    RIVAL_MEDIA_FIELDS,
    RIVALS,
    SOURCE,
    TAGGED,
    TAGS,
    account_builder,
    media_scope,
    scope_rank,
)
from social_crm.extract.recheck import needs_walk
from social_crm.extract.records import InvalidRecord, is_graph_id
from social_crm.extract.streams import Stream, Walked
from social_crm.load.landing import BatchResult, LandingBatch, Missing

log = logging.getLogger(__name__)

CURSOR = re.compile(r"\A[A-Za-z0-9_=+/-]{1,500}\Z")  # a cursor sent back in a field expression
HASHTAG_LIMIT = 30  # unique hashtags per account in a rolling 7 days (ig-hashtag reference)
HASHTAG_WINDOW = timedelta(days=7)
ACCOUNT_INSIGHT_DAYS = 30  # the widest since..until window the API serves
FOLLOWER_DAYS = 30  # follower_count: the last 30 days only (today among them)
RIVAL_MEDIA_PAGE = 50  # media per business discovery page
REPLIES_AHEAD = 3  # comments whose replies are fetched while one comment's are landed
# the account metrics of a day (`metric_type=total_value`), and the one served as a time series
ACCOUNT_METRICS = (
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
)
FOLLOWER_METRIC = "follower_count"
# the lifetime metrics of a media, per media_product_type (`impressions`, `plays`,
# `video_views` are retired: asking for one fails the whole request with #100). FEED media
# are asked the four every FEED type serves (`likes`, `comments`, `shares` are reported
# refused on IMAGE media: github.com/exileum/meta-mcp/issues/120; their counts come with the
# media as like_count and comments_count); a type not listed (an ad) gets none
MEDIA_METRICS: dict[str, tuple[str, ...]] = {
    "FEED": ("views", "reach", "saved", "total_interactions"),
    "REELS": ("views", "reach", "saved", "total_interactions", "likes", "comments", "shares"),
    "STORY": ("views", "reach", "shares", "total_interactions"),
}
# what each read needs granted (developers.facebook.com/docs/instagram-platform/...:
# ig-user, ig-media/comments, insights, mentioned_media, ig-hashtag-search references)
PERMISSIONS = {
    "accounts": ("instagram_basic", "pages_show_list", "pages_read_engagement"),
    "comments": ("instagram_basic", "instagram_manage_comments", "pages_read_engagement"),
    "insights": ("instagram_basic", "instagram_manage_insights", "pages_read_engagement"),
    "mentions": ("instagram_basic", "instagram_manage_comments", "pages_read_engagement"),
    "hashtags": ("instagram_basic", "Instagram Public Content Access (a feature)"),
}


@dataclass(frozen=True)
class InstagramAccount:
    user_id: str  # the IG user id (a Graph id)
    username: str


@dataclass(frozen=True)
class InstagramSettings:
    own: tuple[InstagramAccount, ...]
    rivals: tuple[InstagramAccount, ...] = ()
    hashtags: tuple[str, ...] = ()  # campaign hashtags, lower-cased, without '#'
    lookback_days: int = 30
    page_size: int = 100
    recheck_hours: int = 24


class AccountsUnreadable(ApiAccessError):
    """Some of our Instagram accounts, rivals or campaign hashtags could not be read (the
    others landed): the step fails once, naming each one and why."""


class PermissionMissing(ApiAccessError):
    """The token lacks a permission a read needs: the message names the permissions to grant."""


@dataclass
class _Access:
    """Our accounts readable this run (IG user id -> the Page that links it), and those that
    are not, with why."""

    own: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict, repr=False)  # IG user id -> Page token


@dataclass
class _Listed:
    """Our media as a listing gave them: id -> (comments_count, created)."""

    counts: dict[str, tuple[int | None, datetime | None]] = field(default_factory=dict)


@dataclass
class _HashtagWindow:
    """The hashtags counted against the account's 7-day limit: ours (name -> id, None until
    the search answers) and the ids Meta lists as searched (any app's queries)."""

    ours: dict[str, str | None] = field(default_factory=dict)
    meta: set[str] = field(default_factory=set)

    def count(self) -> int:
        known = {i for i in self.ours.values() if i}
        unknown = sum(1 for i in self.ours.values() if not i)
        return len(known | self.meta) + unknown


class InstagramExtractor(Extractor):
    source = SOURCE
    settings: InstagramSettings
    _access: _Access | None = None
    _set_aside: dict[str, str] | None = None  # a rival or hashtag the API refused -> why
    _landed: dict[str, str] | None = None  # media id -> the scope this run landed it under

    def _refused(self, what: str, why: str) -> None:
        """Set `what` aside for this run (the others land); `finish` names it."""
        log.warning("instagram %s: not read: %s", what, why)
        if self._set_aside is None:
            self._set_aside = {}
        self._set_aside[what] = why

    # --- tokens and accounts --------------------------------------------------------------

    def access(self) -> _Access:
        """Ask the brand's token for the Pages it manages and the Instagram account each links
        (once per extractor); scope each Page's token to its account's requests."""
        if self._access is not None:
            return self._access
        linked: dict[str, tuple[str, str]] = {}  # ig user id -> (page id, page token)
        try:
            for page in self.client.graph_pages(
                "me/accounts",
                {"fields": "id,access_token,instagram_business_account", "limit": 100},
            ):
                for item in page.items:
                    if not isinstance(item, dict):
                        continue
                    account = item.get("instagram_business_account")
                    ig_id = account.get("id") if isinstance(account, dict) else None
                    token = item.get("access_token")
                    if not isinstance(token, str) or not token:
                        continue
                    page_id = str(item.get("id"))
                    if is_graph_id(page_id):  # every Page token is a secret, linked or not
                        self.client.scope_token(page_id, token)
                    if is_graph_id(ig_id):
                        linked[ig_id] = (page_id, token)
        except ApiError as exc:
            if isinstance(exc, ApiAuthError) or exc.error_code != 100:
                raise
            raise ApiAccessError(
                f"{self.client.connection_id}: the token cannot list the Pages it manages "
                f"(/me/accounts: {exc.error_message}): it must be the brand's system-user (or "
                "user) token, not a Page token (docs/instagram.md)",
                exc.status,
                exc.body,
            ) from exc
        access = _Access()
        name = self.client.connection_id
        for account in self.settings.own:
            found = linked.get(account.user_id)
            if found is None:
                access.failed[account.user_id] = (
                    f"connection '{name}': no Page its token manages links this Instagram "
                    f"account (@{account.username}): link the account to the brand's Page "
                    "(Meta Business Settings, Instagram accounts) and give the connection's "
                    "system user a task on the Page; check instagram_user_id in "
                    "dbt_project/seeds/brands.csv"
                )
                continue
            page_id, token = found
            self.client.scope_token(account.user_id, token)
            access.own[account.user_id] = page_id
            access.tokens[account.user_id] = token
        self._access = access
        return access

    def _accounts(self) -> list[InstagramAccount]:
        """Our accounts this run reads (in the settings' order)."""
        access = self.access()
        return [a for a in self.settings.own if a.user_id in access.own]

    def _scope(self, node: str, account: str) -> None:
        """Requests about `node` (one of `account`'s media, or a comment on one) carry the
        account's Page token."""
        token = self.access().tokens.get(account)
        if token is not None:
            self.client.scope_token(node, token)

    @contextmanager
    def requires(self, what: str) -> Iterator[None]:
        """A permission error on a read becomes one that names the permissions it needs."""
        try:
            yield
        except PermissionMissing:
            raise
        except ApiAccessError as exc:
            if isinstance(exc, AccountsUnreadable):
                raise
            error = PermissionMissing(
                f"{self.client.connection_id}: reading Instagram {what} was refused "
                f"(Graph error {exc.error_code}: {exc.error_message or exc}): the token needs "
                f"{', '.join(PERMISSIONS[what])} granted (and the app approved for them); "
                "update the token in the connection's password field",
                exc.status,
                exc.body,
            )
            error.detail = exc.detail
            raise error from exc

    def finish(self) -> None:
        failed = self._access.failed if self._access is not None else {}
        parts = [f"account {ig}: {why}" for ig, why in sorted(failed.items())]
        parts += [f"{what}: {why}" for what, why in sorted((self._set_aside or {}).items())]
        if parts:
            raise AccountsUnreadable(
                f"{self.client.connection_id}: {len(parts)} Instagram account(s), rival(s) or "
                "hashtag(s) not read (the others landed): " + "; ".join(parts)
            )

    def _now(self) -> datetime:
        """The run's moment: its interval's end, never later than the API's clock (the windows
        the API serves are on its clock; a past interval is a backfill)."""
        server = self.client.server_now()
        return min(self.interval[1], server) if self.interval[1] else server

    # --- accounts and their insights ------------------------------------------------------

    def accounts(self) -> BatchResult:
        """Our accounts' counts today: one snapshot a day (a rerun the same day lands a new
        version only when a count moved)."""
        self.access()  # the Page tokens first: a batch redacts the secrets known when it opens
        with self.connect() as conn, self.engine.batch(conn, ACCOUNTS) as batch:
            for account in self._accounts():
                with self.requires("accounts"):
                    body = self.client.get_json(account.user_id, {"fields": ACCOUNT_FIELDS})
                at = self.client.answered_at()  # the counts are the API's at its answer
                stream = replace(ACCOUNTS, build=account_builder(at.date()))
                self.engine.land(stream, [body], batch, account.user_id, stamp=at)
        return batch.result

    def account_insights(self) -> BatchResult:
        """Each day's account metrics since two days before the last day landed (Meta revises
        them for 48 hours), up to yesterday: one request a day for the total_value metrics,
        one for follower_count (a time series of 30 days at most)."""
        accounts = self._accounts()  # first: see accounts()
        today = self.client.server_now().date()
        with self.connect() as conn:
            marks = {
                a.user_id: self.engine.watermark(conn, ACCOUNT_INSIGHTS, scope=a.user_id).get(
                    "last_event_at"
                )
                for a in accounts
            }
            with self.engine.batch(conn, ACCOUNT_INSIGHTS) as batch:
                for account in accounts:
                    first = self._insights_start(marks[account.user_id], today)
                    with self.requires("insights"):
                        values = list(self._account_values(account.user_id, first, today))
                    walked = self.engine.land(ACCOUNT_INSIGHTS, values, batch, account.user_id)
                    if walked.newest_at is not None:
                        batch.set_watermark(
                            ACCOUNT_INSIGHTS.watermark_name(account.user_id),
                            last_event_at=walked.newest_at,
                        )
        return batch.result

    def _insights_start(self, mark: datetime | None, today: date) -> date:
        oldest = today - timedelta(days=min(self.settings.lookback_days, ACCOUNT_INSIGHT_DAYS))
        if mark is None:
            return oldest
        return max(oldest, mark.date() - timedelta(days=2))

    def _account_values(self, ig: str, first: date, today: date) -> Iterator[dict]:
        day = first
        while day < today:
            since = datetime(day.year, day.month, day.day, tzinfo=UTC)
            body = self.client.get_json(
                f"{ig}/insights",
                {
                    "metric": ",".join(ACCOUNT_METRICS),
                    "period": "day",
                    "metric_type": "total_value",
                    "since": int(since.timestamp()),
                    "until": int((since + timedelta(days=1)).timestamp()),
                },
            )
            for metric in body.get("data") or []:
                total = metric.get("total_value") if isinstance(metric, dict) else None
                value = total.get("value") if isinstance(total, dict) else None
                name = metric.get("name") if isinstance(metric, dict) else None
                yield {"ig_user_id": ig, "metric": name, "day": day.isoformat(), "value": value}
            day += timedelta(days=1)
        first = max(first, today - timedelta(days=FOLLOWER_DAYS - 1))
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        end = datetime(today.year, today.month, today.day, tzinfo=UTC)
        if start >= end:
            return
        body = self.client.get_json(
            f"{ig}/insights",
            {
                "metric": FOLLOWER_METRIC,
                "period": "day",
                "since": int(start.timestamp()),
                "until": int(end.timestamp()),
            },
        )
        for metric in body.get("data") or []:
            for value in (metric.get("values") or []) if isinstance(metric, dict) else []:
                yield {
                    "ig_user_id": ig,
                    "metric": metric.get("name"),
                    "day": _day_ending(value.get("end_time") if isinstance(value, dict) else None),
                    "value": value.get("value") if isinstance(value, dict) else None,
                }

    # --- our media, their comments, tags and mentions -------------------------------------

    def media(self, recent_days: int | None = None) -> list[BatchResult]:
        """Our media of the look-back window, the comments (and replies) of those whose count
        moved or whose re-walk point passed, the media we are tagged in, and the @mentions
        announced by webhook since the last run. `recent_days` (the live walk): only the
        media of the last `recent_days` days and the mentions, no tags."""
        self.access()  # the Page tokens first: a batch redacts the secrets known when it opens
        with self.connect() as c_media, self.connect() as c_comments, self.connect() as look:
            look.autocommit = True
            engine = self.engine
            with (
                engine.batch(c_media, MEDIA, confirm_gone=self._gone_media) as media,
                engine.batch(c_comments, COMMENTS, confirm_gone=self._gone_comments) as comments,
            ):
                for account in self._accounts():
                    listed = self._own_media(account, media, look, recent_days)
                    self._comments(account, listed, comments, look)
                    if recent_days is None:
                        self._tagged(account, media, look)
                self._mentions(media, comments, look)
            results = [media.result, comments.result]
        results += self.engine.cascade(MEDIA, [COMMENTS], _forget_walks)
        return results

    def _own_media(
        self,
        account: InstagramAccount,
        batch: LandingBatch,
        look: psycopg.Connection,
        recent_days: int | None,
    ) -> _Listed:
        """List our media newest first down to the window's start; land them; reconcile the
        window when the listing reached its start (or its end) and every item parsed."""
        ig = account.user_id
        scope = media_scope(OWN, ig)
        now = self._now()
        if recent_days is not None:
            start: datetime | None = now - timedelta(days=recent_days)
        else:
            mark = self.engine.watermark(look, MEDIA, scope=ig).get("last_event_at")
            start = mark - timedelta(days=self.settings.lookback_days) if mark else None
        listed = _Listed()
        walked = Walked()
        complete = False
        ordered, previous_oldest = True, None

        def note(item: Any, record: Any) -> None:
            count = item.get("comments_count")
            listed.counts[record.natural_key] = (
                count if isinstance(count, int) and not isinstance(count, bool) else None,
                record.event_at,
            )
            self._scope(record.natural_key, ig)
            self._landed_scopes()[record.natural_key] = scope

        with self.requires("accounts"):
            pages = self.engine.pages(MEDIA, ig)
            for page in pages:
                times = [t for t in (_time_of(i) for i in page.items) if t is not None]
                if previous_oldest is not None and any(t > previous_oldest for t in times):
                    ordered = False  # not newest first: no stopping early
                self.engine.land(MEDIA, page.items, batch, scope, walked, on_record=note)
                oldest = min(times, default=None)
                previous_oldest = oldest if oldest is not None else previous_oldest
                if start is not None and ordered and oldest is not None and oldest < start:
                    complete = True
                    break
            else:
                complete = True
        log.info("instagram %s media: %d listed", ig, walked.read)
        if complete and walked.clean:
            batch.reconcile(scope, start, self.interval[1])
            if recent_days is None and walked.newest_at is not None:
                batch.set_watermark(MEDIA.watermark_name(ig), last_event_at=walked.newest_at)
        return listed

    def _comments(
        self,
        account: InstagramAccount,
        listed: _Listed,
        batch: LandingBatch,
        look: psycopg.Connection,
    ) -> None:
        """Walk the comments (and every top-level comment's replies) of the media whose
        comments_count moved or whose re-walk point passed."""
        if not listed.counts:
            return
        known = {
            row[0]: (row[1], row[2])
            for row in look.execute(
                "select media_id, comments_total, comments_walked_at"
                " from meta.instagram_media_activity where media_id = any(%s)",
                (list(listed.counts),),
            ).fetchall()
        }
        now = self._now()
        server_now = self.client.server_now()
        first = timedelta(hours=self.settings.recheck_hours)
        horizon = timedelta(days=self.settings.lookback_days)
        backfill = now < server_now - first  # counts describe today: walk every media
        walked_media, skipped = 0, 0
        cut: list[ApiError] = []
        for media_id, (count, created) in listed.counts.items():
            total, walked_at = known.get(media_id, (None, None))
            if not backfill and not needs_walk(
                count, total, walked_at, now, created or now, first, horizon
            ):
                skipped += 1
                continue
            try:
                with self.requires("comments"):
                    read, clean = self._walk_comments(account.user_id, media_id, batch)
            except ApiError as exc:
                if isinstance(exc, ApiAccessError) or not cannot_load(exc.detail):
                    raise
                # the media (or one of its comments) was deleted during the walk: the walk is
                # not complete (nothing of it reconciled); what it read lands, a deletion is
                # confirmed by the next listing's look-up
                log.info(
                    "instagram media %s: comments walk cut short (%s); walked again next run",
                    media_id,
                    exc.error_message[:200],
                )
                cut.append(exc)
                continue
            walked_media += 1
            if not clean:
                continue
            batch.reconcile(media_id)
            if read == 0 and count:
                continue  # an empty answer for a media that has comments: asked again next run
            batch.with_commit(
                "insert into meta.instagram_media_activity (media_id, comments_total,"
                " comments_walked_at) values (%s, %s, %s) on conflict (media_id) do update"
                " set comments_total = excluded.comments_total,"
                " comments_walked_at = excluded.comments_walked_at",
                (media_id, count, now),
            )
        if len(cut) > 1 and walked_media == 0:
            raise cut[-1]  # no walk at all: the account's comments cannot be read, not deletions
        log.info(
            "instagram %s comments: %d media walked, %d unchanged",
            account.user_id,
            walked_media,
            skipped,
        )

    def _walk_comments(self, ig: str, media_id: str, batch: LandingBatch) -> tuple[int, bool]:
        """Land a media's top-level comments, then each one's replies: (read, all parsed)."""
        walked = Walked()
        top: list[str] = []

        def note(item: Any, record: Any) -> None:
            if not item.get("parent_id"):
                top.append(record.natural_key)

        for page in self.engine.pages(COMMENTS, parent=media_id):
            self.engine.land(COMMENTS, page.items, batch, media_id, walked, on_record=note)
        for comment_id in top:
            self._scope(comment_id, ig)
        # one request per top-level comment (the API gives no count of its replies): the
        # next REPLIES_AHEAD comments' replies are fetched while one comment's are landed
        plans: dict[str, dict[str, tuple[dict[str, Any], int | None]]] = {
            comment_id: {"replies": ({}, None)} for comment_id in top
        }
        for _, pages in self.engine.fan_out({"replies": REPLIES}, plans, REPLIES_AHEAD):
            for page in pages["replies"]:
                self.engine.land(REPLIES, page.items, batch, media_id, walked)
        return walked.read, walked.clean

    def _tagged(
        self, account: InstagramAccount, batch: LandingBatch, look: psycopg.Connection
    ) -> None:
        """The media others tagged us in, newest first down to lookback_days before now."""
        ig = account.user_id
        start = self._now() - timedelta(days=self.settings.lookback_days)
        scope = media_scope(TAGS, ig)
        with self.requires("accounts"):
            for page in self.engine.pages(TAGGED, ig):
                self._land_others(TAGGED, page.items, batch, scope, look)
                oldest = min((t for t in map(_time_of, page.items) if t), default=None)
                if oldest is not None and oldest < start:
                    break

    def _unclaimed(self, look: psycopg.Connection, items: list, scope: str) -> list:
        """The items of a walk of others' media (tags, mentions, rivals, hashtags) this walk
        may land: those no walk of a higher rank landed (`SCOPE_RANK`: our own media always
        as ours, then a rival's, a tag, a mention, a hashtag's). A media is kept where it means
        the most however the walks were ordered (a tag whose caption also @mentions us is
        both: the marts read the mention in its caption), and two walks that both return it
        do not land a version each run: the lower one leaves it alone."""
        ids = [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]
        if not ids:
            return items
        rank = scope_rank(scope)
        landed: dict[str, str] = dict(
            look.execute(
                "select distinct on (natural_key) natural_key, scope_key from raw.instagram_media"
                " where natural_key = any(%s) order by natural_key, ingest_seq desc",
                (ids,),
            ).fetchall()
        )
        run = self._landed_scopes()  # landed by this run, not committed yet
        landed |= {key: run[key] for key in ids if key in run}
        claimed = {
            key for key, other in landed.items() if other != scope and scope_rank(other) <= rank
        }
        return [i for i in items if not (isinstance(i, dict) and i.get("id") in claimed)]

    def _land_others(
        self,
        stream: Stream,
        items: list,
        batch: LandingBatch,
        scope: str,
        look: psycopg.Connection,
    ) -> int:
        """Land the items of a walk of others' media `_unclaimed` leaves to it: how many."""
        kept = self._unclaimed(look, items, scope)
        landed = self._landed_scopes()

        def note(item: Any, record: Any) -> None:
            landed[record.natural_key] = scope

        self.engine.land(stream, kept, batch, scope, on_record=note)
        return len(kept)

    def _landed_scopes(self) -> dict[str, str]:
        if self._landed is None:
            self._landed = {}
        return self._landed

    # --- mentions announced by webhook ----------------------------------------------------

    def _mentions(
        self, media: LandingBatch, comments: LandingBatch, look: psycopg.Connection
    ) -> None:
        """Read each `mentions` change of raw.webhook_events not read yet
        (`webhook_reads`, the one record of which changes were acted on): the media or
        comment it names, read through our account (`mentioned_media` / `mentioned_comment`),
        landed with the change marked read in the same transaction. A change the API answers
        does not exist (deleted since) is marked read with that outcome; a failed read is not
        marked (asked again next run)."""
        # only our accounts linked this run: another's changes stay unread, and never fill
        # the read window
        rows = webhook_reads.unread(look, "instagram", "mentions", self.access().own)
        counts = {"media": 0, "comment": 0, "seen": 0, "gone": 0, "refused": 0}
        for key, entry, value in rows:
            scope = media_scope(MENTIONS, entry)
            comment_id, media_id = value.get("comment_id"), value.get("media_id")
            if comment_id is not None:
                target, stream, batch = comment_id, MENTIONED_COMMENTS, comments
                fields = f"mentioned_comment.comment_id({comment_id}){{{MENTIONED_COMMENT_FIELDS}}}"
            else:
                target, stream, batch = media_id, MENTIONED_MEDIA, media
                fields = f"mentioned_media.media_id({media_id}){{{MENTIONED_MEDIA_FIELDS}}}"
            if not is_graph_id(target):
                _mark_read(batch, key, "invalid: the change names no Graph id")
                continue
            try:
                with self.requires("mentions"):
                    (page,) = self.engine.pages(stream, entry, {"fields": fields})
            except ApiError as exc:
                if isinstance(exc, ApiAccessError):
                    raise
                if cannot_load(exc.detail):
                    _mark_read(batch, key, f"gone: {exc.error_message[:200]}")
                    counts["gone"] += 1
                    continue
                if stream is not MENTIONED_COMMENTS or exc.error_code != 100:
                    raise
                # mentioned_comment "will return an error if comments have been disabled on
                # the IG Media" (its reference): about that comment only
                _mark_read(batch, key, f"refused: {exc.error_message[:200]}")
                counts["refused"] += 1
                continue
            items = stream.select(page)
            if items == [None]:  # the API left it out: deleted, or its owner went private
                _mark_read(batch, key, "gone: not returned")
                counts["gone"] += 1
                continue
            if stream is MENTIONED_MEDIA:
                if not self._land_others(stream, items, batch, scope, look):
                    # kept under a walk that outranks a mention (a tag whose caption
                    # @mentions us is both): nothing landed for this change
                    _mark_read(batch, key, "seen: kept where another walk landed it")
                    counts["seen"] += 1
                    continue
            else:
                self.engine.land(stream, items, batch, scope)
            _mark_read(batch, key, "landed")
            counts["comment" if stream is MENTIONED_COMMENTS else "media"] += 1
        if rows:
            log.info(
                "instagram mentions: %d webhook change(s): %s",
                len(rows),
                ", ".join(f"{n} {what}" for what, n in counts.items() if n),
            )

    # --- media insights -------------------------------------------------------------------

    def media_insights(self) -> BatchResult:
        """Today's lifetime values of our media of the look-back window, read once a UTC day
        per media (the first run of the day; an hourly re-read would cost a request per media
        every hour for values the day's key already holds), the metrics of each one's
        media_product_type (a metric the API refuses for a type is dropped and recorded in
        meta.rejected_metrics as `<type>.<metric>`; the others land)."""
        self.access()  # the Page tokens first: a batch redacts the secrets known when it opens
        day = self.client.server_now().date()
        since = self._now() - timedelta(days=self.settings.lookback_days)
        with self.connect() as conn:
            read_today = {
                row[0]
                for row in conn.execute(
                    "select distinct scope_key from raw.instagram_media_insights"
                    " where event_at = %s",
                    (datetime(day.year, day.month, day.day, tzinfo=UTC),),
                ).fetchall()
            }
            rejected = {
                row[0]
                for row in conn.execute(
                    "select metric from meta.rejected_metrics where source = %s", (SOURCE,)
                ).fetchall()
            }
            read_today |= {
                row[0]
                for row in conn.execute(
                    "select media_id from meta.instagram_media_without_insights"
                ).fetchall()
            }
            with self.engine.batch(conn, MEDIA_INSIGHTS) as batch:
                for account in self._accounts():
                    rows = conn.execute(
                        "select natural_key, payload->>'media_product_type' from ("
                        " select distinct on (natural_key) * from raw.instagram_media"
                        " where scope_key = %s order by natural_key, ingest_seq desc) as m"
                        " where not is_deleted and event_at >= %s order by natural_key",
                        (media_scope(OWN, account.user_id), since),
                    ).fetchall()
                    for media_id, product in rows:
                        if media_id in read_today:
                            continue
                        self._scope(media_id, account.user_id)
                        with self.requires("insights"):
                            values = self._media_values(media_id, product or "", rejected, day)
                        self.engine.land(MEDIA_INSIGHTS, values, batch, media_id)
        return batch.result

    def _media_values(self, media_id: str, product: str, rejected: set[str], day: date) -> list:
        metrics = [m for m in MEDIA_METRICS.get(product, ()) if f"{product}.{m}" not in rejected]
        if not metrics:
            return []
        try:
            series = self._insight_answer(media_id, metrics)
        except ApiError as exc:
            if _not_enough_viewers(exc):
                return []
            if _before_conversion(exc):
                self._without_insights(media_id, exc.error_message)
                return []
            if exc.error_code != 100:
                raise
            series = []
            for metric in metrics:  # the API does not always say which metric it refuses
                try:
                    series += self._insight_answer(media_id, [metric])
                except ApiError as one:
                    if _before_conversion(one):
                        self._without_insights(media_id, one.error_message)
                        return []
                    if one.error_code != 100:
                        raise
                    self._reject_metric(f"{product}.{metric}", one.error_message)
                    rejected.add(f"{product}.{metric}")
        return [
            {
                "media_id": media_id,
                "metric": metric.get("name"),
                "day": day.isoformat(),
                "value": _first_value(metric),
                "media_product_type": product,
            }
            for metric in series
            if isinstance(metric, dict)
        ]

    def _insight_answer(self, media_id: str, metrics: list[str]) -> list:
        (page,) = self.engine.pages(
            MEDIA_INSIGHTS, params={"metric": ",".join(metrics)}, parent=media_id
        )
        return list(page.body.get("data") or [])

    def _without_insights(self, media_id: str, error: str) -> None:
        """A media the API gives no insights at all (posted before the account's business
        conversion): recorded per media (never asked again), no metric rejected."""
        log.info("instagram media %s: no insights (%s); not asked again", media_id, error[:200])
        with self.connect() as own:
            own.execute(
                "insert into meta.instagram_media_without_insights (media_id, error)"
                " values (%s, %s) on conflict (media_id) do update set error = excluded.error,"
                " recorded_at = now()",
                (media_id, error[:500]),
            )

    def _reject_metric(self, metric: str, error: str) -> None:
        log.warning(
            "instagram media insights: the API rejects %s (%s); dropped, the other metrics "
            "land. Update MEDIA_METRICS in include/social_crm/extract/instagram.py",
            metric,
            error,
        )
        with self.connect() as own:
            own.execute(
                "insert into meta.rejected_metrics (source, metric, api_version, error)"
                " values (%s, %s, %s, %s) on conflict (source, metric) do update set"
                " error = excluded.error, api_version = excluded.api_version,"
                " last_rejected_at = now()",
                (SOURCE, metric, self.client.api_version, error[:500]),
            )

    # --- rivals ---------------------------------------------------------------------------

    def rivals(self) -> list[BatchResult]:
        """Each rival's counts and media (business discovery, through our first account),
        newest first down to lookback_days before now."""
        accounts = self._accounts()
        at = self._now()
        start = at - timedelta(days=self.settings.lookback_days)
        with self.connect() as c_accounts, self.connect() as c_media, self.connect() as look:
            look.autocommit = True
            with (
                self.engine.batch(c_accounts, ACCOUNTS) as snapshots,
                self.engine.batch(c_media, MEDIA) as media,
            ):
                if not accounts:
                    return [snapshots.result, media.result]
                via = accounts[0].user_id
                for rival in self.settings.rivals:
                    try:
                        with self.requires("accounts"):
                            self._rival(via, rival, snapshots, media, look, start)
                    except ApiError as exc:
                        if not _not_a_business(exc):
                            raise
                        self._refused(
                            f"rival @{rival.username}",
                            f"business discovery refuses it ({exc.error_message[:200]}): it "
                            "is not (or no longer) a Business or Creator account, or the "
                            "username is mistyped: check dbt_project/seeds/brands.csv",
                        )
        return [snapshots.result, media.result]

    def _rival(
        self,
        via: str,
        rival: InstagramAccount,
        snapshots: LandingBatch,
        media: LandingBatch,
        look: psycopg.Connection,
        start: datetime,
    ) -> None:
        after: str | None = None
        seen: set[str] = set()
        number = 0
        while True:
            cursor = f".after({after})" if after else ""
            fields = (
                f"business_discovery.username({rival.username}){{{RIVAL_ACCOUNT_FIELDS},"
                f"media{cursor}.limit({RIVAL_MEDIA_PAGE}){{{RIVAL_MEDIA_FIELDS}}}}}"
            )
            body = self.client.get_json(via, {"fields": fields})
            number += 1
            found = body.get("business_discovery")
            if not isinstance(found, dict):
                raise ApiError(
                    f"{self.client.connection_id}: business discovery of @{rival.username} "
                    "answered no business_discovery object"
                )
            rival_id = found.get("id")
            if not is_graph_id(rival_id):
                raise ApiError(
                    f"{self.client.connection_id}: business discovery of @{rival.username} "
                    f"answered the id {str(rival_id)[:40]!r}, not a Graph id"
                )
            if rival_id != rival.user_id:
                log.warning(
                    "instagram rival @%s: its IG user id is %s, brands.csv says %s",
                    rival.username,
                    rival_id,
                    rival.user_id,
                )
            if number == 1:
                account = {k: v for k, v in found.items() if k != "media"}
                answered = self.client.answered_at()  # the counts are the API's at its answer
                stream = replace(ACCOUNTS, build=account_builder(answered.date()))
                self.engine.land(stream, [account], snapshots, rival_id, stamp=answered)
            media_field = found.get("media")
            listing: dict = media_field if isinstance(media_field, dict) else {}
            items = listing.get("data") or []
            scope = media_scope(RIVAL, rival_id)
            self._land_others(RIVALS, items, media, scope, look)
            oldest = min((t for t in map(_time_of, items) if t), default=None)
            # business discovery pages with `.after(<cursor>)`: an `after` cursor (no `next`
            # link) says there is more
            paging_field = listing.get("paging")
            paging: dict = paging_field if isinstance(paging_field, dict) else {}
            cursors_field = paging.get("cursors")
            cursors: dict = cursors_field if isinstance(cursors_field, dict) else {}
            after_field = cursors.get("after")
            after = after_field if isinstance(after_field, str) else None
            if not items or not after or (oldest is not None and oldest < start):
                return
            if after in seen or not CURSOR.match(after):
                raise ApiError(
                    f"{self.client.connection_id}: business discovery of @{rival.username} "
                    "answered a cursor seen before, or one that is not a plain token (page "
                    f"{number}); stopping"
                )
            seen.add(after)

    # --- hashtags -------------------------------------------------------------------------

    def hashtags(self) -> BatchResult:
        """The last 24 hours' media of each campaign hashtag the 7-day limit allows (30 unique
        hashtags per account, each counted for 7 days from its first query: a 31st is never
        sent, it waits for one to leave the window). The hashtags already in the window go
        first (a repeat query is free), then the others, the longest unqueried first, so every
        configured hashtag gets its turn. A hashtag the API refuses (the limit reached through
        another app's queries, a hashtag Meta deems sensitive) is set aside and named by
        `finish`; the others land."""
        accounts = self._accounts()
        with self.connect() as conn, self.connect() as look:
            look.autocommit = True
            with self.engine.batch(conn, MEDIA) as batch:
                if not accounts or not self.settings.hashtags:
                    return batch.result
                ig = accounts[0].user_id
                window = self._hashtag_window(look, ig)
                last: dict[str, datetime] = dict(
                    look.execute(
                        "select hashtag, max(queried_at) from meta.instagram_hashtag_queries"
                        " where ig_user_id = %s group by hashtag",
                        (ig,),
                    ).fetchall()
                )
                never = datetime.min.replace(tzinfo=UTC)
                ordered = sorted(
                    self.settings.hashtags,
                    key=lambda t: (t not in window.ours, last.get(t) or never),
                )
                for tag in ordered:
                    try:
                        hashtag_id = self._hashtag_query(look, ig, tag, window)
                    except ApiError as exc:
                        if not _refused_here(exc):
                            raise
                        self._refused(
                            f"hashtag #{tag}", f"the search refused it: {exc.error_message[:200]}"
                        )
                        continue
                    if hashtag_id is None:
                        continue
                    scope = media_scope(HASHTAG, tag)
                    with self.requires("hashtags"):
                        for page in self.engine.pages(
                            HASHTAG_MEDIA, params={"user_id": ig}, parent=hashtag_id
                        ):
                            self._land_others(HASHTAG_MEDIA, page.items, batch, scope, look)
        return batch.result

    def _hashtag_window(self, look: psycopg.Connection, ig: str) -> _HashtagWindow:
        """The hashtags counted in the 7-day window: ours (each row of
        meta.instagram_hashtag_queries is the first query of a window), and the ids Meta
        itself lists (`recently_searched_hashtags`: another app's queries on the account
        count too)."""
        since = self.client.server_now() - HASHTAG_WINDOW
        window = _HashtagWindow()
        for tag, hashtag_id in look.execute(
            "select hashtag, max(hashtag_id) from meta.instagram_hashtag_queries"
            " where ig_user_id = %s and queried_at > %s group by hashtag",
            (ig, since),
        ).fetchall():
            window.ours[tag] = hashtag_id
        with self.requires("hashtags"):
            body = self.client.get_json(
                f"{ig}/recently_searched_hashtags", {"limit": HASHTAG_LIMIT}
            )
        window.meta = {
            i["id"]
            for i in body.get("data") or []
            if isinstance(i, dict) and is_graph_id(i.get("id"))
        }
        return window

    def _hashtag_query(
        self, look: psycopg.Connection, ig: str, tag: str, window: _HashtagWindow
    ) -> str | None:
        """The hashtag's id (`ig_hashtag_search`, asked every run: the search is the query the
        limit counts, and a hashtag's recent media are served only while its search is in the
        window), when the 7-day limit allows querying it now; None when it does not (logged).
        A query that starts a window is recorded before it is sent (on the server's clock)."""
        now = self.client.server_now()
        if tag not in window.ours:
            if window.count() >= HASHTAG_LIMIT:
                log.warning(
                    "instagram hashtag #%s: not queried: %d unique hashtags queried in the "
                    "last 7 days, the API's limit (it waits for one to leave the window)",
                    tag,
                    window.count(),
                )
                return None
            look.execute(
                "insert into meta.instagram_hashtag_queries (ig_user_id, hashtag, queried_at)"
                " values (%s, %s, %s) on conflict do nothing",
                (ig, tag, now),
            )
            window.ours[tag] = None
        try:
            with self.requires("hashtags"):
                body = self.client.get_json("ig_hashtag_search", {"user_id": ig, "q": tag})
        except ApiError as exc:
            if exc.error_subcode == 2207034:  # not counted: the limit was already reached
                look.execute(
                    "delete from meta.instagram_hashtag_queries"
                    " where ig_user_id = %s and hashtag = %s and queried_at = %s",
                    (ig, tag, now),
                )
                window.ours.pop(tag, None)
            raise
        found = [i.get("id") for i in body.get("data") or [] if isinstance(i, dict)]
        hashtag_id = found[0] if found and is_graph_id(found[0]) else None
        if hashtag_id is None:
            log.warning("instagram hashtag #%s: the search found no hashtag", tag)
            return None
        window.ours[tag] = hashtag_id
        look.execute(
            "update meta.instagram_hashtag_queries set hashtag_id = %s"
            " where ig_user_id = %s and hashtag = %s and hashtag_id is null",
            (hashtag_id, ig, tag),
        )
        return hashtag_id

    # --- deletions, confirmed at the source ----------------------------------------------

    def _gone_media(self, missing: list[Missing]) -> set[str]:
        """Of our media missing from a complete listing, those the API says do not exist,
        asked with the account's Page token (50 a batch)."""
        access = self.access()
        by_account: dict[str, list[str]] = {}
        for m in missing:
            kind, _, ig = m.scope_key.partition(":")
            if kind == OWN and is_graph_id(m.natural_key):
                by_account.setdefault(ig, []).append(m.natural_key)
        return self._gone(by_account, access)

    def _gone_comments(self, missing: list[Missing]) -> set[str]:
        """Of comments missing from a complete walk of their media, those the API says do not
        exist, asked with the Page token of the media's account."""
        access = self.access()
        media_ids = sorted({m.scope_key for m in missing})
        with self.connect() as conn:
            owner = {
                key: scope.partition(":")[2]
                for key, scope in conn.execute(
                    "select distinct on (natural_key) natural_key, scope_key"
                    " from raw.instagram_media where natural_key = any(%s)"
                    " order by natural_key, ingest_seq desc",
                    (media_ids,),
                ).fetchall()
                if scope.startswith(f"{OWN}:")
            }
        by_account: dict[str, list[str]] = {}
        for m in missing:
            if m.scope_key in owner and is_graph_id(m.natural_key):
                by_account.setdefault(owner[m.scope_key], []).append(m.natural_key)
        return self._gone(by_account, access)

    def _gone(self, by_account: dict[str, list[str]], access: _Access) -> set[str]:
        gone: set[str] = set()
        for ig, ids in sorted(by_account.items()):
            if ig not in access.own:
                log.warning(
                    "instagram %s: %d record(s) missing from the walk kept: the account was "
                    "not read this run, nothing confirms they are gone",
                    ig,
                    len(ids),
                )
                continue
            found = graph_batch.read_nodes(self.client, ids, "id", page=ig)
            gone |= set(ids) - set(found)
        log.info(
            "instagram: %d missing from the walk, %d confirmed deleted",
            sum(len(ids) for ids in by_account.values()),
            len(gone),
        )
        return gone


def _time_of(item: Any) -> datetime | None:
    if not isinstance(item, dict):
        return None
    try:
        return parse_graph_time(item.get("timestamp"))
    except InvalidRecord:
        return None


def _day_ending(end_time: Any) -> Any:
    """The day a daily value whose period ends at `end_time` covers (YYYY-MM-DD); the value
    as it was when it is not a Graph time (the builder refuses it)."""
    try:
        return (parse_graph_time(end_time) - timedelta(days=1)).date().isoformat()
    except InvalidRecord:
        return end_time


def _first_value(metric: dict) -> Any:
    values = metric.get("values")
    if isinstance(values, list) and values and isinstance(values[0], dict):
        return values[0].get("value")
    total = metric.get("total_value")
    return total.get("value") if isinstance(total, dict) else None


def _not_enough_viewers(exc: ApiError) -> bool:
    """`(#10) Not enough viewers for the media to show insights`: that media has none yet."""
    return exc.error_code == 10 and "not enough viewers" in exc.error_message.lower()


def _not_a_business(exc: ApiError) -> bool:
    """Business discovery's `(#110) Invalid user id` subcode 2207013: the username is not a
    Business or Creator account (or none at all)."""
    return exc.error_code == 110 or exc.error_subcode == 2207013


def _before_conversion(exc: ApiError) -> bool:
    """`Invalid parameter` #100 subcode 2108006, "Media posted before business account
    conversion": that media has no insights, whatever the metric."""
    return exc.error_subcode == 2108006


def _refused_here(exc: ApiError) -> bool:
    """A hashtag search the API refuses for that hashtag (a client error: the 7-day limit
    reached, a hashtag Meta deems sensitive answers "a generic error"), not one to retry."""
    if isinstance(exc, ApiAuthError | ApiAccessError) or exc.error_code in RATE_LIMIT_CODES:
        return False  # the token, a permission or a throttle: about every hashtag
    return exc.status is not None and 400 <= exc.status < 500


def _mark_read(batch: LandingBatch, key: str, outcome: str) -> None:
    webhook_reads.mark_read(batch, {key: outcome})


def _forget_walks(batch: LandingBatch, child: Stream, media_ids: list[str]) -> None:
    """With the tombstones of a deleted media's comments: forget its last walk, so a media
    that comes back has its comments walked in the run that sees it."""
    batch.with_commit(
        "delete from meta.instagram_media_activity where media_id = any(%s)", (media_ids,)
    )
