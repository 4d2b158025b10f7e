"""The transport's decisions (return, wait and ask again, back off, fail at once) over generated
answers, through a real HTTP server, against each platform's policy."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.extract import graph_policy, x_policy
from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import (
    Answer,
    ApiAccessError,
    ApiAuthError,
    ApiClient,
    ApiError,
    ErrorDetail,
    RetryPolicy,
    UsageCapExceeded,
)
from social_crm.extract.x_policy import XPolicy
from social_crm.redact import redact

TOKEN = "tok-7f3a9c51e2d8b406"
OK = {"data": [{"id": "1"}]}
RETRY = RetryPolicy(
    max_attempts=3, backoff_base=0.001, backoff_cap=0.002, rate_limit_wait=1.0, rate_limit_cap=5.0
)
POLICIES = {"graph": GraphPolicy, "x": XPolicy}


class ScriptedApi:
    """A real HTTP server that gives the scripted answers in turn, then OK."""

    def __init__(self) -> None:
        self.script: list[tuple[int, bytes, dict[str, str]]] = []
        self.requests = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.requests += 1
                status, payload, headers = (
                    api.script.pop(0) if api.script else (200, json.dumps(OK).encode(), {})
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def ask(self, policy, *answers: tuple[int, object, dict[str, str]]):
        """Serve `answers` then OK to one get_json of a fresh client: (result or error, client)."""
        self.requests = 0
        self.script = [
            (status, body if isinstance(body, bytes) else json.dumps(body).encode(), headers)
            for status, body, headers in answers
        ]
        slept: list[float] = []
        client = ApiClient("conn", self.url, TOKEN, policy=policy, retry=RETRY, sleep=slept.append)
        try:
            return client.get_json("v1/items"), client
        except ApiError as exc:
            return exc, client
        finally:
            client.close()


@pytest.fixture(scope="module")
def api():
    server = ScriptedApi()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


# --- generated answers ----------------------------------------------------------------------

text = st.text(max_size=30)
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
    max_size=40,
)
json_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
any_json = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
graph_codes = st.sampled_from([1, 2, 4, 10, 17, 32, 100, 102, 190, 200, 299, 613, 803, 80001])
graph_bodies = st.fixed_dictionaries(
    {
        "error": st.fixed_dictionaries(
            {"code": graph_codes | any_json, "message": text},
            optional={"error_subcode": st.integers() | any_json, "type": text},
        )
    }
)
problem_types = st.sampled_from(
    ["about:blank", "usage-capped", "client-forbidden", "client-not-enrolled", "invalid-request"]
).map(lambda kind: f"https://api.x.com/2/problems/{kind}")
x_bodies = st.fixed_dictionaries(
    {},
    optional={
        "type": problem_types | text,
        "title": text,
        "detail": text,
        "reason": text,
        "errors": st.lists(st.fixed_dictionaries({"code": st.integers(), "message": text}))
        | any_json,
    },
)
bodies = (
    graph_bodies
    | x_bodies
    | st.dictionaries(text, any_json, max_size=4)
    | any_json
    | st.binary(max_size=20)
)
usage_json = st.fixed_dictionaries(
    {},
    optional={
        "call_count": st.integers(-10, 10**6) | st.floats(allow_nan=False) | any_json,
        "total_time": st.floats(0, 200),
        "estimated_time_to_regain_access": st.integers(-5, 10**9) | st.floats() | any_json,
    },
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "retry-after": st.integers(0, 10**9).map(str) | header_text,
        "x-rate-limit-reset": st.integers(0, 2 * 10**9).map(str) | header_text,
        "x-app-usage": usage_json.map(json.dumps) | header_text,
        "x-business-use-case-usage": st.dictionaries(
            st.just("104"), st.lists(usage_json, max_size=2)
        ).map(json.dumps)
        | header_text,
    },
)
statuses = st.sampled_from([400, 401, 403, 404, 429, 500, 503]) | st.integers(400, 599)
answers = st.tuples(st.just(200) | statuses, bodies, headers)


# --- every policy ---------------------------------------------------------------------------


@pytest.mark.parametrize("platform", POLICIES)
@given(answer=answers)
def test_any_answer_ends_in_the_data_or_an_api_error(api, platform, answer):
    status, body, _ = answer
    outcome, _ = api.ask(POLICIES[platform](), answer)
    assert outcome in (OK, body if status == 200 else OK) or isinstance(outcome, ApiError)


@pytest.mark.parametrize("platform", POLICIES)
@given(answer=answers)
def test_no_wait_is_longer_than_the_rate_limit_cap(api, platform, answer):
    _, client = api.ask(POLICIES[platform](), answer)
    assert all(0 <= seconds <= RETRY.rate_limit_cap for _, seconds in client.waits)


@pytest.mark.parametrize("platform", POLICIES)
@given(answer=answers)
def test_the_transport_raises_what_the_policy_calls_final_and_asks_again_otherwise(
    api, platform, answer
):
    status, body, _ = answer
    policy = POLICIES[platform]()
    decoded = _decoded(body)
    final = policy.final_error(
        Answer(
            "conn",
            "/v1/items",
            status,
            decoded or {},
            policy.error_detail(decoded or {}),
            lambda text: redact(text, TOKEN),
        )
    )
    outcome, _ = api.ask(policy, answer)
    if status == 200 and decoded is not None:
        assert (outcome, api.requests) == (decoded, 1)
    elif policy.is_rate_limited(status, decoded or {}) or final is None:
        assert (outcome, api.requests) == (OK, 2)
    else:
        assert (type(outcome), str(outcome), api.requests) == (type(final), str(final), 1)


def _decoded(body: object) -> dict | None:
    """The answer's body as the transport reads it: a JSON object, else None."""
    try:
        value = json.loads(body) if isinstance(body, bytes) else body
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@pytest.mark.parametrize("platform", POLICIES)
@given(status=statuses, code=graph_codes, kind=problem_types, answer_headers=headers)
def test_no_error_names_the_token_even_when_the_answer_echoes_it(
    api, platform, status, code, kind, answer_headers
):
    body = {
        "type": kind,
        "title": TOKEN,
        "detail": TOKEN,
        "reason": TOKEN,
        "error": {"message": TOKEN, "code": code},
        "errors": [{"code": code, "message": TOKEN}],
    }
    outcome, _ = api.ask(POLICIES[platform](), (status, body, answer_headers))
    assert TOKEN not in str(outcome)


