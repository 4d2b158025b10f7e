"""The simulator's HTTP server: Graph API under `/vNN.N/`, X API v2 under `/2/`, admin under
`/_admin/` (faults, clock), `/healthz`. Listens on 127.0.0.1 unless told another interface
(compose's demo: every interface of its container, reached as `public_url`).

Tokens: Graph wants `access_token` (query) or `Authorization: Bearer`, X wants
`Authorization: Bearer`. Wrong tokens answer in each API's own error format.

Graph batch requests: `POST /vNN.N/` with `batch` (a JSON array of at most 50 requests) in the
query or the form body; each request is served (and counted, and meets faults) as a call of its
own (the batch itself is no call), and answers `{code, headers, body}` (body a JSON string;
headers left out with `include_headers=false`), or `null` where it failed on the server (the
documented answer of a request that timed out); one failing request does not fail the others
(developers.facebook.com/docs/graph-api/batch-requests).

Every answer's `Date` header is the world's clock: the APIs' time windows (X recent search: 7
days) are measured on the server's clock, and clients read it there. Graph throttling answers
HTTP 400 or 403 (both happen) with codes 4, 17, 32, 613 and the usage headers
(developers.facebook.com/docs/graph-api/overview/rate-limiting).
"""

from __future__ import annotations

import email.utils
import hmac
import json
import logging
import re
import threading
import time
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from social_crm_dev.settings import DEFAULT_FB_TOKEN, DEFAULT_X_TOKEN, DEFAULT_X_USER_TOKEN
from social_crm_dev.simulator import instagram_api, webhooks
from social_crm_dev.simulator.config import BRANDS, OUR_BRAND
from social_crm_dev.simulator.faults import Decision, FaultConfig, FaultInjector
from social_crm_dev.simulator.graph_api import REVOKED_TOKEN, GraphApi, Viewer, graph_error
from social_crm_dev.simulator.instagram_api import IG_PERMISSIONS, InstagramApi
from social_crm_dev.simulator.responses import ApiError, Response, to_datetime
from social_crm_dev.simulator.truth import crisis_row
from social_crm_dev.simulator.webhooks import APP_ID
from social_crm_dev.simulator.world import World
from social_crm_dev.simulator.x_api import (
    POST_ENDPOINTS,
    XApi,
    XProfile,
    endpoint_of,
    too_many_requests,
    unsupported_authentication,
    x_invalid,
)

log = logging.getLogger(__name__)

_VERSION = re.compile(r"^v\d+\.\d+$")
X_WINDOW_LIMIT = 450
GRAPH_REGAIN_MINUTES = 1  # estimated_time_to_regain_access on a throttled answer
GRAPH_BATCH_LIMIT = 50  # requests in one Graph batch


