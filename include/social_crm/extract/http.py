"""One HTTP client for every API: pooled session, timeouts, retries with backoff and jitter,
rate-limit waits by the API's own signal, cursor pagination that refuses loops.

Tokens travel in the Authorization header only (Graph `paging.next` URLs carry the token in
their query string: it is stripped before the URL is requested or logged), and every error
message is redacted, so no token reaches a log, an exception or an XCom.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from social_crm import settings
from social_crm.privacy.redact import redact

log = logging.getLogger(__name__)

GRAPH_RATE_LIMIT_CODES = {4, 17, 32, 613}
GRAPH_AUTH_CODES = {190, 10} | set(range(200, 300))
RETRYABLE_STATUS = {500, 502, 503, 504}


class ApiError(RuntimeError):
    """A request failed for good; the message names the connection and never the token."""


class ApiAuthError(ApiError):
    """The API refused the credentials: fix the connection, retrying will not help."""


class PaginationLoopError(ApiError):
    """The API handed back a cursor it had already given: stop instead of looping forever."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    backoff_base: float = 0.5  # seconds; doubles per attempt, with full jitter
    backoff_cap: float = 30.0
    rate_limit_wait: float = 60.0  # Graph gives no reset time: wait this long (then doubling)
    rate_limit_cap: float = 900.0  # never wait longer than this for one rate limit


@dataclass
class Page:
    items: list[dict]
    body: dict
    number: int


