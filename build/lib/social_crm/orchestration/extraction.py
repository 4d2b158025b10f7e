"""Task-level entry points for extraction (called by the DAGs and the CLI).

Each function resolves credentials (Airflow Connection or env vars), builds the client and
extractor, lands into the warehouse and returns one summary line per landed batch (safe for
XCom: counts only, never a token).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from social_crm import settings, warehouse
from social_crm.extract import brands, credentials
from social_crm.extract.crm import land_drop_folder
from social_crm.extract.facebook import FacebookExtractor, FacebookSettings
from social_crm.extract.http import ApiClient, RetryPolicy
from social_crm.extract.x import XExtractor, XSettings
from social_crm.load.landing import BatchResult

GRAPH_API_VERSION = "v21.0"
Interval = tuple[datetime | None, datetime | None]


def _client(creds: credentials.ApiCredentials, options: settings.ApiOptions) -> ApiClient:
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
        api_version=options.api_version,
        retry=retry,
        timeout=timeout,
    )


def facebook(interval: Interval = (None, None)) -> FacebookExtractor:
    creds = credentials.resolve(credentials.FACEBOOK)
    options = settings.ApiOptions.parse(creds.connection_id, creds.extra, GRAPH_API_VERSION)
    pages = options.page_ids or tuple(b.facebook_page_id for b in brands.load())
    walk = FacebookSettings(pages, lookback_days=options.lookback_days, page_size=options.page_size)
    return FacebookExtractor(_client(creds, options), warehouse.connect, walk, interval)


def x(interval: Interval = (None, None)) -> XExtractor:
    creds = credentials.resolve(credentials.X)
    options = settings.ApiOptions.parse(creds.connection_id, creds.extra, "2")
    tracked = brands.load()
    walk = XSettings(
        tuple(b.x_handle for b in tracked),
        tuple(b.x_user_id for b in tracked),
        lookback_days=options.lookback_days,
        page_size=options.page_size,
        author_followers=options.author_followers,
    )
    return XExtractor(_client(creds, options), warehouse.connect, walk, interval)


def crm_drop_dir() -> Path:
    return settings.load().crm_drop_dir


def summaries(results: list[BatchResult]) -> list[str]:
    return [r.summary() for r in results]


def run_facebook(group: str, interval: Interval = (None, None)) -> list[str]:
    extractor = facebook(interval)
    try:
        if group == "page":
            return summaries([extractor.page_snapshots(), extractor.insights()])
        if group in ("posts", "feed"):
            return summaries(extractor.posts_with_activity(group))
        raise ValueError(f"unknown facebook group {group!r}")
    finally:
        extractor.client.close()


def run_x(group: str, interval: Interval = (None, None)) -> list[str]:
    extractor = x(interval)
    try:
        if group == "tweets":
            return summaries(extractor.tweets())
        if group == "followers":
            return summaries(extractor.followers())
        raise ValueError(f"unknown x group {group!r}")
    finally:
        extractor.client.close()


def run_crm(interval: Interval = (None, None), folder: Path | None = None) -> list[str]:
    return summaries(land_drop_folder(warehouse.connect, folder or crm_drop_dir(), interval))