class SimulatorServer:
    def __init__(
        self,
        world: World,
        *,
        port: int = 0,
        fb_token: str = DEFAULT_FB_TOKEN,
        x_token: str = DEFAULT_X_TOKEN,
        x_user_token: str = DEFAULT_X_USER_TOKEN,
        faults: FaultConfig | None = None,
        x_profile: XProfile | None = None,
        graph_legacy_app: bool = False,
        host: str = "127.0.0.1",
        public_url: str | None = None,
    ) -> None:
        self.world = world
        # the base URL clients reach the server at: the Graph API's paging links start with it
        self._public_url = public_url.rstrip("/") if public_url else None
        self.x_profile = x_profile or XProfile()
        self.fb_token, self.x_token, self.x_user_token = fb_token, x_token, x_user_token
        self.faults = FaultInjector(faults)
        self.lock = threading.RLock()  # the world's caches are not thread-safe
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self.httpd.daemon_threads = True
        self.graph = GraphApi(world, self.url, "")
        # an app created before 2026-11-04 (the default: one created today; graph_api.py)
        self.graph.legacy_features = graph_legacy_app
        self.graph.user_token = fb_token
        self.instagram = InstagramApi(self.graph)
        self.x = XApi(world)
        self._apply_fault_flags()
        self._thread: threading.Thread | None = None
        # the API requests served, by endpoint (what a client's run costs in calls)
        self.requests: Counter[str] = Counter()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return self._public_url or f"http://127.0.0.1:{self.port}"

    def configure_faults(self, config: FaultConfig) -> None:
        self.faults.configure(config)
        self._apply_fault_flags()

    def _apply_fault_flags(self) -> None:
        for api in (getattr(self, "graph", None), getattr(self, "x", None)):
            if api is not None:
                api.duplicate_items = self.faults.config.duplicate_items
                api.schema_drift = self.faults.config.schema_drift
        self.graph.ranked_comments = self.faults.config.ranked_comments

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- dispatch -------------------------------------------------------------------------

    def dispatch(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[Response, Decision]:
        split = urlsplit(raw_path)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        parts = [p for p in split.path.split("/") if p]
        if parts[:1] == ["healthz"]:
            return Response(200, {"status": "ok"}), Decision()
        if method == "HEAD":
            return Response(404 if parts else 200, {}), Decision()
        if parts[:1] == ["_admin"]:
            return self._admin(method, parts[1:], body), Decision()
        if method == "GET" and len(parts) == 3 and parts[1:] == [APP_ID, "subscriptions"]:
            token = params.get("access_token") or _bearer(headers)
            return Response(*webhooks.app_of(self).answer(token)), Decision()
        graph_root = len(parts) == 1 and bool(_VERSION.match(parts[0]))
        if method == "POST" and graph_root:
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            params = {**params, **form}
        with self.lock:
            self.requests[_endpoint(parts, params, method)] += 1
        if method == "POST" and graph_root and "batch" in params:
            return self._graph_batch(parts[0], params, headers)
        if method != "GET":
            return Response(405, {"error": "only GET is served"}), Decision()
        # the request as fault draws know it: path and query, the token left out
        request = (
            split.path
            + "?"
            + urlencode(sorted(p for p in params.items() if p[0] != "access_token"))
        )
        if parts[:1] == ["2"]:
            return self._x(parts[1:], params, headers, request)
        if parts and _VERSION.match(parts[0]):
            return self._graph(parts[0], parts[1:], params, headers, request)
        return Response(404, {"error": f"no route {split.path}"}), Decision()

    def _graph_batch(
        self, version: str, params: dict[str, str], headers: dict[str, str]
    ) -> tuple[Response, Decision]:
        """A Graph batch: each request answered as if asked alone, in the order asked."""
        refused, _ = self._graph_viewer(params, headers)
        if refused is not None:
            return refused, Decision()
        try:
            batch = json.loads(params["batch"])
        except ValueError:
            batch = None
        if not isinstance(batch, list) or not all(isinstance(r, dict) for r in batch):
            return graph_error(
                "(#100) The parameter batch must be a JSON array of request objects", 100
            ).response, Decision()
        if len(batch) > GRAPH_BATCH_LIMIT:
            # the text Graph gives (reported: pastebin.com/5PVMMuhq); the code is our guess
            return graph_error(
                "Too many requests in batch message. Maximum batch size is 50",
                1,
                kind="GraphBatchException",
            ).response, Decision()
        # the batch itself is no call: each of its requests is one, and meets the faults alone
        with_headers = params.get("include_headers", "true") != "false"
        answers = [
            self._graph_batched(version, item, params["access_token"], with_headers)
            for item in batch
        ]
        response = Response(200, answers)
        response.headers.update(self._graph_usage(self.faults.config.graph_usage_percent, 0))
        return response, Decision()

    def _graph_batched(
        self, version: str, item: dict, token: str, with_headers: bool
    ) -> dict | None:
        """One request of a batch: `{code, headers, body}`, or None (failed on the server)."""
        method = str(item.get("method") or "GET").upper()
        relative = urlsplit(str(item.get("relative_url") or ""))
        parts = [p for p in relative.path.split("/") if p]
        if parts[:1] and _VERSION.match(parts[0]):
            version, parts = parts[0], parts[1:]
        params = dict(parse_qsl(relative.query, keep_blank_values=True))
        with self.lock:
            self.requests[_endpoint([version, *parts], params, method)] += 1
        if method != "GET":
            response = graph_error("(#3) The simulator serves reads (GET) only", 3).response
        else:
            # a request may carry its own token; the batch's is the fallback ("Using Multiple
            # Access Tokens", developers.facebook.com/docs/graph-api/batch-requests)
            own = sorted(p for p in params.items() if p[0] != "access_token")
            request = f"/{version}/{'/'.join(parts)}?" + urlencode(own)
            params.setdefault("access_token", token)
            response, decision = self._graph(version, parts, params, {}, request)
            if decision.server_error:
                return None  # what a request that timed out inside a batch answers
        answer: dict = {"code": response.status, "body": json.dumps(response.body)}
        if with_headers:
            answer["headers"] = [
                {"name": name, "value": value}
                for name, value in {
                    "Content-Type": "text/javascript; charset=UTF-8",
                    **response.headers,
                }.items()
            ]
        return answer

    def _graph_viewer(
        self, params: dict[str, str], headers: dict[str, str]
    ) -> tuple[Response | None, Viewer | None]:
        """Who the token is (the brand's user token, or one of its Pages' tokens), or Graph's
        answer to a missing, wrong or revoked token; the token goes into `params` (Graph puts
        it in paging.next URLs, header or not)."""
        token = params.get("access_token") or _bearer(headers)
        viewer = self.graph.token_of(token) if token else None
        if viewer is None:
            message = (
                "Invalid OAuth access token - Cannot parse access token"
                if token
                else "An active access token must be used to query information."
            )
            return graph_error(message, 190).response, None
        if viewer.page is not None and viewer.page in self.graph.access.revoked:
            return graph_error(REVOKED_TOKEN, 190, subcode=460).response, None
        params["access_token"] = token
        return None, viewer

    def _graph_fault(self, decision: Decision) -> Response:
        """The answer of a request the fault schedule throttles or fails."""
        if decision.rate_limited:
            code = self.faults.graph_rate_code()
            status = 403 if code in (4, 17) else 400  # Graph throttles on either status
            error = graph_error(
                f"(#{code}) Application request limit reached", code, status=status, subcode=2446079
            ).response
            error.body["error"]["is_transient"] = True
            error.headers.update(self._graph_usage(100.0, GRAPH_REGAIN_MINUTES))
            return error
        return graph_error(
            "An unexpected error has occurred. Please retry your request later.",
            2,
            status=decision.server_error or 500,
        ).response

    def _graph(
        self,
        version: str,
        parts: list[str],
        params: dict[str, str],
        headers: dict[str, str],
        request: str | None = None,
    ) -> tuple[Response, Decision]:
        refused, viewer = self._graph_viewer(params, headers)
        if refused is not None or viewer is None:
            return refused or graph_error("Unsupported get request.", 100).response, Decision()
        if not parts and not params.get("ids"):
            return graph_error("Unsupported get request.", 100).response, Decision()
        decision = self.faults.decide(request)
        if decision.rate_limited and instagram_api.claims(parts):
            # an Instagram account's throttle is its BUC limit (#80002), not the app's
            return self.instagram.throttled(GRAPH_REGAIN_MINUTES), decision
        if decision.rate_limited or decision.server_error:
            return self._graph_fault(decision), decision
        self.graph.version = version
        with self.lock:
            try:
                if instagram_api.claims(parts):
                    response = self.instagram.handle(parts, params, viewer)
                else:
                    response = self.graph.handle(parts, params, viewer)
            except ApiError as exc:
                return exc.response, decision
        if parts[-1:] not in (["insights"], ["accounts"]):  # metric series, tokens: no records
            items = response.body.get("data")
            if parts[-1:] == ["feed"] and isinstance(items, list):
                # the Page's own posts in its feed land from /posts (damaged there, if at all)
                items = [i for i in items if (i.get("from") or {}).get("id") != parts[0]]
            time_field = "timestamp" if instagram_api.claims(parts) else "created_time"
            self.faults.corrupt_items(items, ("id", time_field), decision)
            if len(parts) == 2:  # an edge listing
                self.faults.damage_listing(response.body, decision)
        if instagram_api.claims(parts):  # Instagram's BUC header is its account's (set)
            return response, decision
        response.headers.update(self._graph_usage(self.faults.config.graph_usage_percent, 0))
        return response, decision

    def _graph_usage(self, percent: float, regain_minutes: int) -> dict[str, str]:
        """The usage headers of a Page-token request: the app's and the Page's (BUC) share of
        their limits, in percent."""
        share = round(percent)
        app = {"call_count": share, "total_cputime": max(0, share - 5), "total_time": share}
        page = {
            "type": "pages",
            **app,
            "estimated_time_to_regain_access": regain_minutes,
        }
        return {
            "x-app-usage": json.dumps(app),
            "x-business-use-case-usage": json.dumps({"104000000000001": [page]}),
        }

    def _x(
        self,
        parts: list[str],
        params: dict[str, str],
        headers: dict[str, str],
        request: str | None = None,
    ) -> tuple[Response, Decision]:
        token = _bearer(headers)
        # an app-only Bearer token, or the user token of the app's owner (our brand's account)
        as_owner = bool(token) and hmac.compare_digest(token, self.x_user_token)
        if not token or not (as_owner or hmac.compare_digest(token, self.x_token)):
            return Response(
                401,
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
            ), Decision()
        endpoint = endpoint_of(parts)
        if endpoint is None:
            return self.x.handle(parts, params), Decision()  # the API's own 404
        world_now = to_datetime(self.world.clock)  # the API's clock, its Date header
        month = world_now.strftime("%Y-%m")
        refused, limit_headers = self.x_profile.admit(endpoint, month, world_now.timestamp())
        if refused is not None:
            refused.headers.update(limit_headers)
            return refused, Decision()
        if endpoint == "usage_tweets":
            days = params.get("days", "7")
            if not (days.isascii() and days.isdigit() and 1 <= int(days) <= 90):
                message = f"The `days` query parameter value [{days}] is not between 1 and 90"
                return x_invalid(message, "days", days).response, Decision()
            response = self.x_profile.usage(int(days), month)
            response.headers.update(limit_headers)
            return response, Decision()
        decision = self.faults.decide(request)
        if decision.rate_limited:  # the reset on the API's clock, as X gives it
            reset = int(world_now.timestamp() + self.faults.config.rate_limit_reset_seconds + 0.999)
            response = too_many_requests()
            response.headers.update(
                {
                    "x-rate-limit-limit": str(X_WINDOW_LIMIT),
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": str(reset),
                }
            )
            return response, decision
        if decision.server_error:
            return Response(
                decision.server_error,
                {
                    "title": "Service Unavailable",
                    "detail": "Service Unavailable",
                    "type": "about:blank",
                    "status": decision.server_error,
                },
            ), decision
        with self.lock:
            try:
                if endpoint == "users_me":  # the user the token is: only a user token has one
                    response = (
                        self.x.handle(["users", OUR_BRAND.x_user_id], params)
                        if as_owner
                        else unsupported_authentication()
                    )
                else:
                    response = self.x.handle(parts, params)
            except ApiError as exc:
                response = exc.response
        if isinstance(response.body, dict):
            data = response.body.get("data")
            if response.status == 200 and endpoint in POST_ENDPOINTS:
                self.x_profile.count_posts(
                    month, len(data) if isinstance(data, list) else 0, world_now.strftime("%F")
                )
            if endpoint not in ("counts_recent", "counts_all"):  # buckets are no records
                self.faults.corrupt_items(data, ("id", "created_at"), decision)
            if endpoint != "tweets_lookup":
                self.faults.damage_listing(response.body, decision)
        if response.status == 200 and self.x_profile.tier == "pay_per_use":
            user = OUR_BRAND.x_user_id if as_owner else None
            self.x_profile.billing.charge(parts, response.body, world_now, user)
        response.headers.update(limit_headers)
        return response, decision

    def _admin(self, method: str, parts: list[str], body: bytes) -> Response:
        try:
            payload = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return Response(400, {"error": "admin requests take a JSON object body"})
        if parts == ["state"]:
            return Response(200, self.state())
        if parts[:1] == ["webhooks"] and method == "POST":
            return Response(*webhooks.admin(self, parts[1:], payload))
        if method != "POST":
            return Response(405, {"error": "use POST for admin changes"})
        if parts == ["faults"]:
            try:
                self.configure_faults(FaultConfig.from_dict(payload))
            except (TypeError, ValueError) as exc:
                return Response(400, {"error": str(exc)})
            return Response(200, self.state())
        if parts == ["graph_access"]:
            # {"managed": [page ids], "revoked": [page ids], "public_content": bool}
            try:
                with self.lock:
                    self.set_graph_access(**payload)
            except (TypeError, ValueError) as exc:
                return Response(400, {"error": str(exc)})
            return Response(200, self.state())
        if parts == ["instagram_access"]:
            # {"permissions": [...], "calls_per_hour": n}: what the token was granted for
            # Instagram and our account's BUC limit per world hour (instagram_api.py)
            try:
                with self.lock:
                    self.set_instagram_access(**payload)
            except (TypeError, ValueError) as exc:
                return Response(400, {"error": str(exc)})
            return Response(200, self.state())
        if parts == ["hide"]:
            ids, hidden = payload.get("ids"), payload.get("hidden", True)
            if not isinstance(ids, list) or not isinstance(hidden, bool):
                return Response(400, {"error": "hide takes {ids: [...], hidden: true|false}"})
            with self.lock:
                self.hide(ids, hidden=hidden)
            return Response(200, self.state())
        if parts == ["advance"]:
            # {"days": n} and/or {"minutes": n}; {} moves one day
            days = payload.get("days", 0 if "minutes" in payload else 1)
            minutes = payload.get("minutes", 0)
            if not all(isinstance(v, int) and v >= 0 for v in (days, minutes)) or not (
                days or minutes
            ):
                return Response(
                    400, {"error": "advance takes days and/or minutes: non-negative integers"}
                )
            with self.lock:
                self.world.advance(days, seconds=minutes * 60)
            return Response(200, self.state())
        if parts == ["crisis"]:
            # {"brand": "ours", "hours": 3, "multiplier": 10}: X mentions from now on
            keys = [b.key for b in BRANDS]
            brand, hours = payload.get("brand", keys[0]), payload.get("hours", 3)
            multiplier = payload.get("multiplier", 10)
            if brand not in keys or not all(
                isinstance(v, int | float) and v > 0 for v in (hours, multiplier)
            ):
                return Response(
                    400, {"error": f"crisis takes brand ({', '.join(keys)}), hours, multiplier"}
                )
            try:
                with self.lock:
                    crisis = self.world.start_crisis(keys.index(brand), hours, multiplier)
            except ValueError as exc:
                return Response(400, {"error": str(exc)})
            return Response(200, {**self.state(), "crisis": crisis_row(crisis)})
        if parts == ["outage"]:
            # {"brand": "ours", "hours": 2}: the brand answers nobody from now on
            keys = [b.key for b in BRANDS]
            brand, hours = payload.get("brand", keys[0]), payload.get("hours", 2)
            if brand not in keys or not isinstance(hours, int | float) or hours <= 0:
                return Response(400, {"error": f"outage takes brand ({', '.join(keys)}), hours"})
            try:
                with self.lock:
                    self.world.start_outage(keys.index(brand), hours)
                    self.graph.forget_listings()
            except ValueError as exc:
                return Response(400, {"error": str(exc)})
            return Response(200, self.state())
        return Response(404, {"error": f"no admin route {'/'.join(parts)}"})

    def set_graph_access(
        self,
        managed: list[str] | None = None,
        revoked: list[str] | None = None,
        public_content: bool | None = None,
    ) -> None:
        """What the brand's Graph token may read: the Pages it manages, the Page tokens
        revoked since, whether the app has Page Public Content Access (what is not given is
        left as it was)."""
        pages = {b.page_id for b in BRANDS}
        access = self.graph.access
        for name, ids in (("managed", managed), ("revoked", revoked)):
            if ids is None:
                continue
            if not isinstance(ids, list) or not set(ids) <= pages:
                raise ValueError(f"{name} takes a list of the brands' page ids")
            setattr(access, name, set(ids))
        if public_content is not None:
            if not isinstance(public_content, bool):
                raise ValueError("public_content takes true or false")
            access.public_content = public_content
        self.graph.forget_listings()

    def set_instagram_access(
        self, permissions: list[str] | None = None, calls_per_hour: int | None = None
    ) -> None:
        """The Instagram permissions the brand's token carries (of IG_PERMISSIONS) and our
        account's call limit per world hour (what is not given is left as it was)."""
        access = self.instagram.access
        if permissions is not None:
            if not isinstance(permissions, list) or not set(permissions) <= IG_PERMISSIONS:
                raise ValueError(f"permissions takes a list of {sorted(IG_PERMISSIONS)}")
            access.permissions = set(permissions)
        if calls_per_hour is not None:
            if not isinstance(calls_per_hour, int) or calls_per_hour < 1:
                raise ValueError("calls_per_hour takes an integer >= 1")
            access.calls_per_hour = calls_per_hour

    def hide(self, ids: list[str], *, hidden: bool = True) -> None:
        """Posts, comments or tweets deleted at the source (hidden) or restored (not)."""
        for api in (self.graph, self.x, self.instagram):
            if hidden:
                api.hidden.update(ids)
            else:
                api.hidden.difference_update(ids)
        self.graph.forget_listings()

    def state(self) -> dict:
        from social_crm_dev.simulator.truth import iso

        cfg = self.world.config
        return {
            "seed": cfg.seed,
            "scale": cfg.scale,
            "days": cfg.days,
            "clock": iso(self.world.clock),
            "incidents": {
                "crises": len(self.world.incidents.crises),
                "reply_outages": len(self.world.incidents.outages),
            },
            "faults": self.faults.config.as_dict(),
            "graph_access": {
                "managed": sorted(self.graph.access.managed),
                "revoked": sorted(self.graph.access.revoked),
                "public_content": self.graph.access.public_content,
            },
            "instagram_access": {
                "permissions": sorted(self.instagram.access.permissions),
                "calls_per_hour": self.instagram.access.calls_per_hour,
            },
            "calls": self.faults.calls,
            "injected": dict(self.faults.injected),
            "requests": dict(self.requests),
            "x_posts_read": self.x_profile.posts_read_in_all(),
            "x_spend_usd": self.x_profile.billing.by_price(),
            "x_resources_charged": self.x_profile.billing.resources(),
        }


def _endpoint(parts: list[str], params: dict[str, str], method: str = "GET") -> str:
    """The endpoint a request asked for, ids left out: `x:search_recent`,
    `graph:/{id}/comments` (`graph:/{id}/comments newest first` when asked newest first),
    `graph:/{id}` (one object), `graph:?ids=` (several), `graph:batch` (a batch; each of its
    requests is counted as its own endpoint too)."""
    if parts[:1] == ["2"]:
        return f"x:{endpoint_of(parts[1:]) or '/'.join(parts)}"
    if method == "POST" and len(parts) == 1 and "batch" in params:
        return "graph:batch"
    if params.get("ids"):
        return "graph:?ids="
    if len(parts) <= 2:
        return "graph:/{id}"
    newest_first = params.get("order") == "reverse_chronological"
    return "graph:/{id}/" + parts[2] + (" newest first" if newest_first else "")


def _redact(text: str) -> str:
    return re.sub(r"(access_token=)[^&\s]+", r"\1***", text)


def _bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") and token.strip() else None


def _handler_for(server: SimulatorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # one small answer must not wait for a delayed ACK
        server_version = "social-crm-simulator"

        def do_GET(self) -> None:  # http.server's naming
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def do_HEAD(self) -> None:
            response, _ = server.dispatch("HEAD", self.path, {}, b"")
            self.send_response(response.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def date_time_string(self, timestamp: float | None = None) -> str:
            """The `Date` header: the world's clock, not the machine's."""
            moment = to_datetime(server.world.clock)
            return email.utils.format_datetime(moment, usegmt=True)

        def _answer(self, method: str) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                response, decision = server.dispatch(method, self.path, headers, body)
            except Exception:  # a server bug must not kill the connection silently
                log.exception("simulator failed on %s", self.path.split("?")[0])
                response, decision = Response(500, {"error": "simulator bug"}), Decision()
            if decision.delay:
                time.sleep(decision.delay)
            if response.status == 502:
                payload = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
                content_type = "text/html"
            else:
                payload = json.dumps(response.body, ensure_ascii=False).encode()
                content_type = "application/json; charset=UTF-8"
                if decision.truncate and response.status == 200:
                    payload = payload[: max(1, len(payload) // 2)]
            self.send_response(
                response.status,
                HTTPStatus(response.status).phrase
                if response.status in HTTPStatus._value2member_map_
                else None,
            )
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s %s", self.address_string(), _redact(format % args))

    return Handler
