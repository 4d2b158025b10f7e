"""`social-crm check-connections`: with the configured tokens, call each endpoint the
extractors use once and say what the token can read: the pages and their fields, each Page
Insights metric, the X endpoints of the access model with their request limits, the Posts read
this month against the cap and, for pay-per-use, the month's spend and the spend projected at
the current hourly rate (docs/x-costs.md). The first thing to run with real tokens; nothing is
landed (the probes are a few requests: on pay-per-use they cost a few cents).

The connections are those the DAGs read (`credentials.resolve`: Airflow's secrets backend,
`AIRFLOW_CONN_<ID>`, the metadata database, then `<ID>_URL`/`<ID>_TOKEN`); each one's first
line says where it was found and whether its host answers. A check fails fast: one request to
the host with a connect timeout of `CONNECT_TIMEOUT` seconds before any probe (a host that
does not answer is one line, and its probes are not sent), and the probes are tried at most
twice with short waits (`CHECK_RETRY`), whatever the connection's extras give the extraction.
Failures of a connection with the same cause are one line naming each check (`grouped`).
"""

from __future__ import annotations

import contextvars
import logging
import socket
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from social_crm import settings
from social_crm.extract import credentials, graph_metrics
from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import (
    ApiAccessError,
    ApiAuthError,
    ApiClient,
    ApiError,
    RetryPolicy,
    UsageCapExceeded,
)
from social_crm.extract.instagram import HASHTAG_LIMIT, HASHTAG_WINDOW
from social_crm.extract.x_budget import ReadBudget, month_spend
from social_crm.orchestration import extraction
from social_crm.receive import config as receiver
from social_crm.receive.changes import FIELDS
from social_crm.redact import redact

if TYPE_CHECKING:
    from social_crm.extract.x import XExtractor

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3.0  # seconds to open a connection to an API's host, for a check
READ_TIMEOUT = 5.0  # seconds to wait for an answer once connected, for a check
# a check reports what the API answers now: one more try after a transient failure, a rate
# limit waited out for a few seconds at most, never the extraction's minutes of backoff
CHECK_RETRY = RetryPolicy(
    max_attempts=2, backoff_base=0.5, backoff_cap=1.0, rate_limit_wait=2.0, rate_limit_cap=3.0
)
GROUP_NAMES_SHOWN = 3  # the checks named on a grouped failure's line; the rest are counted


@dataclass(frozen=True)
class Finding:
    connection: str
    what: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"[{'ok' if self.ok else 'FAIL'}] {self.connection}: {self.what}: {self.detail}"


def grouped(findings: Iterable[Finding]) -> list[Finding]:
    """One line per cause: the failures of a connection with the same detail become one
    finding, where the first of them was, naming the checks (the first `GROUP_NAMES_SHOWN`,
    and how many more); every other finding is kept as it is, in its order."""
    out: list[Finding] = []
    whats: dict[tuple[str, str], list[str]] = {}
    at: dict[tuple[str, str], int] = {}
    for finding in findings:
        key = (finding.connection, finding.detail)
        if finding.ok:
            out.append(finding)
        elif key in at:
            whats[key].append(finding.what)
        else:
            at[key], whats[key] = len(out), [finding.what]
            out.append(finding)
    for key, index in at.items():
        names = whats[key]
        if len(names) > 1:
            shown = ", ".join(names[:GROUP_NAMES_SHOWN])
            more = len(names) - GROUP_NAMES_SHOWN
            what = f"{len(names)} checks ({shown}{f', and {more} more' if more > 0 else ''})"
            out[index] = replace(out[index], what=what)
    return out


