"""One HTTP transport for every API: pooled session, timeouts, retries with backoff and
jitter, rate-limit waits, cursor pagination that refuses loops. It knows no platform: what an
answer means (a throttle, refused credentials, an endpoint outside the access level, usage
near a limit) is read by the `ApiPolicy` the client is given, one per platform
(`graph_policy.GraphPolicy`, `x_policy.XPolicy`).

Tokens travel in the Authorization header only (an OAuth 2.0 `access_token` query parameter,
which some APIs put in their paging links, is stripped before the URL is requested or logged),
and every error message is redacted, so no token reaches a log, an exception or an XCom.
Requests go to the connection's own host only: an absolute URL (a paging link) on another
host, or a path built from data that is not a plain id, is refused before anything is sent.

What the transport does by itself is plain HTTP: a connection error, a timeout, a 5xx or a
body that is not a JSON object is retried with backoff; a rate limit is waited out for its
`Retry-After` (else the platform's reset time, else the time the platform said access
returns, else `RetryPolicy.rate_limit_wait`, doubling), never longer than
`RetryPolicy.rate_limit_cap`; a redirect is refused. `Retry-After` is delay-seconds or an
HTTP-date (RFC 9110 section 10.2.3); a date, like the platform's reset time, is measured on the
server's clock (the `Date` of its answers), not ours.
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from social_crm import settings
from social_crm.redact import redact

log = logging.getLogger(__name__)

_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class ErrorDetail:
    """The platform's own error code, subcode and message in an answer, as its policy reads
    them (None and '' where the platform gives none)."""

    code: int | None = None
    subcode: int | None = None
    message: str = ""


class ApiError(RuntimeError):
    """A request failed for good; the message names the connection and never the token.
    `status` and `body` are the API's answer (None and {} when none came); `error_code`,
    `error_subcode` and `error_message` the platform's own, as its policy read them."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body if isinstance(body, dict) else {}
        self.detail = ErrorDetail()
        # the last try got no answer in time (connect or read timeout): the host is silent
        self.timed_out = False

    @property
    def error_code(self) -> int | None:
        return self.detail.code

    @property
    def error_subcode(self) -> int | None:
        return self.detail.subcode

    @property
    def error_message(self) -> str:
        return self.detail.message


class ApiAuthError(ApiError):
    """The API refused the credentials: fix the connection, retrying will not help.
    `reason`: the status and the API's own words, redacted ("HTTP 401: Unauthorized")."""

    reason: str = ""


class ApiAccessError(ApiError):
    """The credentials are valid but their access level (a tier, a permission) does not
    include this endpoint or field: retrying will not help, the connection must change."""


class UsageCapExceeded(ApiError):
    """The platform's read quota for the period is spent: nothing more can be read until it
    resets (not a rate limit: waiting minutes will not help)."""


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
    rate_limit_wait: float = 60.0  # no reset time given: wait this long (then doubling)
    rate_limit_cap: float = 900.0  # never wait longer than this for one rate limit


@dataclass(frozen=True)
class Usage:
    """What an answer's headers say of the platform's limits."""

    readings: Mapping[str, float] = field(default_factory=dict)  # percent used, per counter
    regain: float | None = None  # seconds until the API serves again, when it said
    # from how near the limits are, the share (0..1) of `RetryPolicy.rate_limit_wait` to pause
    # after a successful answer; None: no need to pace
    pace: float | None = None


@dataclass(frozen=True)
class Answer:
    """An answer that is not a success, for the policy to judge; its helpers build the
    errors every platform shares, with the connection named and the token redacted."""

    connection_id: str
    where: str  # the URL path asked
    status: int
    body: dict
    detail: ErrorDetail
    redact: Callable[[str], str]

    @property
    def is_client_error(self) -> bool:
        """4xx other than 429: the request itself is refused, asking again will not help."""
        return 400 <= self.status < 500 and self.status != 429

    def auth_error(self, detail: str, code: str = "") -> ApiAuthError:
        conn = self.connection_id
        reason = f"HTTP {self.status}{f', {code}' if code else ''}: {self.redact(detail)}"
        error = ApiAuthError(
            f"{conn}: the API refused the credentials ({reason}). Update the token in "
            f"Airflow connection '{conn}' (password field) or in "
            f"{conn.upper()}_TOKEN, then clear the task to retry.",
            self.status,
            self.body,
        )
        error.reason = reason
        return error

    def request_error(self) -> ApiError:
        detail = self.redact(json.dumps(self.body))[:500]  # redacted whole: no token half
        return ApiError(
            f"{self.connection_id}: {self.where} answered HTTP {self.status}: {detail}",
            self.status,
            self.body,
        )


