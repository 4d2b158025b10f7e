"""Task-level entry points for extraction (called by the DAGs and the CLI).

Each function resolves credentials (Airflow Connection or env vars), builds the client and
extractor, lands into the warehouse and returns one summary line per landed batch (safe for
XCom: counts only, never a token) as a `Landed`, which also names the raw tables the batches
changed (the DAG task updates those Assets and no others). A failure that retrying cannot fix
(refused credentials, an endpoint outside the access tier, a request refused for leaving the
API's host, a bad setting) fails the task once, without Airflow's retries, with the message
naming the connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from social_crm import catalog, settings, warehouse
from social_crm.extract import brands, credentials
from social_crm.extract.crm import DropFolderError, land_drop_folder
from social_crm.extract.facebook import FacebookExtractor, FacebookSettings
from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import (
    ApiAccessError,
    ApiAuthError,
    ApiClient,
    ApiPolicy,
    RetryPolicy,
    UnsafeRequest,
)
from social_crm.extract.instagram import (
    InstagramAccount,
    InstagramExtractor,
    InstagramSettings,
)
from social_crm.extract.instagram_streams import HASHTAG_TEXT
from social_crm.extract.records import GRAPH_ID
from social_crm.extract.x import XExtractor, XSettings
from social_crm.extract.x_policy import XPolicy
from social_crm.load.landing import BatchResult, mark_abandoned_batches

GRAPH_API_VERSION = "v27.0"  # Graph's newest (2026-11-04)
# Graph versions in service and the day each stops (None: not announced), from Meta's changelog
# (developers.facebook.com/documentation/development/graph-api/changelog, updated 2026-10-29)
GRAPH_VERSIONS_UNTIL: dict[str, date | None] = {
    "v21.0": date(2027, 1, 21),
    "v22.0": date(2027, 5, 20),
    "v23.0": date(2027, 10, 8),
    "v24.0": date(2028, 2, 18),
    "v25.0": date(2028, 7, 29),
    "v26.0": None,
    "v27.0": None,
}
FINAL_ERRORS = (
    ApiAuthError,
    ApiAccessError,
    UnsafeRequest,
    credentials.CredentialsMissing,
    settings.SettingError,
)
Interval = tuple[datetime | None, datetime | None]


def _client(
    creds: credentials.ApiCredentials, options: settings.ApiOptions, policy: ApiPolicy
) -> ApiClient:
    retry = RetryPolicy(
        max_attempts=options.max_attempts,
        backoff_base=options.backoff_base,
        rate_limit_wait=options.rate_limit_wait,
        rate_limit_cap=options.rate_limit_cap,
    )
    timeout = (options.connect_timeout, options.read_timeout)
    return ApiClient(
        creds.connection_id,
        creds.base_url,
        creds.token,
        policy=policy,
        api_version=options.api_version,
        retry=retry,
        timeout=timeout,
    )


def tracked_brands(platform: str, *, ours: bool = False) -> list[str]:
    """The keys (`brand_key` of dbt_project/seeds/brands.csv) of the brands with an account on
    `platform` (facebook, x, instagram), ours only when `ours`: what an extraction DAG maps
    its per-brand tasks over, one mapped task a brand. The key is the one the watermarks and
    batches are kept by (a brand's Page, searches, accounts), stable across runs."""
    account = {
        "facebook": "facebook_page_id",
        "x": "x_handle",
        "instagram": "instagram_user_id",
    }[platform]
    return [b.key for b in brands.load() if getattr(b, account) and (b.is_ours or not ours)]


def _only(tracked: list[brands.TrackedBrand], brand: str | None) -> list[brands.TrackedBrand]:
    """`tracked`, or only the brand keyed `brand` (a mapped task's); an unknown key is a
    setting error naming it (brands.csv changed between listing and running)."""
    if brand is None:
        return tracked
    chosen = [b for b in tracked if b.key == brand]
    if not chosen:
        raise settings.SettingError(
            f"brand {brand[:40]!r} is not in dbt_project/seeds/brands.csv (brand_key)"
        )
    return chosen


def facebook(interval: Interval = (None, None), brand: str | None = None) -> FacebookExtractor:
    """The Facebook extractor of connection `facebook_graph`: every tracked brand's Page, or
    only `brand`'s (a mapped task's)."""
    creds = credentials.resolve(credentials.FACEBOOK)
    options = settings.ApiOptions.parse(creds.connection_id, creds.extra, GRAPH_API_VERSION)
    graph_version_in_service(creds.connection_id, options.api_version, datetime.now(UTC).date())
    tracked = _only(brands.load(), brand)
    pages = tuple(b.facebook_page_id for b in tracked if b.facebook_page_id)
    if options.page_ids:  # the connection's own list of Pages: the brand's Page if listed
        pages = options.page_ids if brand is None else tuple(set(pages) & set(options.page_ids))
    bad = [page for page in pages if not GRAPH_ID.match(page)]
    if bad:
        raise settings.SettingError(
            f"connection '{creds.connection_id}': page id {bad[0][:40]!r} is not a Graph id "
            "(digits only)"
        )
    walk = FacebookSettings(
        pages,
        lookback_days=options.lookback_days,
        page_size=options.page_size,
        recheck_hours=options.recheck_hours,
        # the brand's own Pages (read with their Page tokens); brands.csv's rivals: public
        own_page_ids=tuple(b.facebook_page_id for b in tracked if b.is_ours),
    )
    return FacebookExtractor(
        _client(creds, options, GraphPolicy()), warehouse.connect, walk, interval
    )


def instagram(interval: Interval = (None, None)) -> InstagramExtractor:
    """The Instagram extractor of connection `instagram_graph` (the Graph host and version,
    the brand's token): our accounts and rivals from brands.csv, the connection's hashtags."""
    creds = credentials.resolve(credentials.INSTAGRAM)
    options = settings.ApiOptions.parse(creds.connection_id, creds.extra, GRAPH_API_VERSION)
    graph_version_in_service(creds.connection_id, options.api_version, datetime.now(UTC).date())
    tracked = [b for b in brands.load() if b.instagram_user_id]
    bad = [b.instagram_user_id for b in tracked if not GRAPH_ID.match(b.instagram_user_id)]
    if bad:
        raise settings.SettingError(
            f"dbt_project/seeds/brands.csv: instagram_user_id {bad[0][:40]!r} is not a Graph "
            "id (digits only)"
        )
    walk = InstagramSettings(
        own=tuple(
            InstagramAccount(b.instagram_user_id, b.instagram_username)
            for b in tracked
            if b.is_ours
        ),
        rivals=tuple(
            InstagramAccount(b.instagram_user_id, b.instagram_username)
            for b in tracked
            if not b.is_ours
        ),
        hashtags=campaign_hashtags(creds.connection_id, options.hashtags),
        lookback_days=options.lookback_days,
        page_size=options.page_size,
        recheck_hours=options.recheck_hours,
    )
    return InstagramExtractor(
        _client(creds, options, GraphPolicy()), warehouse.connect, walk, interval
    )


def campaign_hashtags(connection_id: str, given: tuple[str, ...]) -> tuple[str, ...]:
    """The connection's `hashtags` extra: each without '#', lower-cased, once; a hashtag that
    is not letters, digits and underscores (or is digits only) is refused naming it."""
    tags: list[str] = []
    for raw in given:
        tag = raw.strip().removeprefix("#")
        if not HASHTAG_TEXT.match(tag) or tag.isdigit():
            raise settings.SettingError(
                f"connection '{connection_id}': extra hashtags: {raw[:40]!r} is not a hashtag "
                "(letters, digits and underscores, not digits only; '#' optional)"
            )
        tag = tag.lower()  # after the check: a lower case may add a combining mark (İ -> i̇)
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


def graph_version_in_service(connection_id: str, version: str, today: date) -> None:
    """Refuse an `api_version` Meta does not serve on `today` (or that is no version at all)."""
    if version not in GRAPH_VERSIONS_UNTIL:
        raise settings.SettingError(
            f"connection '{connection_id}': extra api_version {version[:20]!r} is not a Graph "
            f"version in service ({', '.join(GRAPH_VERSIONS_UNTIL)}); leave it out for "
            f"{GRAPH_API_VERSION}"
        )
    until = GRAPH_VERSIONS_UNTIL[version]
    if until is not None and today >= until:
        raise settings.SettingError(
            f"connection '{connection_id}': Graph {version} was served until {until}; set "
            f"extra api_version to a newer one, or leave it out for {GRAPH_API_VERSION}"
        )


def x(interval: Interval = (None, None), brand: str | None = None) -> XExtractor:
    """The X extractor of connection `x_api`: every tracked brand's searches, or only
    `brand`'s (a mapped task's, whose re-check keeps a watermark of its own)."""
    creds = credentials.resolve(credentials.X)
    options = settings.ApiOptions.parse(creds.connection_id, creds.extra, "2")
    every = brands.load()
    tracked = _only(every, brand)
    walk = XSettings(
        tuple(b.x_handle for b in tracked),
        tuple(b.x_user_id for b in tracked),
        lookback_days=options.lookback_days,
        page_size=options.page_size,
        tier=options.tier,
        monthly_read_cap=options.monthly_read_cap,
        monthly_budget_usd=options.monthly_budget_usd,
        prices=options.prices,
        owned_user_ids=_owned_x_accounts(creds.connection_id, options.owner_user_id, every),
        full_archive=options.full_archive,
        follower_walks=options.follower_walks,
        recheck_hours=options.recheck_hours,
        follower_walk_days=options.follower_walk_days,
        count_audit_hours=options.count_audit_hours,
        own_accounts=tuple((b.x_handle, b.x_user_id) for b in tracked if b.is_ours),
        brand_key=brand or "",
    )
    return XExtractor(
        _client(creds, options, XPolicy(options.full_archive_spacing)),
        warehouse.connect,
        walk,
        interval,
    )


def _owned_x_accounts(
    connection_id: str, owner_user_id: str, tracked: list[brands.TrackedBrand]
) -> tuple[str, ...]:
    """The accounts whose own data the X connection reads as Owned Reads: the app owner's,
    whose user token it carries (extra owner_user_id), which must be one of our brands."""
    if not owner_user_id:
        return ()
    if owner_user_id not in {b.x_user_id for b in tracked if b.is_ours}:
        raise settings.SettingError(
            f"connection '{connection_id}': extra owner_user_id {owner_user_id} is not the "
            "x_user_id of one of our brands (dbt_project/seeds/brands.csv, is_ours = true)"
        )
    return (owner_user_id,)


def crm_drop_dir() -> Path:
    return settings.load().crm_drop_dir


class Landed(list[str]):
    """One summary line per batch, and `tables`: the raw tables (catalog names) whose batch
    committed new versions or tombstones. A batch that read only what was already landed, or
    only quarantined rows, or failed, changed nothing: its table is not named."""

    def __init__(self, results: Iterable[BatchResult] = ()) -> None:
        results = list(results)
        super().__init__(r.summary() for r in results)
        self.tables: frozenset[str] = frozenset(
            f"{r.source}_{r.entity}"
            for r in results
            if r.status == "committed" and (r.landed or r.tombstoned)
        )


def summaries(results: list[BatchResult]) -> Landed:
    return Landed(results)


def unbuilt_tables() -> Landed:
    """The raw tables with batches committed (new versions or tombstones) since the last marts
    build that published started reading raw (meta.marts_builds; all committed batches before
    the first): what may not be in the marts yet, whoever landed it. The schedule announces
    them again, so rows no extraction task announced (a task that failed after landing, the
    live walks, a backfill) are built within the period, not only at 02:00."""
    with warehouse.connect() as conn:
        rows = conn.execute(
            "select source, entity, count(*), sum(records_landed), sum(records_tombstoned)"
            " from meta.load_batches where status = 'committed'"
            " and (records_landed > 0 or records_tombstoned > 0)"
            " and finished_at >= coalesce((select max(started_at) from meta.marts_builds"
            " where published_at is not null), '-infinity')"
            " group by source, entity order by source, entity"
        ).fetchall()
    landed = Landed()
    landed.extend(
        f"{source}/{entity}: {batches} batches since the last build, {new} new, {gone} deleted"
        for source, entity, batches, new, gone in rows
    )
    raw = {table.name for table in catalog.RAW_TABLES}
    landed.tables = frozenset(f"{source}_{entity}" for source, entity, *_ in rows) & raw
    return landed


@contextmanager
def _fail_once_when_final() -> Iterator[None]:
    """Errors a retry cannot fix fail the task at once (AirflowFailException: no retries)."""
    try:
        yield
    except (*FINAL_ERRORS, FilesRejected, DropFolderError) as exc:
        try:
            from airflow.sdk.exceptions import AirflowFailException
        except ImportError:  # pragma: no cover - outside Airflow, the error itself
            raise exc from None
        raise AirflowFailException(str(exc)) from exc


def janitor() -> int:
    """Run at the start of every extraction task: batches a killed task left `running` are
    marked failed (see `landing.mark_abandoned_batches`)."""
    with warehouse.connect() as conn:
        conn.autocommit = True
        return mark_abandoned_batches(conn)


def _run(
    build: Callable[[], FacebookExtractor | InstagramExtractor | XExtractor], step: Callable
) -> Landed:
    with _fail_once_when_final():
        janitor()
        extractor = build()
        try:
            lines = summaries(step(extractor))
            extractor.finish()  # e.g. the Facebook Pages not read, after the others landed
            return lines
        finally:
            extractor.client.close()


# each platform's extraction groups (one DAG task each), in the order the DAGs run them
FACEBOOK_GROUPS: dict[str, Callable] = {
    "page": lambda e: [e.page_snapshots(), e.insights()],
    "posts": lambda e: e.posts_with_activity("posts"),
    "feed": lambda e: e.posts_with_activity("feed"),
}
X_GROUPS: dict[str, Callable] = {"tweets": XExtractor.tweets, "followers": XExtractor.followers}
INSTAGRAM_GROUPS: dict[str, Callable] = {
    "account": lambda e: [e.accounts(), e.account_insights()],
    "media": lambda e: [*e.media(), e.media_insights()],
    "rivals": InstagramExtractor.rivals,
    "hashtags": lambda e: [e.hashtags()],
}


def run_facebook(group: str, interval: Interval = (None, None), brand: str | None = None) -> Landed:
    """One extraction group of every tracked Page, or of `brand`'s Page only (a mapped task:
    its own batches, its Page's watermarks)."""
    if group not in FACEBOOK_GROUPS:
        raise ValueError(f"unknown facebook group {group!r}")
    return _run(lambda: facebook(interval, brand), FACEBOOK_GROUPS[group])


def run_x(group: str, interval: Interval = (None, None), brand: str | None = None) -> Landed:
    """One extraction group of every tracked brand, or of `brand` only (a mapped task: its
    own batches, its searches' watermarks and its own re-check watermark)."""
    if group not in X_GROUPS:
        raise ValueError(f"unknown x group {group!r}")
    return _run(lambda: x(interval, brand), X_GROUPS[group])


def run_instagram(group: str, interval: Interval = (None, None)) -> Landed:
    if group not in INSTAGRAM_GROUPS:
        raise ValueError(f"unknown instagram group {group!r}")
    return _run(lambda: instagram(interval), INSTAGRAM_GROUPS[group])


def run_instagram_live(interval: Interval = (None, None)) -> list[str]:
    """The live walk: the comments our account's `comments` webhooks announced (read by id),
    then our media of the last SOCIAL_CRM_LIVE_POST_DAYS days with the comments of those
    whose count moved, and the @mentions announced by webhook."""
    from social_crm.extract.instagram_webhooks import read_announced_comments

    days = settings.load().live_post_days
    return _run(lambda: instagram(interval), lambda e: read_announced_comments(e) + e.media(days))


def run_facebook_live(interval: Interval = (None, None)) -> list[str]:
    """The live walk: the comments our Pages' `feed` webhooks announced (read by id, on any
    post), then the last SOCIAL_CRM_LIVE_POST_DAYS days of posts and visitor posts with their
    comments (no reactions)."""
    from social_crm.extract.facebook_webhooks import read_announced_comments

    days = settings.load().live_post_days
    return _run(
        lambda: facebook(interval),
        lambda e: (
            read_announced_comments(e)
            + e.posts_with_activity("posts", days)
            + e.posts_with_activity("feed", days)
        ),
    )


def run_x_live(interval: Interval = (None, None)) -> list[str]:
    """The live walk: mentions and brand replies since the newest tweet seen."""
    return _run(lambda: x(interval), XExtractor.new_tweets)


class FilesRejected(RuntimeError):
    """Some CRM files were rejected (the rest landed): the task fails once, without a retry
    (the files are out of the inbox; a retry would find nothing and pass)."""

    def __init__(self, lines: list[str], rejected: list[str]) -> None:
        self.lines = lines
        super().__init__(
            f"{len(rejected)} CRM file(s) rejected, moved to rejected/ with the reason beside"
            " each (the other files landed):\n  " + "\n  ".join(rejected)
        )


def run_crm(interval: Interval = (None, None), folder: Path | None = None) -> Landed:
    """Land the drop folder; raises FilesRejected (after landing the rest) when a file was
    rejected."""
    results = land_drop_folder(warehouse.connect, folder or crm_drop_dir(), interval)
    lines = summaries(results)
    rejected = [line for r, line in zip(results, lines, strict=True) if r.status == "failed"]
    if rejected:
        raise FilesRejected(lines, rejected)
    return lines


def run_crm_task(interval: Interval = (None, None)) -> Landed:
    """`run_crm` as the DAG's task: rejected files fail it once, without retries."""
    with _fail_once_when_final():
        return run_crm(interval)