def unreachable(client: ApiClient) -> str | None:
    """None when the connection's host answers an HTTP request (any status), asked with a
    connect timeout of `CONNECT_TIMEOUT`; else what is wrong and what to do, in a sentence."""
    parts = urlsplit(client.base_url)
    host = parts.hostname or ""
    where = f"{host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    fix = "check the connection's host"
    try:
        client.session.head(
            client.base_url, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), allow_redirects=False
        )
    except requests.ConnectTimeout:
        return (
            f"{where} did not answer within {CONNECT_TIMEOUT:.0f} s (the host is down or a "
            f"firewall drops the packets): {fix}, and the network path (proxy: HTTPS_PROXY)"
        )
    except requests.ReadTimeout:
        return f"{where} accepted the connection but sent no answer within {READ_TIMEOUT:.0f} s"
    except requests.exceptions.SSLError:
        return (
            f"the TLS handshake with {where} failed (certificate not trusted?): {fix}, or "
            "set REQUESTS_CA_BUNDLE to the CA bundle that signs it"
        )
    except requests.RequestException as exc:
        causes = _causes(exc)
        if any(
            isinstance(c, socket.gaierror) or "NameResolution" in type(c).__name__ for c in causes
        ):
            return f"the name {host!r} does not resolve (DNS): {fix}"
        if any(isinstance(c, ConnectionRefusedError) for c in causes):
            local = host in ("127.0.0.1", "localhost", "::1")
            hint = " (the demo's simulator runs only during `make demo` and `make airflow`)"
            return f"nothing listens at {where} (connection refused): {fix}, or start the API" + (
                hint if local else ""
            )
        return f"{where} could not be reached ({type(exc).__name__}): {fix}"
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what it wraps (requests wraps urllib3's error, which wraps the socket's)."""
    seen: list[BaseException] = []
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [getattr(item, "reason", None), item.__cause__, item.__context__, *item.args]
    return seen


def _for_a_check(client: ApiClient) -> ApiClient:
    """The client with a check's timeouts and retries (never longer than its own)."""
    client.timeout = (
        min(client.timeout[0], CONNECT_TIMEOUT),
        min(client.timeout[1], READ_TIMEOUT),
    )
    client.retry = CHECK_RETRY
    return client


def _connection(client: ApiClient, creds: credentials.ApiCredentials) -> Finding:
    """The connection's first line: its host, where it was found, whether the host answers."""
    where = f"{client.base_url}, from {creds.source}"
    problem = unreachable(client)
    return Finding(
        creds.connection_id,
        "connection",
        problem is None,
        where if problem is None else f"{where}: {problem}",
    )


def token_fix(creds: credentials.ApiCredentials) -> str:
    """What to do about a refused token, by where the connection was found."""
    name, source = creds.connection_id, creds.source
    if source.startswith("Airflow's metadata database"):
        where = f"the password of connection '{name}' (Airflow UI: Admin > Connections)"
    elif source.startswith("environment variables "):
        where = f"{name.upper()}_TOKEN"
    elif source.startswith("environment variable "):
        where = f"the password in {source.removeprefix('environment variable ')}"
    else:
        where = f"the password of connection '{name}' in {source}"
    return f"put a valid token in {where}, then run `social-crm check-connections` again"


# the connections whose host stopped answering during this check: their later probes are not
# run (each would wait out its timeouts again; a verdict comes in seconds). One set per check
# (`run` makes it and hands it to the threads it starts), so two checks at once, in one
# process, never skip each other's probes.
_STALLED: contextvars.ContextVar[set[str]] = contextvars.ContextVar("stalled_connections")
_STALLED_LINE = f"the host accepted the request but sent no answer within {READ_TIMEOUT:.0f} s"