@pytest.mark.parametrize("platform", POLICIES)
def test_an_answer_cut_for_the_message_leaves_no_part_of_the_token(platform):
    pieces = [TOKEN[i : i + 8] for i in range(len(TOKEN) - 7)]
    leaks = []
    for padding in range(700):  # the token at every place, across any cut of the message
        body = {"detail": "." * padding + TOKEN}
        answer = Answer(
            "conn", "/v1/items", 400, body, ErrorDetail(), lambda text: redact(text, TOKEN)
        )
        message = str(POLICIES[platform]().final_error(answer))
        leaks += [(padding, piece) for piece in pieces if piece in message]
    assert leaks == []


@pytest.mark.parametrize("platform", POLICIES)
@given(status=statuses, body=bodies, seconds=st.integers(0, 10**6))
def test_a_rate_limit_waits_its_retry_after_up_to_the_cap(api, platform, status, body, seconds):
    policy = POLICIES[platform]()
    _, client = api.ask(policy, (status, body, {"retry-after": str(seconds)}))
    decoded = body if isinstance(body, dict) else {}
    if policy.is_rate_limited(status, decoded):
        assert client.waits[0] == ("rate limit", min(seconds, RETRY.rate_limit_cap))
    else:
        assert all(reason != "rate limit" for reason, _ in client.waits)


@pytest.mark.parametrize("platform", POLICIES)
@given(status=st.integers(500, 599), body=st.dictionaries(text, text, max_size=3))
def test_a_server_error_without_a_platform_error_is_asked_again(api, platform, status, body):
    outcome, _ = api.ask(POLICIES[platform](), (status, body, {}))
    assert outcome == OK and api.requests == 2


@pytest.mark.parametrize("platform", POLICIES)
@given(body=bodies, answer_headers=headers)
def test_a_refused_credential_is_an_auth_error_unless_a_throttle(
    api, platform, body, answer_headers
):
    policy = POLICIES[platform]()
    outcome, _ = api.ask(policy, (401, body, answer_headers))
    if policy.is_rate_limited(401, body if isinstance(body, dict) else {}):
        assert outcome == OK  # Graph: a throttle code, whatever the status
    elif platform == "x" and isinstance(outcome, UsageCapExceeded | ApiAccessError):
        assert api.requests == 1  # a problem type says more than the status
    else:
        assert isinstance(outcome, ApiAuthError) and api.requests == 1


