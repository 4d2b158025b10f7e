"""The platform-free transport against tiny real HTTP servers that answer what a real API, a
CDN or a proxy in front of it may answer: a token in a refused redirect or a repeated paging
link, a Retry-After given as a date, a Graph error code sent as text, an X reset on a clock
that is not ours."""

import json
import logging
import socket
import string
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import ApiClient, ApiError, RetryPolicy
from social_crm.extract.x_policy import XPolicy
from tests.json_server import serve

TOKEN = "EAAGtok1234secretABCDEF"


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


# --- a token anywhere in what goes in or comes back -------------------------------------------

RETRY_FAST = RetryPolicy(
    max_attempts=2, backoff_base=0.001, backoff_cap=0.002, rate_limit_wait=0.01, rate_limit_cap=0.1
)
# what an API token is made of (Graph: letters and digits; X bearer: also -._~)
tokens = st.text(
    st.sampled_from(string.ascii_letters + string.digits + "-._~"), min_size=16, max_size=40
)


class LoggedText(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def echo_api():
    """A real server giving, to every request, the answer `answer(base)` of the example."""
    state = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, payload, headers = state["answer"](base(self.server))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, state
    server.shutdown()
    server.server_close()


def _unreachable() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@st.composite
def token_everywhere(draw):
    """A token, and an exchange with it in any place of the URL asked, the answer's headers
    or its body: (token, base-URL choice, call, path, params, answer(base))."""
    token = draw(tokens)
    around = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8)
    said = st.builds(lambda a, b: a + token + b, around, around)  # the token inside a text
    leaf = st.none() | st.integers() | st.text(max_size=8) | said
    anywhere = st.recursive(
        leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(said, inner, max_size=3)
    )
    link = st.sampled_from(
        [
            "{base}/v1/feed?access_token={token}&offset=25",
            "{base}/v1/{token}/feed",
            "{base}/v1/feed?after={token}",
            "http://{token}.elsewhere.test/v1/feed",
            "http://user:{token}@elsewhere.test/v1/feed",
        ]
    )
    body = st.one_of(
        st.fixed_dictionaries({"error": st.fixed_dictionaries({"message": said, "code": leaf})}),
        st.fixed_dictionaries(
            {"error": st.fixed_dictionaries({"code": st.sampled_from([10, 17, 100, 190])})},
            optional={"detail": said},
        ),
        st.fixed_dictionaries(
            {"type": said | st.just("https://api.x.com/2/problems/usage-capped")},
            optional={"title": said, "detail": said, "reason": said},
        ),
        st.fixed_dictionaries(
            {
                "data": st.just([{"id": "1"}]),
                "paging": st.fixed_dictionaries(
                    {"next": link}, optional={"cursors": st.fixed_dictionaries({"after": said})}
                ),
            }
        ),
        st.fixed_dictionaries(
            {"data": st.just([]), "meta": st.fixed_dictionaries({"next_token": said})}
        ),
        st.dictionaries(said, anywhere, max_size=3),
    )
    header = st.sampled_from(
        [
            "location",
            "retry-after",
            "x-rate-limit-reset",
            "x-app-usage",
            "www-authenticate",
            "x-debug",
        ]
    )
    headers = st.dictionaries(header, link | said, max_size=3)
    status = st.sampled_from([200, 301, 302, 307, 400, 401, 403, 404, 429, 500, 503])
    answer = draw(st.tuples(status, body, headers))
    path = draw(
        st.sampled_from(["v1/items", "v1/{token}/items", "{base}/v1/items?access_token={token}"])
        | link
    )
    params = draw(st.sampled_from([{}, {"q": "{token}"}, {"access_token": "{token}"}]))
    call = draw(st.sampled_from(["get_json", "graph_pages", "token_pages"]))
    where = draw(st.sampled_from(["served", "unreachable"]))
    platform = draw(st.sampled_from([GraphPolicy, XPolicy]))

    def answer_for(base_url):
        status, body, headers = answer
        text = json.dumps(body).replace("{base}", base_url).replace("{token}", token)
        headers = {
            k: v.replace("{base}", base_url).replace("{token}", token) for k, v in headers.items()
        }
        return status, text.encode(), headers

    return token, where, platform, call, path, params, answer_for


@given(case=token_everywhere())
def test_a_token_anywhere_in_an_exchange_is_in_no_error_and_no_log(echo_api, case):
    server, state = echo_api
    token, where, platform, call, path, params, answer_for = case
    state["answer"] = answer_for
    url = base(server) if where == "served" else _unreachable()
    path = path.replace("{base}", url).replace("{token}", token)
    params = {k: v.replace("{token}", token) for k, v in params.items()}
    client = ApiClient(
        "conn", url, token, policy=platform(), retry=RETRY_FAST, sleep=lambda s: None
    )
    logged = LoggedText()
    logging.getLogger("social_crm").addHandler(logged)
    raised = []
    try:
        if call == "get_json":
            client.get_json(path, params)
        elif call == "graph_pages":
            list(client.graph_pages(path, params))
        else:
            list(client.token_pages(path, params, "pagination_token"))
    except Exception as error:  # any exception at all, with whatever it was raised from
        while error is not None:
            raised += [str(error), repr(error)]
            error = error.__cause__ or error.__context__
    finally:
        logging.getLogger("social_crm").removeHandler(logged)
        client.close()
    assert [text for text in raised + logged.lines if token in text] == []


# --- paging that is not what the API documents ------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=5), inner, max_size=2)
    ),
    max_leaves=4,
)


@given(
    call=st.sampled_from(["graph_pages", "token_pages"]),
    body=st.fixed_dictionaries(
        {"data": st.just([{"id": "1"}])},
        optional={
            "paging": json_values
            | st.fixed_dictionaries(
                {},
                optional={
                    "next": json_values,
                    "cursors": json_values | st.fixed_dictionaries({"after": json_values}),
                },
            ),
            "meta": json_values | st.fixed_dictionaries({"next_token": json_values}),
        },
    ),
)
def test_paging_of_any_shape_ends_in_pages_or_an_api_error(echo_api, call, body):
    server, state = echo_api
    state["answer"] = lambda base_url: (200, json.dumps(body).encode(), {})
    client = ApiClient("conn", base(server), TOKEN, policy=GraphPolicy(), retry=RETRY_FAST)
    try:
        walk = (
            client.graph_pages("v1/items")
            if call == "graph_pages"
            else client.token_pages("v1/items", {}, "pagination_token")
        )
        for number, _ in enumerate(walk):
            assert number < 3, "a link sent back as it came is refused as a loop by page 2"
    except ApiError:
        pass
    finally:
        client.close()