def _probe(connection: str, what: str, call: Callable[[], str], fix: str | None = None) -> Finding:
    stalled = _STALLED.get(None)
    if stalled is None:  # a check called on its own, not by `run`
        stalled = set()
        _STALLED.set(stalled)
    if connection in stalled:
        return Finding(connection, what, False, f"not run: {_STALLED_LINE}")
    try:
        return Finding(connection, what, True, call())
    except ApiAuthError as exc:
        if fix is None:
            return Finding(connection, what, False, f"credentials refused: {exc}")
        return Finding(connection, what, False, f"the token was refused ({exc.reason}): {fix}")
    except (ApiAccessError, UsageCapExceeded) as exc:
        return Finding(connection, what, False, str(exc))
    except ApiError as exc:
        if exc.timed_out:
            stalled.add(connection)
            return Finding(connection, what, False, _STALLED_LINE)
        reason = exc.error_message or str(exc)
        return Finding(connection, what, False, reason[:300])


def check_facebook() -> Iterator[Finding]:
    creds = credentials.resolve(credentials.FACEBOOK)
    extractor = extraction.facebook()
    client, name = _for_a_check(extractor.client), extractor.client.connection_id
    fix = token_fix(creds)
    try:
        opened = _connection(client, creds)
        yield opened
        if not opened.ok:
            return
        access = None

        def pages() -> str:
            nonlocal access
            access = extractor.page_access()  # each own Page's token from /me/accounts
            return (
                f"manages {len(access.own)} of our Page(s); rivals read as public content: "
                f"{len(access.rivals)}"
            )

        yield _probe(name, "Page tokens (/me/accounts)", pages, fix)
        if access is None:
            return
        for page_id, why in sorted(access.failed.items()):
            yield Finding(name, f"page {page_id}", False, why)
        for page_id in extractor.settings.page_ids:
            if page_id in access.failed:
                continue

            def page(page_id: str = page_id) -> str:
                body = client.get_json(page_id, {"fields": "id,name,followers_count,fan_count"})
                return (
                    f"{body.get('name')!r}: {body.get('followers_count', '?')} followers, "
                    f"{body.get('fan_count', '?')} likes"
                )

            yield _probe(name, f"page {page_id}", page, fix)
            if page_id in access.rivals:  # a rival's insights need its own Page token
                continue
            for metric in graph_metrics.to_request(client.server_now().date(), set()):

                def insight(page_id: str = page_id, metric: str = metric) -> str:
                    since = (client.server_now() - timedelta(days=2)).strftime("%Y-%m-%d")
                    body = client.get_json(
                        f"{page_id}/insights", {"metric": metric, "period": "day", "since": since}
                    )
                    values = [v for m in body.get("data") or [] for v in m.get("values") or []]
                    return f"{len(values)} daily values"

                yield _probe(name, f"page {page_id} insight {metric}", insight, fix)

            def engaged(page_id: str = page_id) -> str:
                body = client.get_json(
                    f"{page_id}/posts", {"limit": 1, "fields": "id,created_time,from"}
                )
                return f"posts readable ({len(body.get('data') or [])} on the first page)"

            yield _probe(name, f"page {page_id} posts", engaged, fix)
        usage = max(client.usage.values(), default=0.0)
        yield Finding(name, "usage", True, f"{usage:.0f}% of the rate limit used")
    finally:
        client.close()