class ApiPolicy(Protocol):
    """One platform's rules: what its answers mean. The transport asks, and acts."""

    def error_detail(self, body: dict) -> ErrorDetail:
        """The platform's error code, subcode and message in `body`."""
        ...

    def usage(self, headers: Mapping[str, str]) -> Usage:
        """What the answer's headers say of the limits (any answer, success or not)."""
        ...

    def is_rate_limited(self, status: int, body: dict) -> bool:
        """Whether the answer is a throttle: wait, then ask again."""
        ...

    def reset_wait(self, headers: Mapping[str, str], now: float) -> float | None:
        """Seconds until the limit resets, from the platform's own headers (None: not said);
        read when the answer has no standard `Retry-After`. `now` is the server's clock in
        epoch seconds (the local one when the server sends no `Date`)."""
        ...

    def final_error(self, answer: Answer) -> ApiError | None:
        """The error to raise now for an answer retrying cannot fix; None to retry it."""
        ...

    def refusal(self, answer: Answer) -> ApiError | None:
        """The error to raise for a successful (HTTP 200) answer that refuses the request all
        the same (X: the credits are spent); None for a real success."""
        ...

    def spacing(self, path: str) -> float:
        """The seconds the API wants between two requests of the URL path `path` (a limit per
        second), 0 for none: the transport waits that long rather than meet the 429."""
        ...


@dataclass
class Page:
    items: list[dict]
    body: dict
    number: int