# --- Graph ----------------------------------------------------------------------------------


@given(
    status=st.integers(400, 599),
    code=st.sampled_from(sorted(graph_policy.RATE_LIMIT_CODES)),
    answer_headers=headers,
)
def test_a_graph_throttle_code_is_waited_out_whatever_the_status(api, status, code, answer_headers):
    body = {"error": {"code": code, "message": "(#4) Application request limit reached"}}
    outcome, client = api.ask(GraphPolicy(), (status, body, answer_headers))
    assert outcome == OK and client.waits[0][0] == "rate limit"


@given(
    status=st.integers(400, 599).filter(lambda s: s != 429),
    code=st.sampled_from(sorted(graph_policy.RATE_LIMIT_CODES)),
)
def test_a_graph_throttle_code_means_nothing_to_the_x_policy(api, status, code):
    body = {"error": {"code": code, "message": "(#4) Application request limit reached"}}
    _, client = api.ask(XPolicy(), (status, body, {}))
    assert all(reason != "rate limit" for reason, _ in client.waits)


@given(
    status=st.integers(400, 599).filter(lambda s: s != 429),
    code=st.sampled_from(sorted(graph_policy.AUTH_CODES)),
)
def test_a_graph_token_error_is_an_auth_error_whatever_the_status(api, status, code):
    body = {"error": {"code": code, "message": "Error validating access token"}}
    outcome, _ = api.ask(GraphPolicy(), (status, body, {}))
    assert isinstance(outcome, ApiAuthError) and outcome.error_code == code


@given(usage=st.lists(st.floats(0, 200), min_size=2, max_size=2).map(sorted))
def test_graph_pacing_grows_with_the_usage(usage):
    paces = [
        GraphPolicy().usage({"x-app-usage": json.dumps({"call_count": percent})}).pace or 0.0
        for percent in usage
    ]
    assert paces[0] <= paces[1] <= 1.0
    assert (paces[0] > 0) == (usage[0] > graph_policy.USAGE_SLOWDOWN_FROM)


# --- X --------------------------------------------------------------------------------------


@given(ahead=st.integers(0, 4), answer_headers=headers)
def test_an_x_rate_limit_waits_until_its_reset(api, ahead, answer_headers):
    answer_headers = {k: v for k, v in answer_headers.items() if k != "retry-after"}
    answer_headers["x-rate-limit-reset"] = str(int(time.time()) + ahead)
    outcome, client = api.ask(XPolicy(), (429, {"title": "Too Many Requests"}, answer_headers))
    reason, seconds = client.waits[0]
    assert outcome == OK and reason == "rate limit" and 0 < seconds <= ahead + 0.5


@given(status=st.integers(400, 599), answer_headers=headers)
def test_a_spent_x_usage_cap_fails_at_once_whatever_the_status(api, status, answer_headers):
    body = {"title": "UsageCapExceeded", "type": "https://api.x.com/2/problems/usage-capped"}
    outcome, _ = api.ask(XPolicy(), (status, body, answer_headers))
    assert isinstance(outcome, UsageCapExceeded) and api.requests == 1


@given(
    status=st.integers(400, 599).filter(lambda s: s != 429),
    body=st.sampled_from(
        [
            {
                "type": "https://api.x.com/2/problems/client-forbidden",
                "reason": "client-not-enrolled",
            },
            {"errors": [{"code": x_policy.OUTSIDE_TIER_CODE, "message": "subset of endpoints"}]},
        ]
    ),
)
def test_an_x_endpoint_outside_the_tier_names_the_tier_setting(api, status, body):
    outcome, _ = api.ask(XPolicy(), (status, body, {}))
    assert isinstance(outcome, ApiAccessError) and "'tier' in the extra" in str(outcome)


# a JSON integer's digits, past Python's limit (`sys.get_int_max_str_digits()`) as well
integer_digits = st.builds(
    lambda sign, first, rest: sign + first + rest,
    st.sampled_from(["", "-"]),
    st.sampled_from("123456789"),
    st.integers(0, 2 * sys.get_int_max_str_digits()).map(lambda n: "90" * (n // 2) + "7" * (n % 2)),
)


@given(digits=integer_digits)
def test_an_answer_holding_an_integer_of_any_length_is_read_at_once_with_its_digits(api, digits):
    outcome, _ = api.ask(GraphPolicy(), (200, b'{"n": ' + digits.encode() + b"}", {}))
    assert (api.requests, str(outcome["n"])) == (1, digits)