def check_instagram() -> Iterator[Finding]:
    """Our Instagram accounts: the Page linking each (its token from /me/accounts), the
    account read with it, and one read per permission the extraction needs (comments,
    insights); the hashtag queries of the last 7 days against the limit of 30 (counted in the
    warehouse: a probe query would spend one of the 30)."""

    creds = credentials.resolve(credentials.INSTAGRAM)
    extractor = extraction.instagram()
    client, name = _for_a_check(extractor.client), extractor.client.connection_id
    fix = token_fix(creds)
    try:
        opened = _connection(client, creds)
        yield opened
        if not opened.ok:
            return
        access = None

        def linked() -> str:
            nonlocal access
            access = extractor.access()
            return (
                f"Pages link {len(access.own)} of our {len(extractor.settings.own)} Instagram "
                "account(s)"
            )

        yield _probe(name, "Page tokens (/me/accounts, instagram_business_account)", linked, fix)
        if access is None:
            return
        for ig, why in sorted(access.failed.items()):
            yield Finding(name, f"instagram account {ig}", False, why)
        since = client.server_now() - timedelta(days=2)
        for account in extractor.settings.own:
            if account.user_id not in access.own:
                continue
            ig = account.user_id

            def read(ig: str = ig) -> str:
                with extractor.requires("accounts"):
                    body = client.get_json(ig, {"fields": "id,username,followers_count"})
                return f"@{body.get('username')}: {body.get('followers_count', '?')} followers"

            yield _probe(name, f"instagram account {ig}", read, fix)

            def comments(ig: str = ig) -> str:
                with extractor.requires("comments"):
                    media = client.get_json(f"{ig}/media", {"fields": "id", "limit": 1})
                    items = media.get("data") or []
                    if not items:
                        return "no media to read comments of yet"
                    client.get_json(f"{items[0]['id']}/comments", {"fields": "id", "limit": 1})
                return "comments readable (instagram_manage_comments granted)"

            yield _probe(name, f"instagram account {ig} comments", comments, fix)

            def insights(ig: str = ig) -> str:
                with extractor.requires("insights"):
                    body = client.get_json(
                        f"{ig}/insights",
                        {
                            "metric": "reach",
                            "period": "day",
                            "metric_type": "total_value",
                            "since": int(since.timestamp()),
                            "until": int((since + timedelta(days=1)).timestamp()),
                        },
                    )
                return f"insights readable ({len(body.get('data') or [])} metric(s) answered)"

            yield _probe(name, f"instagram account {ig} insights", insights, fix)

            def hashtags(ig: str = ig) -> str:
                try:
                    with extractor.connect() as conn:
                        row = conn.execute(
                            "select count(distinct hashtag) from meta.instagram_hashtag_queries"
                            " where ig_user_id = %s and queried_at > %s",
                            (ig, client.server_now() - HASHTAG_WINDOW),
                        ).fetchone()
                        used = row[0] if row else 0
                except Exception as exc:
                    return f"unknown (warehouse: {type(exc).__name__})"
                wanted = len(extractor.settings.hashtags)
                return (
                    f"{used} of {HASHTAG_LIMIT} unique hashtags queried in the last 7 days; "
                    f"{wanted} configured"
                )

            yield Finding(name, f"instagram account {ig} hashtags", True, hashtags())
        usage = max(client.usage.values(), default=0.0)
        yield Finding(name, "usage", True, f"{usage:.0f}% of the rate limit used")
    finally:
        client.close()