class ApiClient:
    """A connection to one API: `policy` says what its answers mean (no default: a client
    that did not know its platform's throttles would take them for final errors)."""

    def __init__(
        self,
        connection_id: str,
        base_url: str,
        token: str,
        *,
        policy: ApiPolicy,
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
        self._scoped: dict[str, str] = {}  # node -> the token its requests carry instead
        self.timeout = timeout
        self.retry = retry
        self.policy = policy
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
        self.usage: dict[str, float] = {}  # latest usage readings (policy.usage), percent
        self.last_headers: Mapping[str, str] = {}  # of the latest answer (case-insensitive)
        # told (URL path, body) of every successful answer: what a platform charges per
        # resource returned is counted there (`x_budget.ReadBudget.meter`)
        self.on_answer: Callable[[str, dict], None] | None = None
        # told (URL path, query) before each request is sent, each attempt: what an answer
        # may cost is reserved there first (`x_budget.ReadBudget.hold`), which may refuse it
        self.before_request: Callable[[str, Mapping[str, Any]], None] | None = None
        self._server_date: tuple[datetime, float] | None = None
        self._pace_lock = threading.Lock()
        self._answered: dict[str, float] = {}  # URL path: when it was last answered (`_pace`)

    def __repr__(self) -> str:
        return f"ApiClient({self.connection_id!r}, {self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    # --- one request ----------------------------------------------------------------------

    def url(self, path: str) -> str:
        """The URL for `path` (relative to the API version) or for an absolute link the API
        handed back; anything that would leave the connection's host is refused."""
        with self._redacting():
            return self._url(path)

    def _url(self, path: str) -> str:
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
                f"{self.connection_id}: refused the path {self._redact(route)[:80]!r}: "
                "a path segment built from API data must be a plain id"
            )
        prefix = f"{self.base_url}/{self.api_version}" if self.api_version else self.base_url
        return f"{prefix}/{'/'.join(segments)}{mark}{query}"

    def server_now(self, *, fresh: bool = False) -> datetime:
        """The API server's clock (its `Date` header, plus the time since), read with a HEAD
        request to the connection's host when no answer has come yet (or when `fresh`); the
        local clock when the server sends no date. Time windows the API enforces (a search
        over the last 7 days) are measured on its clock, not ours."""
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
        return self._server_clock()

    def answered_at(self) -> datetime:
        """The moment of the latest answer on the API's clock: its `Date` header (the local
        clock when no answer has carried one). What an answer says of the present (a Page's
        counts) is as of that moment, not of our run: a snapshot is dated by it."""
        if self._server_date is None:
            return datetime.now(UTC)
        return self._server_date[0]

    def _server_clock(self) -> datetime:
        """The server's clock as the answers so far tell it, without asking (the local clock
        when no answer has carried a `Date`)."""
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
        except (TypeError, ValueError, OverflowError):  # an offset or year no clock has
            return
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        self._server_date = (moment, time.monotonic())

    @contextmanager
    def _redacting(self) -> Iterator[None]:
        """Every error the client raises leaves with its message redacted whole: whatever
        URL, header or body went into it, the token does not (code that cuts a message
        redacts it before the cut, so that no part of a token is left)."""
        try:
            yield
        except ApiError as error:
            error.args = tuple(self._redact(a) if isinstance(a, str) else a for a in error.args)
            raise

    def scope_token(self, node: str, token: str) -> None:
        """Send the requests about `node` with `token` instead of the connection's: those
        whose path (after the API version) starts with `node`, alone or as the prefix of a
        composite id `node_...` (Graph: a Page's own token for the Page, its posts and their
        edges). The token is kept and redacted like the connection's."""
        with self._lock:
            self._scoped[node] = token

    def _token_for(self, url: str) -> str | None:
        """The scoped token a request to `url` carries (None: the connection's)."""
        if not self._scoped:
            return None
        segments = [s for s in urlsplit(url).path.split("/") if s]
        rest = segments[len([s for s in urlsplit(self.base_url).path.split("/") if s]) :]
        if self.api_version and rest[:1] == [self.api_version]:
            rest = rest[1:]
        return self._scoped.get(rest[0].split("_", 1)[0]) if rest else None

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> dict:
        with self._redacting():
            return self._request_json("GET", path, params)

    def post_form(
        self, path: str, form: dict[str, str], *, scope: str | None = None
    ) -> list | dict:
        """POST `form` (url-encoded) and return the JSON answer, an object or an array (a
        Graph batch answers an array). Retried like a GET: only for requests that change
        nothing (a batch of reads). With `scope`, it carries the token given to
        `scope_token` for that node (the connection's when none was): a Graph batch about
        one Page's objects is sent with that Page's token."""
        with self._redacting():
            return self._request_json("POST", path, None, form, scope)

    def _request_json(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        form: dict[str, str] | None = None,
        scope: str | None = None,
    ) -> Any:
        url, params = _strip_token(self.url(path), dict(params or {}))
        where = self._redact(urlsplit(url).path)
        scoped = self._scoped.get(scope) if scope is not None else self._token_for(url)
        headers = {"Authorization": f"Bearer {scoped}"} if scoped else None
        rate_limit_waits = 0
        for attempt in range(1, self.retry.max_attempts + 1):
            self._pace(urlsplit(url).path)
            if self.before_request is not None:
                self.before_request(urlsplit(url).path, params)
            with self._lock:
                self.calls += 1
            try:
                # redirects are not followed: the token would go where the answer points
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=form,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                failure: str | None = f"{type(exc).__name__}: {self._redact(str(exc))}"
                timed_out = isinstance(exc, requests.Timeout)
            else:
                failure = None
            self._paced(urlsplit(url).path)
            if failure is not None:  # outside the handler: the error raised has no unredacted cause
                self._backoff(attempt, where, failure, timed_out)
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
            body, problem = _decode(response, arrays=form is not None)
            usage = self._read_usage(response)
            if response.status_code == 200:
                refused = self._refusal(body, where)
                if self.on_answer is not None and refused is None:
                    # what the platform served is charged, read or not (a body cut short
                    # is metered as an empty one: what is charged per request still counts)
                    self.on_answer(urlsplit(url).path, body if problem is None else {})
                if refused is not None:
                    raise refused
                if problem is None:
                    return body
            body = body if isinstance(body, dict) else {}
            rate_wait = self._rate_limit_wait(response, body, rate_limit_waits, usage.regain)
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

    def _pace(self, path: str) -> None:
        """Wait until the policy's spacing for `path` has passed since its last answer (at
        most the retry policy's `rate_limit_cap`, as any wait for a limit). Counted from the
        answer, not the request: the API counts from when the request reached it, which is
        before the answer and after our sending."""
        gap = self.policy.spacing(path)
        if gap <= 0:
            return
        with self._pace_lock:
            last = self._answered.get(path)
            wait = 0.0 if last is None else last + gap - time.monotonic()
        if wait > 0:
            self.sleep(min(wait, self.retry.rate_limit_cap))

    def _paced(self, path: str) -> None:
        """Note that `path` was answered now (`_pace`)."""
        if self.policy.spacing(path) > 0:
            with self._pace_lock:
                self._answered[path] = time.monotonic()

    def _refusal(self, body: Any, where: str) -> ApiError | None:
        if not isinstance(body, dict):
            return None
        detail = self.policy.error_detail(body)
        error = self.policy.refusal(
            Answer(self.connection_id, where, 200, body, detail, self._redact)
        )
        if error is not None:
            error.detail = detail
        return error

    def _raise_if_final(self, status: int, body: dict, where: str) -> None:
        detail = self.policy.error_detail(body)
        answer = Answer(self.connection_id, where, status, body, detail, self._redact)
        error = self.policy.final_error(answer)
        if error is not None:
            error.detail = self.redacted(detail)
            raise error

    def _rate_limit_wait(
        self, response: requests.Response, body: dict, waits: int, regain: float | None
    ) -> float | None:
        if not self.policy.is_rate_limited(response.status_code, body):
            return None
        now = self._server_clock()
        retry_after = _retry_after(response.headers.get("retry-after"), now)
        if retry_after is not None:
            wait = retry_after
        elif (reset := self.policy.reset_wait(response.headers, now.timestamp())) is not None:
            wait = reset
        elif regain:
            wait = regain
        else:
            wait = self.retry.rate_limit_wait * (2**waits)
        return min(wait, self.retry.rate_limit_cap)

    def _read_usage(self, response: requests.Response) -> Usage:
        """Note the policy's usage readings; after a success whose usage is near a limit,
        pause before the next call, longer the nearer the limit."""
        usage = self.policy.usage(response.headers)
        if not usage.readings:
            return usage
        self.usage = dict(usage.readings)
        if response.status_code == 200 and usage.pace is not None:
            pause = max(usage.regain or 0.0, usage.pace * self.retry.rate_limit_wait)
            pause = min(pause, self.retry.rate_limit_cap)
            if pause > 0:
                log.warning(
                    "%s: usage at %.0f%% of the API's limit; pausing %.1fs before the next call",
                    self.connection_id,
                    max(self.usage.values()),
                    pause,
                )
                self.waits.append(("usage near limit", pause))
                self.sleep(pause)
        return usage

    def _backoff(self, attempt: int, where: str, problem: str, timed_out: bool = False) -> None:
        if attempt >= self.retry.max_attempts:
            error = ApiError(
                f"{self.connection_id}: {where} failed {attempt} times, last: {problem}; "
                "retry the task later"
            )
            error.timed_out = timed_out
            raise error
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
        return (self._token, *self._scoped.values())

    def _redact(self, text: str) -> str:
        return redact(text, *self.secrets_to_redact())

    def redacted(self, detail: ErrorDetail) -> ErrorDetail:
        """The platform's error with its message redacted: an API may echo the token it was
        sent (Graph: `Malformed access token <the token>`), and `error_message` is shown in
        logs, failures and tables."""
        return replace(detail, message=self._redact(detail.message))

    # --- pagination -----------------------------------------------------------------------

    def graph_pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Page]:
        """Follow `paging.next` until it is missing; refuse a cursor seen before."""
        with self._redacting():
            yield from self._graph_pages(path, params)

    def _graph_pages(self, path: str, params: dict[str, Any] | None) -> Iterator[Page]:
        url: str | None = path
        query: dict[str, Any] | None = dict(params or {})
        seen: set[str] = set()
        number = 0
        while url:
            body = self.get_json(url, query)
            number += 1
            items = body.get("data") or []
            yield Page(items, body, number)
            paging = self._paging_part(body, "paging", path, number)
            cursors = self._paging_part(paging, "cursors", path, number)
            url, query = self._paging_text(paging, "next", path, number), None
            after = self._paging_text(cursors, "after", path, number) or url
            if url and after in seen:
                raise PaginationLoopError(
                    f"{self.connection_id}: {urlsplit(self.url(path)).path} returned cursor "
                    f"{after!r} twice (page {number}); stopping instead of looping"
                )
            if after:
                seen.add(after)

    def token_pages(self, path: str, params: dict[str, Any], token_param: str) -> Iterator[Page]:
        """X-style paging: `meta.next_token` is sent back as `token_param` until it is missing."""
        with self._redacting():
            yield from self._token_pages(path, params, token_param)

    def _token_pages(self, path: str, params: dict[str, Any], token_param: str) -> Iterator[Page]:
        query = dict(params)
        seen: set[str] = set()
        number = 0
        while True:
            body = self.get_json(path, query)
            number += 1
            yield Page(body.get("data") or [], body, number)
            meta = self._paging_part(body, "meta", path, number)
            token = self._paging_text(meta, "next_token", path, number)
            if not token:
                return
            if token in seen:
                raise PaginationLoopError(
                    f"{self.connection_id}: {path} returned next_token {token!r} twice "
                    f"(page {number}); stopping instead of looping"
                )
            seen.add(token)
            query[token_param] = token

    def _paging_part(self, holder: dict, key: str, path: str, number: int) -> dict:
        """The object under `key` of an answer ({} when none); anything else is refused."""
        value = holder.get(key) or {}
        if not isinstance(value, dict):
            raise self._bad_paging(key, value, path, number)
        return value

    def _paging_text(self, holder: dict, key: str, path: str, number: int) -> str | None:
        """The link, cursor or token under `key` (None when none: the walk ends); anything
        but text is refused, rather than sent back or failing on its type."""
        value = holder.get(key) or None
        if value is not None and not isinstance(value, str):
            raise self._bad_paging(key, value, path, number)
        return value

    def _bad_paging(self, key: str, value: Any, path: str, number: int) -> ApiError:
        return ApiError(
            f"{self.connection_id}: {urlsplit(path).path} answered '{key}' as a JSON "
            f"{type(value).__name__}, which the API does not send (page {number}); stopping"
        )