class ApiClient:
    def __init__(
        self,
        connection_id: str,
        base_url: str,
        token: str,
        *,
        api_version: str = "",
        timeout: tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 16,
    ) -> None:
        self.connection_id = connection_id
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self._token = token
        self.timeout = timeout
        self.retry = retry
        self.sleep = sleep
        # Proxies and CA bundle come from the environment as usual, but are read once here:
        # with requests' trust_env on, every request scans os.environ (a third of the client's
        # time per page on a fast API).
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        self.session.verify = settings.load().ca_bundle or True
        # one pooled connection per concurrent walk (see PrefetchedPages); the session is shared
        # by those threads, which only send GETs through it
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers["User-Agent"] = "social-crm-pipeline"
        self._lock = threading.Lock()
        self.calls = 0
        self.waits: list[tuple[str, float]] = []  # (reason, seconds) of every wait, for tests/logs

    def __repr__(self) -> str:
        return f"ApiClient({self.connection_id!r}, {self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    # --- one request ----------------------------------------------------------------------

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        prefix = f"{self.base_url}/{self.api_version}" if self.api_version else self.base_url
        return f"{prefix}/{path.lstrip('/')}"

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> dict:
        url, params = _strip_token(self.url(path), dict(params or {}))
        where = urlsplit(url).path
        rate_limit_waits = 0
        for attempt in range(1, self.retry.max_attempts + 1):
            with self._lock:
                self.calls += 1
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {self._redact(str(exc))}"
                self._backoff(attempt, where, problem)
                continue
            body, problem = _decode(response)
            if response.status_code == 200 and problem is None:
                return body
            self._raise_if_final(response.status_code, body, where)
            rate_wait = self._rate_limit_wait(response, body, rate_limit_waits)
            if rate_wait is not None:
                rate_limit_waits += 1
                self._wait("rate limit", rate_wait, where, attempt)
                continue
            self._backoff(attempt, where, problem or f"HTTP {response.status_code}")
        raise ApiError(
            f"{self.connection_id}: {where} still failing after {self.retry.max_attempts} "
            "attempts; the API may be down (see the waits above), retry the task later"
        )

    def _raise_if_final(self, status: int, body: dict, where: str) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        if status in (401, 403) or code in GRAPH_AUTH_CODES:
            detail = self._redact(str((error or {}).get("message") or body.get("detail") or ""))
            raise ApiAuthError(
                f"{self.connection_id}: the API refused the credentials (HTTP {status}"
                f"{f', Graph error {code}' if code else ''}: {detail}). Update the token in "
                f"Airflow connection '{self.connection_id}' (password field) or in "
                f"{self.connection_id.upper()}_TOKEN, then clear the task to retry."
            )
        rate_limited = status == 429 or code in GRAPH_RATE_LIMIT_CODES
        if 400 <= status < 500 and not rate_limited:
            detail = self._redact(json.dumps(body)[:500])
            raise ApiError(f"{self.connection_id}: {where} answered HTTP {status}: {detail}")

    def _rate_limit_wait(self, response: requests.Response, body: dict, waits: int) -> float | None:
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        if response.status_code != 429 and code not in GRAPH_RATE_LIMIT_CODES:
            return None
        retry_after = response.headers.get("retry-after")
        reset = response.headers.get("x-rate-limit-reset")
        if retry_after and retry_after.isdigit():
            wait = float(retry_after)
        elif reset and reset.isdigit():
            wait = max(0.0, int(reset) - time.time()) + 0.5
        else:
            wait = self.retry.rate_limit_wait * (2**waits)
        return min(wait, self.retry.rate_limit_cap)

    def _backoff(self, attempt: int, where: str, problem: str) -> None:
        if attempt >= self.retry.max_attempts:
            raise ApiError(
                f"{self.connection_id}: {where} failed {attempt} times, last: {problem}; "
                "retry the task later"
            )
        ceiling = min(self.retry.backoff_cap, self.retry.backoff_base * 2 ** (attempt - 1))
        self._wait(problem, random.uniform(ceiling / 2, ceiling), where, attempt)

    def _wait(self, reason: str, seconds: float, where: str, attempt: int) -> None:
        log.warning(
            "%s: %s on %s; waiting %.1fs (attempt %d/%d)",
            self.connection_id,
            reason,
            where,
            seconds,
            attempt,
            self.retry.max_attempts,
        )
        self.waits.append((reason, seconds))
        self.sleep(seconds)

    def secrets_to_redact(self) -> tuple[str, ...]:
        """What must never be written anywhere (for the landing code's redaction)."""
        return (self._token,)

    def _redact(self, text: str) -> str:
        return redact(text, self._token)

    # --- pagination -----------------------------------------------------------------------

    def graph_pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Page]:
        """Follow `paging.next` until it is missing; refuse a cursor seen before."""
        url: str | None = path
        query: dict[str, Any] | None = dict(params or {})
        seen: set[str] = set()
        number = 0
        while url:
            body = self.get_json(url, query)
            number += 1
            items = body.get("data") or []
            yield Page(items, body, number)
            paging = body.get("paging") or {}
            url, query = paging.get("next"), None
            after = (paging.get("cursors") or {}).get("after") or url
            if url and after in seen:
                raise PaginationLoopError(
                    f"{self.connection_id}: {urlsplit(self.url(path)).path} returned cursor "
                    f"{after!r} twice (page {number}); stopping instead of looping"
                )
            if after:
                seen.add(after)

    def token_pages(self, path: str, params: dict[str, Any], token_param: str) -> Iterator[Page]:
        """X-style paging: `meta.next_token` is sent back as `token_param` until it is missing."""
        query = dict(params)
        seen: set[str] = set()
        number = 0
        while True:
            body = self.get_json(path, query)
            number += 1
            yield Page(body.get("data") or [], body, number)
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return
            if token in seen:
                raise PaginationLoopError(
                    f"{self.connection_id}: {path} returned next_token {token!r} twice "
                    f"(page {number}); stopping instead of looping"
                )
            seen.add(token)
            query[token_param] = token


def _strip_token(url: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Drop access_token from a URL's query and from params (the header carries the token)."""
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"
    ]
    params.pop("access_token", None)
    return urlunsplit(parts._replace(query=urlencode(query))), params


def _decode(response: requests.Response) -> tuple[dict, str | None]:
    try:
        body = response.json()
    except ValueError:
        return (
            {},
            f"HTTP {response.status_code} with a body that is not valid JSON "
            f"({len(response.content)} bytes, truncated?)",
        )
    if not isinstance(body, dict):
        return {}, f"HTTP {response.status_code} with a JSON {type(body).__name__}, not an object"
    return body, None