def check_x() -> Iterator[Finding]:
    creds = credentials.resolve(credentials.X)
    extractor = extraction.x()
    client, name, wanted = extractor.client, extractor.client.connection_id, extractor.settings
    _for_a_check(client)
    fix = token_fix(creds)
    try:
        opened = _connection(client, creds)
        yield opened
        if not opened.ok:
            return
        now = client.server_now()
        _meter(extractor, now)  # pay-per-use: the probes cost money too, and are counted
        path = "tweets/search/all" if wanted.full_archive else "tweets/search/recent"
        handle = wanted.brand_handles[0] if wanted.brand_handles else "x"

        def search() -> str:
            body = client.get_json(
                path,
                {
                    "query": f"from:{handle}",
                    "max_results": 10,
                    "start_time": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
            )
            found = (body.get("meta") or {}).get("result_count", 0)
            return f"{found} Posts in the last hour; {_limits(client)}"

        yield _probe(name, f"{path} (access {wanted.tier})", search, fix)

        def lookup() -> str:
            client.get_json("tweets", {"ids": "20"})
            return f"tweet lookup allowed; {_limits(client)}"

        yield _probe(name, "tweets lookup (deletion checks)", lookup, fix)
        counts = "tweets/counts/all" if wanted.full_archive else "tweets/counts/recent"

        def count() -> str:
            body = client.get_json(counts, {"query": f"from:{handle}", "granularity": "day"})
            total = (body.get("meta") or {}).get("total_tweet_count", 0)
            days = 30 if wanted.full_archive else 7
            return f"{total} Posts counted in {days} days; {_limits(client)}"

        yield _probe(name, f"{counts} (proves search walks complete)", count, fix)
        if wanted.follower_walks != "off" and wanted.brand_user_ids:

            def followers() -> str:
                client.get_json(f"users/{wanted.brand_user_ids[0]}/followers", {"max_results": 1})
                return f"follower lists allowed; {_limits(client)}"

            yield _probe(name, "followers", followers, fix)
        if wanted.tier == "pay_per_use":

            def usage() -> str:
                body = client.get_json("usage/tweets", {"days": 30})
                consumed, cap = usage_summary(body)
                return f"{consumed:,} Posts consumed in 30 days by X's count; project cap {cap}"

            yield _probe(name, "usage/tweets (X's own count)", usage, fix)
        yield Finding(name, "monthly reads", True, _reads(extractor, now))
        if wanted.tier == "pay_per_use":
            yield Finding(name, "monthly spend", True, _spend(extractor, now))
    finally:
        client.close()


def usage_summary(body: dict) -> tuple[int, str]:
    """(Posts consumed, the project's cap) from a `GET /2/usage/tweets` answer, in either of the
    shapes X documents: the OpenAPI `Usage` (`daily_project_usage.usage[].usage`, strings) or
    the docs page's example (`daily_project_usage[].usage[].tweets_consumed`, numbers)."""
    raw = body.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    daily = data.get("daily_project_usage")
    entries: list[Any]
    if isinstance(daily, dict):
        entries = [(e or {}).get("usage") for e in daily.get("usage") or []]
    elif isinstance(daily, list):
        entries = [
            u.get("tweets_consumed")
            for d in daily
            if isinstance(d, dict)
            for u in d.get("usage") or []
            if isinstance(u, dict)
        ]
    else:
        entries = []
    consumed = sum(int(str(e)) for e in entries if str(e).isascii() and str(e).isdigit())
    return consumed, str(data.get("project_cap", "unknown"))


def _limits(client: ApiClient) -> str:
    headers = client.last_headers
    if "x-rate-limit-limit" not in headers:
        return "no rate-limit headers"
    return (
        f"{headers.get('x-rate-limit-remaining')} of {headers['x-rate-limit-limit']} "
        "requests left in this window"
    )


def _reads(extractor: XExtractor, now: datetime) -> str:
    try:
        budget = ReadBudget(extractor, now)
    except Exception as exc:
        return f"unknown (warehouse: {type(exc).__name__}); cap {extractor.settings.read_cap:,}"
    return f"{budget.used:,} of {budget.cap:,} Posts read in {budget.month:%Y-%m}"


def _meter(extractor: XExtractor, now: datetime) -> None:
    """Count what the probes cost (`ReadBudget.meter`), when the warehouse is there."""
    try:
        ReadBudget(extractor, now)
    except Exception as exc:
        log.warning("the X probes' cost is not counted (warehouse: %s)", type(exc).__name__)


def _spend(extractor: XExtractor, now: datetime) -> str:
    """The access model, the month's X spend and its projection at the current hourly rate."""
    wanted = extractor.settings
    budget = wanted.monthly_budget_usd
    of = f" of the ${budget:,.2f} monthly budget" if budget else " (no monthly budget set)"
    try:
        with extractor.connect() as conn:
            spend = month_spend(conn, extractor.client.connection_id, now)
    except Exception as exc:
        return f"access {wanted.tier}; spend unknown (warehouse: {type(exc).__name__})"
    return (
        f"access {wanted.tier}: ${spend.spent_usd:,.2f} spent in {spend.month:%Y-%m}{of};"
        f" ${spend.usd_per_hour:,.2f} an hour lately, ${spend.projected_usd:,.2f} projected"
        " for the month at that rate"
    )


def check_webhooks() -> Iterator[Finding]:
    """Whether the Meta app's webhooks are subscribed where our receiver listens:
    `GET /{app-id}/subscriptions` with the app token (`<app id>|<app secret>`, the documented
    form) must list `instagram` (comments, mentions) and `page` (feed), active, at
    META_WEBHOOK_CALLBACK_URL (docs/webhooks.md). Skipped when no META_APP_ID is set."""
    name = receiver.CONNECTION
    loaded = settings.load()
    if not loaded.meta_app_id:
        yield Finding(name, "subscriptions", True, "META_APP_ID not set: not checked")
        return
    secret = receiver.resolve().app_secret
    graph = credentials.resolve(credentials.FACEBOOK)
    client = ApiClient(
        name,
        graph.base_url,
        f"{loaded.meta_app_id}|{secret}",
        policy=GraphPolicy(),
        api_version=extraction.GRAPH_API_VERSION,
        timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
        retry=CHECK_RETRY,
    )
    ours = loaded.meta_webhook_callback_url
    try:
        problem = unreachable(client)
        if problem is not None:
            yield Finding(name, "subscriptions (app token)", False, f"{graph.base_url}: {problem}")
            return
        found: dict[str, dict] = {}

        def listed() -> str:
            body = client.get_json(f"{loaded.meta_app_id}/subscriptions")
            for sub in body.get("data") or []:
                if isinstance(sub, dict):
                    found[str(sub.get("object"))] = sub
            return f"{len(found)} object(s) subscribed: {', '.join(sorted(found)) or 'none'}"

        first = _probe(name, "subscriptions (app token)", listed)
        yield first
        if not first.ok:
            return
        for obj, fields in FIELDS.items():
            sub = found.get(obj)
            if sub is None:
                yield Finding(name, obj, False, f"not subscribed: subscribe {', '.join(fields)}")
                continue
            have = {f.get("name") for f in sub.get("fields") or [] if isinstance(f, dict)}
            missing = [f for f in fields if f not in have]
            problems = []
            if missing:
                problems.append(f"fields {', '.join(missing)} not subscribed")
            if sub.get("active") is not True:
                problems.append("subscription not active")
            if ours and sub.get("callback_url") != ours:
                problems.append(f"callback URL is {sub.get('callback_url')!r}, ours is {ours!r}")
            detail = "; ".join(problems) or (
                f"{', '.join(fields)} at {sub.get('callback_url')}"
                + ("" if ours else " (set META_WEBHOOK_CALLBACK_URL to compare)")
            )
            yield Finding(name, obj, not problems, detail)
    finally:
        client.close()


def run() -> list[Finding]:
    """Every connection's findings, one line per cause (`grouped`). The connections are
    checked at the same time (a host that does not answer costs its connect timeout once,
    not once per connection); their lines come in this order."""
    _STALLED.set(set())
    checks = [(credentials.FACEBOOK, check_facebook), (credentials.X, check_x)]
    if credentials.is_configured(credentials.INSTAGRAM):  # a brand without Instagram: no line
        checks.insert(1, (credentials.INSTAGRAM, check_instagram))
    checks.append((receiver.CONNECTION, check_webhooks))
    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        running = [
            pool.submit(contextvars.copy_context().run, _findings, name, check)
            for name, check in checks
        ]
        found = [f for done in running for f in done.result()]
    # what reaches the terminal passes the one redaction rule (a password in a host's URL)
    return grouped(replace(f, detail=redact(f.detail)) for f in found)


def _findings(name: str, check: Callable[[], Iterator[Finding]]) -> list[Finding]:
    """A check's findings; an error that stops it is its last line."""
    found: list[Finding] = []
    try:
        found.extend(check())
    except Exception as exc:
        found.append(Finding(name, "connection" if not found else "check", False, str(exc)))
    return found