def _strip_token(url: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Drop access_token from a URL's query and from params (the header carries the token)."""
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"
    ]
    params.pop("access_token", None)
    return urlunsplit(parts._replace(query=urlencode(query))), params


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait for a `Retry-After` (RFC 9110 section 10.2.3): delay-seconds, or an
    HTTP-date measured on the server's clock `now` (None: absent or neither)."""
    value = (value or "").strip()
    if not value or not value.isascii():  # int() and the date parser take other digits too
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


class HugeInteger(str):
    """A JSON integer of more digits than Python converts (`sys.get_int_max_str_digits()`,
    4,300 by default), kept as its digits: valid JSON, so the answer is read, and the item
    holding it is quarantined (`records.unstorable`) instead of the whole page refused."""


def json_integer(digits: str) -> int | HugeInteger:
    """`parse_int` of an answer (or a webhook delivery): an int, or a HugeInteger past
    Python's digit limit."""
    if len(digits.lstrip("-")) > sys.get_int_max_str_digits() > 0:
        return HugeInteger(digits)
    return int(digits)


def _decode(response: requests.Response, arrays: bool = False) -> tuple[Any, str | None]:
    """The JSON object of an answer (or, with `arrays`, an array too), or what is wrong."""
    try:
        body = response.json(parse_int=json_integer)
    except ValueError:
        return (
            {},
            f"HTTP {response.status_code} with a body that is not valid JSON "
            f"({len(response.content)} bytes, truncated?)",
        )
    if arrays and isinstance(body, list):
        return body, None
    if not isinstance(body, dict):
        return {}, f"HTTP {response.status_code} with a JSON {type(body).__name__}, not an object"
    return body, None
