"""One HTTP client for every API: pooled session, timeouts, retries with backoff and jitter,
rate-limit waits by the API's own signal, cursor pagination that refuses loops.

Tokens travel in the Authorization header only (Graph `paging.next` URLs carry the token in
their query string: it is stripped before the URL is requested or logged), and every error
message is redacted, so no token reaches a log, an exception or an XCom. Requests go to the
connection's own host only: an absolute URL (a paging link) on another host, or a path built
from data that is not a plain id, is refused before anything is sent.

Errors are read by their code, whatever the HTTP status: Graph throttles with codes 4, 17, 32,
613 and 80001 on HTTP 400 or 403 (developers.facebook.com/docs/graph-api/overview/rate-limiting),
X answers 429 with `x-rate-limit-reset` (docs.x.com/x-api/fundamentals/rate-limits), a spent
monthly Post cap with the `usage-capped` problem type and an endpoint outside the access tier
with `client-forbidden` / `client-not-enrolled` or error 453 (docs.x.com/x-api/fundamentals/
post-cap). Graph's usage headers (`X-App-Usage`, `X-Business-Use-Case-Usage`) slow the client
down before it reaches 100%.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from social_crm import settings
from social_crm.redact import redact

log = logging.getLogger(__name__)

GRAPH_RATE_LIMIT_CODES = {4, 17, 32, 613, 80001}
GRAPH_AUTH_CODES = {190, 102} | set(range(200, 300))
GRAPH_PERMISSION_CODES = {10}
X_FORBIDDEN_TYPES = ("client-forbidden", "client-not-enrolled")
USAGE_SLOWDOWN_FROM = 80.0  # percent of a Graph usage header: from here on, pace the calls
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]+$")


class ApiError(RuntimeError):
    """A request failed for good; the message names the connection and never the token.
    `status` and `body` are the API's answer (None and {} when none came)."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body if isinstance(body, dict) else {}

    @property
    def graph_code(self) -> int | None:
        return _graph_error(self.body).get("code")

    @property
    def graph_subcode(self) -> int | None:
        return _graph_error(self.body).get("error_subcode")

    @property
    def graph_message(self) -> str:
        return str(_graph_error(self.body).get("message") or "")


class ApiAuthError(ApiError):
    """The API refused the credentials: fix the connection, retrying will not help."""


class ApiAccessError(ApiError):
    """The credentials are valid but their access level (X tier, Graph permission) does not
    include this endpoint or field: retrying will not help, the connection must change."""


class UsageCapExceeded(ApiError):
    """X's monthly Post cap is spent: nothing more can be read until the next month."""


