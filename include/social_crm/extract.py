"""Task-level entry points for extraction (called by the DAGs and the CLI).

Each function resolves credentials (Airflow Connection or env vars), builds the client and
extractor, lands into the warehouse and returns one summary line per landed batch (safe for
XCom: counts only, never a token).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from social_crm import brands, warehouse
from social_crm.landing import BatchResult
from social_crm.paths import local_dir
from social_crm.sources import credentials
from social_crm.sources.crm import land_drop_folder
from social_crm.sources.facebook import FacebookExtractor, FacebookSettings
from social_crm.sources.http import ApiClient, RetryPolicy
from social_crm.sources.x import XExtractor, XSettings

GRAPH_API_VERSION = "v21.0"
Interval = tuple[datetime | None, datetime | None]


def _client(creds: credentials.ApiCredentials, api_version: str = "") -> ApiClient:
    extra = creds.extra
    retry = RetryPolicy(
        max_attempts=int(extra.get("max_attempts", 8)),
        backoff_base=float(extra.get("backoff_base", 0.5)),
        rate_limit_wait=float(extra.get("rate_limit_wait", 60)),
        rate_limit_cap=float(extra.get("rate_limit_cap", 900)),
    )
    timeout = (float(extra.get("connect_timeout", 5)), float(extra.get("read_timeout", 30)))
    return ApiClient(
        creds.connection_id,
        creds.base_url,
        creds.token,
        api_version=api_version,
        retry=retry,
        timeout=timeout,
    )


def facebook(interval: Interval = (None, None)) -> FacebookExtractor:
    creds = credentials.resolve(credentials.FACEBOOK)
    client = _client(creds, str(creds.extra.get("api_version", GRAPH_API_VERSION)))
    pages = creds.extra.get("page_ids") or [b.facebook_page_id for b in brands.load()]
    settings = FacebookSettings(
        tuple(str(p) for p in pages),
        lookback_days=int(creds.extra.get("lookback_days", 30)),
        page_size=int(creds.extra.get("page_size", 100)),
    )
    return FacebookExtractor(client, warehouse.connect, settings, interval)


def x(interval: Interval = (None, None)) -> XExtractor:
    creds = credentials.resolve(credentials.X)
    client = _client(creds, str(creds.extra.get("api_version", "2")))
    tracked = brands.load()
    settings = XSettings(
        tuple(b.x_handle for b in tracked),
        tuple(b.x_user_id for b in tracked),
        lookback_days=int(creds.extra.get("lookback_days", 30)),
        page_size=int(creds.extra.get("page_size", 100)),
        author_followers=bool(creds.extra.get("author_followers", True)),
    )
    return XExtractor(client, warehouse.connect, settings, interval)


def crm_drop_dir() -> Path:
    return Path(os.environ.get("CRM_DROP_DIR") or local_dir() / "crm_drop")


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
