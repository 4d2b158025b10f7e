"""Attack 5 (outsider): the platform-free transport against tiny real HTTP servers that
answer what a real API, a CDN or a proxy in front of it may answer. Each test FAILS on the
code it was written against; it names the property that broke."""

import json
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import ApiClient, ApiError, RetryPolicy
from social_crm.extract.x_policy import XPolicy

TOKEN = "EAAGtok1234secretABCDEF"


def serve(answer, skew=0.0):
    class Handler(BaseHTTPRequestHandler):
        def date_time_string(self, timestamp=None):
            moment = datetime.now(UTC) - timedelta(seconds=skew)
            return format_datetime(moment, usegmt=True)

        def do_GET(self):
            status, body, headers = answer(self)
            payload = json.dumps(body).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def base(server):
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_token_never_in_the_error_of_a_refused_redirect():
    """A redirect whose Location carries the token (an auth proxy bouncing to its login page
    with the bearer in the path) is refused, but the refusal quotes the path unredacted."""
    api = serve(lambda h: (302, {}, {"location": f"https://login.example.com/sso/{TOKEN}/cb"}))
    try:
        client = ApiClient("x_api", base(api), TOKEN, policy=XPolicy(), sleep=lambda s: None)
        with pytest.raises(ApiError) as failure:
            client.get_json("2/tweets/search/recent")
        assert TOKEN not in str(failure.value), str(failure.value)
    finally:
        api.shutdown()


def test_token_never_in_the_error_of_a_repeated_paging_link():
    """Graph's offset-paged edges give `paging.next` with the access_token in it and no
    cursors; a repeated link is refused, and the refusal quotes the link with the token."""

    def answer(h):
        link = f"{base(h.server)}/v24.0/123/feed?access_token={TOKEN}&offset=25"
        return 200, {"data": [{"id": "1"}], "paging": {"next": link}}, {}

    api = serve(answer)
    try:
        client = ApiClient(
            "facebook_graph", base(api), TOKEN, policy=GraphPolicy(), api_version="v24.0"
        )
        with pytest.raises(ApiError) as failure:
            for _ in client.graph_pages("123/feed", {"limit": 25}):
                pass
        assert TOKEN not in str(failure.value), str(failure.value)
    finally:
        api.shutdown()


def test_rate_limit_wait_honours_a_retry_after_date():
    """RFC 9110: Retry-After is delay-seconds or an HTTP-date. A date ten minutes out is
    ignored and the transport asks again after 60 s, ten minutes early."""
    calls = []

    def answer(h):
        calls.append(h.path)
        if len(calls) == 1:
            when = format_datetime(datetime.now(UTC) + timedelta(seconds=600), usegmt=True)
            return 429, {"error": {"code": 4, "message": "throttled"}}, {"retry-after": when}
        return 200, {"data": []}, {}

    api = serve(answer)
    waits = []
    try:
        client = ApiClient(
            "facebook_graph",
            base(api),
            TOKEN,
            policy=GraphPolicy(),
            api_version="v24.0",
            sleep=waits.append,
            retry=RetryPolicy(rate_limit_cap=900.0),
        )
        client.get_json("123/feed")
        assert waits and waits[0] >= 590, f"waited {waits} for a Retry-After 600 s away"
    finally:
        api.shutdown()


def test_graph_throttle_code_as_text_is_waited_out_not_final():
    """A Graph throttle (code 17 on HTTP 400) whose code arrives as the text "17" (a proxy
    or gateway re-serialising the error) is taken for a final request error: the task fails
    instead of waiting."""
    calls = []

    def answer(h):
        calls.append(h.path)
        if len(calls) == 1:
            return 400, {"error": {"code": "17", "message": "User request limit reached"}}, {}
        return 200, {"data": []}, {}

    api = serve(answer)
    try:
        client = ApiClient(
            "facebook_graph",
            base(api),
            TOKEN,
            policy=GraphPolicy(),
            api_version="v24.0",
            sleep=lambda s: None,
        )
        assert client.get_json("123/feed") == {"data": []}
    finally:
        api.shutdown()


def test_x_rate_limit_reset_is_read_on_the_servers_clock():
    """X's `x-rate-limit-reset` is an epoch on X's clock; the client knows that clock (the
    `Date` of every answer, `server_now`) but measures the reset on the local one. With the
    local clock five minutes ahead, a window that resets in 60 s is waited 0.5 s, again and
    again, until the attempts run out and the task fails."""
    skew = 300  # the local clock is this far ahead of X's
    calls = []

    def answer(h):
        calls.append(h.path)
        server_now = datetime.now(UTC) - timedelta(seconds=skew)
        headers = {
            "x-rate-limit-reset": str(int(server_now.timestamp()) + 60),
            "x-rate-limit-remaining": "0",
        }
        if len(calls) == 1:
            return 429, {"title": "Too Many Requests", "type": "about:blank"}, headers
        return 200, {"data": []}, headers

    api = serve(answer, skew=skew)  # its Date header on its own clock
    waits = []
    try:
        client = ApiClient("x_api", base(api), TOKEN, policy=XPolicy(), sleep=waits.append)
        assert abs((datetime.now(UTC) - client.server_now()).total_seconds() - skew) < 5
        client.get_json("2/tweets/search/recent")
        assert waits and waits[0] >= 50, f"waited {waits} for a window that resets in 60 s"
    finally:
        api.shutdown()