class UnsafeRequest(ApiError):
    """A request would have left the connection's host (or used a path that is not an id):
    refused before anything was sent, so the token went nowhere."""


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
        self.usage: dict[str, float] = {}  # latest Graph usage header readings, percent
        self.last_headers: Mapping[str, str] = {}  # of the latest answer (X rate-limit state)
        self._server_date: tuple[datetime, float] | None = None

    def __repr__(self) -> str:
        return f"ApiClient({self.connection_id!r}, {self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    # --- one request ----------------------------------------------------------------------

    def url(self, path: str) -> str:
        """The URL for `path` (relative to the API version) or for an absolute link the API
        handed back; anything that would leave the connection's host is refused."""
        base = urlsplit(self.base_url)
        if "://" in path:
            target = urlsplit(path)
            if (target.scheme, target.netloc) != (base.scheme, base.netloc):
                raise UnsafeRequest(
                    f"{self.connection_id}: refused a request to {target.scheme}://"
                    f"{target.netloc}: only {base.scheme}://{base.netloc} (the connection's "
                    "host) gets this connection's token"
                )
            return path
        route, mark, query = path.partition("?")
        segments = [segment for segment in route.split("/") if segment]
        bad = [s for s in segments if not _PATH_SEGMENT.match(s) or s in (".", "..")]
        if bad or route.startswith("//"):
            raise UnsafeRequest(
                f"{self.connection_id}: refused the path {redact(route, self._token)[:80]!r}: "
                "a path segment built from API data must be a plain id"
            )
        prefix = f"{self.base_url}/{self.api_version}" if self.api_version else self.base_url
        return f"{prefix}/{'/'.join(segments)}{mark}{query}"

    def server_now(self, *, fresh: bool = False) -> datetime:
        """The API server's clock (its `Date` header, plus the time since), read with a HEAD
        request to the connection's host when no answer has come yet (or when `fresh`); the
        local clock when the server sends no date. Time windows the API enforces (X recent
        search: 7 days) are measured on its clock, not ours."""
        if self._server_date is None or fresh:
            try:
                response = self.session.head(self.base_url, timeout=self.timeout)
                self._note_date(response)
            except requests.RequestException as exc:
                log.warning(
                    "%s: could not read the server's clock (%s)",
                    self.connection_id,
                    type(exc).__name__,
                )
        if self._server_date is None:
            return datetime.now(UTC)
        server, at = self._server_date
        return server + timedelta(seconds=time.monotonic() - at)

    def _note_date(self, response: requests.Response) -> None:
        value = response.headers.get("date")
        if not value:
            return
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        self._server_date = (moment, time.monotonic())

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> dict:
        url, params = _strip_token(self.url(path), dict(params or {}))
        where = urlsplit(url).path
        rate_limit_waits = 0
        for attempt in range(1, self.retry.max_attempts + 1):
            with self._lock:
                self.calls += 1
            try:
                # redirects are not followed: the token would go where the answer points
                response = self.session.get(
                    url, params=params, timeout=self.timeout, allow_redirects=False
                )
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {self._redact(str(exc))}"
                self._backoff(attempt, where, problem)
                continue
            self._note_date(response)
            self.last_headers = response.headers  # case-insensitive
            if response.is_redirect:
                target = urlsplit(response.headers.get("location", ""))
                raise UnsafeRequest(
                    f"{self.connection_id}: {where} answered HTTP {response.status_code}, a "
                    f"redirect to {target.scheme}://{target.netloc}{target.path}; not followed "
                    "(the token stays with the connection's host)",
                    response.status_code,
                )
            body, problem = _decode(response)
            regain = self._read_usage(response)
            if response.status_code == 200 and problem is None:
                return body
            rate_wait = self._rate_limit_wait(response, body, rate_limit_waits, regain)
            if rate_wait is not None:
                rate_limit_waits += 1
                self._wait("rate limit", rate_wait, where, attempt)
                continue
            self._raise_if_final(response.status_code, body, where)
            self._backoff(attempt, where, problem or f"HTTP {response.status_code}")
        raise ApiError(
            f"{self.connection_id}: {where} still failing after {self.retry.max_attempts} "
            "attempts; the API may be down (see the waits above), retry the task later"
        )

    def _raise_if_final(self, status: int, body: dict, where: str) -> None:
        error = _graph_error(body)
        code = error.get("code")
        problem = _x_problem(body)
        conn = self.connection_id
        if _is_usage_capped(body):
            raise UsageCapExceeded(
                f"{conn}: the monthly Post cap of this X project is spent "
                f"({self._redact(str(body.get('detail') or body.get('title') or ''))}); "
                "reads resume when the cap resets next month",
                status,
                body,
            )
        if any(kind in problem for kind in X_FORBIDDEN_TYPES) or 453 in _x_codes(body):
            detail = self._redact(str(body.get("detail") or body.get("reason") or problem))
            raise ApiAccessError(
                f"{conn}: {where} is not part of this connection's X access tier "
                f"(HTTP {status}: {detail}). "
                f"Set 'tier' in the extra of connection '{conn}' to the project's real tier, "
                "or upgrade the tier in the X developer console",
                status,
                body,
            )
        if status == 401 or code in GRAPH_AUTH_CODES or (status == 403 and code is None):
            detail = self._redact(str(error.get("message") or body.get("detail") or ""))
            raise ApiAuthError(
                f"{conn}: the API refused the credentials (HTTP {status}"
                f"{f', Graph error {code}' if code else ''}: {detail}). Update the token in "
                f"Airflow connection '{conn}' (password field) or in "
                f"{conn.upper()}_TOKEN, then clear the task to retry.",
                status,
                body,
            )
        if code in GRAPH_PERMISSION_CODES:
            raise ApiAccessError(
                f"{conn}: {where}: the token lacks a permission (Graph error {code}: "
                f"{self._redact(str(error.get('message') or ''))})",
                status,
                body,
            )
        if 400 <= status < 500 and status != 429:
            detail = self._redact(json.dumps(body)[:500])
            raise ApiError(f"{conn}: {where} answered HTTP {status}: {detail}", status, body)

    def _rate_limit_wait(
        self, response: requests.Response, body: dict, waits: int, regain: float | None
    ) -> float | None:
        code = _graph_error(body).get("code")
        if _is_usage_capped(body):
            return None  # not a rate limit: waiting minutes will not help
        if response.status_code != 429 and code not in GRAPH_RATE_LIMIT_CODES:
            return None
        retry_after = response.headers.get("retry-after")
        reset = response.headers.get("x-rate-limit-reset")
        if retry_after and retry_after.isascii() and retry_after.isdigit():
            wait = float(retry_after)
        elif reset and reset.isascii() and reset.isdigit():
            wait = max(0.0, int(reset) - time.time()) + 0.5
        elif regain:
            wait = regain
        else:
            wait = self.retry.rate_limit_wait * (2**waits)
        return min(wait, self.retry.rate_limit_cap)

    def _read_usage(self, response: requests.Response) -> float | None:
        """Read Graph's usage headers (percent of the app's / the Page's limit used): from
        USAGE_SLOWDOWN_FROM on, pause before the next call, longer the nearer 100%. Returns
        `estimated_time_to_regain_access` in seconds when the API gave one."""
        readings: dict[str, float] = {}
        regain = 0.0
        for header in ("x-app-usage", "x-page-usage", "x-business-use-case-usage"):
            raw = response.headers.get(header)
            if not raw:
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            entries = (
                [value]
                if header != "x-business-use-case-usage"
                else [
                    entry
                    for group in (value.values() if isinstance(value, dict) else [])
                    for entry in (group if isinstance(group, list) else [])
                ]
            )
            for entry in entries:
                if not isinstance(entry, dict):
                    continue
                for name in ("call_count", "total_cputime", "total_time"):
                    number = entry.get(name)
                    if isinstance(number, int | float):
                        key = f"{header}:{name}"
                        readings[key] = max(readings.get(key, 0.0), float(number))
                minutes = entry.get("estimated_time_to_regain_access")
                if isinstance(minutes, int | float):
                    regain = max(regain, float(minutes) * 60)
        if not readings:
            return regain or None
        self.usage = readings
        worst = max(readings.values())
        if response.status_code == 200 and worst >= USAGE_SLOWDOWN_FROM:
            share = min(1.0, (worst - USAGE_SLOWDOWN_FROM) / (100.0 - USAGE_SLOWDOWN_FROM))
            pause = max(regain, share * self.retry.rate_limit_wait)
            if pause > 0:
                log.warning(
                    "%s: Graph usage at %.0f%% of the limit; pausing %.1fs before the next call",
                    self.connection_id,
                    worst,
                    pause,
                )
                self.waits.append(("usage near limit", pause))
                self.sleep(pause)
        return regain or None

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


def _graph_error(body: Any) -> dict:
    """Graph's error object of an answer ({} when there is none)."""
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _x_problem(body: Any) -> str:
    """X's problem type (and reason), lower case: '' when the answer has none."""
    if not isinstance(body, dict):
        return ""
    parts = [
        str(body.get("type") or ""),
        str(body.get("reason") or ""),
        str(body.get("title") or ""),
    ]
    return " ".join(parts).lower()


def _is_usage_capped(body: Any) -> bool:
    problem = _x_problem(body)
    return "usage-capped" in problem or "usagecap" in problem


def _x_codes(body: Any) -> set[int]:
    errors = body.get("errors") if isinstance(body, dict) else None
    return {
        e["code"] for e in errors or [] if isinstance(e, dict) and isinstance(e.get("code"), int)
    }


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
