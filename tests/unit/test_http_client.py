"""The HTTP client against tiny real HTTP servers that misbehave on purpose."""

import pytest

from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import (
    ApiClient,
    ApiError,
    PaginationLoopError,
    RetryPolicy,
    UnsafeRequest,
)
from social_crm.extract.x_policy import XPolicy
from social_crm.redact import redact
from tests.json_server import serve


@pytest.fixture
def looping_server():
    def answer(handler):
        base = f"http://127.0.0.1:{handler.server.server_address[1]}"
        return (
            200,
            {
                "data": [{"id": "1"}],
                "paging": {"cursors": {"after": "SAME"}, "next": f"{base}/v1/x?after=SAME"},
            },
            {},
        )

    server = serve(answer)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_repeated_cursor_is_refused(looping_server):
    client = ApiClient(
        "facebook_graph", looping_server, "secret-token-1", policy=GraphPolicy(), api_version="v1"
    )
    seen = []
    with pytest.raises(PaginationLoopError, match="returned cursor 'SAME' twice"):
        for page in client.graph_pages("x"):
            seen.append(page.number)
    assert seen == [1, 2]  # page 2 came from cursor SAME and handed SAME back: a loop


def test_retry_after_is_respected_and_capped():
    calls = []

    def answer(handler):
        calls.append(handler.path)
        if len(calls) == 1:
            return 429, {"title": "Too Many Requests"}, {"retry-after": "5000"}
        return 200, {"data": []}, {}

    server = serve(answer)
    slept = []
    client = ApiClient(
        "x_api",
        f"http://127.0.0.1:{server.server_address[1]}",
        "tok-abcdef",
        policy=XPolicy(),
        retry=RetryPolicy(rate_limit_cap=3.0),
        sleep=slept.append,
    )
    assert client.get_json("2/x") == {"data": []}
    assert slept == [3.0] and client.waits == [("rate limit", 3.0)]
    server.shutdown()


def test_client_errors_are_final_and_redacted():
    def answer(handler):
        return 400, {"errors": [{"message": f"bad request {handler.path}"}]}, {}

    server = serve(answer)
    client = ApiClient(
        "x_api", f"http://127.0.0.1:{server.server_address[1]}", "tok-abcdef", policy=XPolicy()
    )
    with pytest.raises(ApiError) as failure:
        client.get_json("2/x", {"access_token": "tok-abcdef", "q": "1"})
    assert "HTTP 400" in str(failure.value) and "tok-abcdef" not in str(failure.value)
    assert client.calls == 1
    server.shutdown()


def test_unreachable_api_fails_after_the_attempts_without_the_token():
    client = ApiClient(
        "x_api",
        "http://127.0.0.1:9",
        "tok-abcdef",
        policy=XPolicy(),
        retry=RetryPolicy(max_attempts=3),
        sleep=lambda _: None,
    )
    with pytest.raises(ApiError, match="failed 3 times") as failure:
        client.get_json("2/x?access_token=tok-abcdef")
    assert "tok-abcdef" not in str(failure.value)
    assert [reason.split(":")[0] for reason, _ in client.waits] == ["ConnectionError"] * 2


def test_redact_hides_tokens_in_urls_headers_and_literals():
    text = "GET /x?access_token=abc123&limit=5 Authorization: Bearer xyz.789 literal-s3cret"
    cleaned = redact(text, "literal-s3cret")
    assert "abc123" not in cleaned and "xyz.789" not in cleaned and "s3cret" not in cleaned
    assert "limit=5" in cleaned


def test_a_redirect_is_not_followed_so_the_token_stays_home():
    elsewhere = []

    def other(handler):
        elsewhere.append(handler.headers.get("authorization"))
        return 200, {"data": []}, {}

    target = serve(other)
    url = f"http://127.0.0.1:{target.server_address[1]}/v1/x"
    api = serve(lambda handler: (302, {}, {"location": url}))
    client = ApiClient(
        "x_api", f"http://127.0.0.1:{api.server_address[1]}", "tok-abcdef", policy=XPolicy()
    )
    with pytest.raises(UnsafeRequest, match="redirect to http://127.0.0.1.*not followed"):
        client.get_json("2/tweets")
    assert elsewhere == []
    api.shutdown()
    target.shutdown()


@pytest.mark.parametrize("header", ["retry-after", "x-rate-limit-reset"])
def test_a_wait_header_in_other_digits_is_not_a_number(header):
    calls = []

    def answer(handler):
        calls.append(handler.path)
        if len(calls) == 1:
            return 429, {"title": "Too Many Requests"}, {header: "\u00b2"}  # '²', latin-1
        return 200, {"data": []}, {}

    server = serve(answer)
    slept = []
    client = ApiClient(
        "x_api",
        f"http://127.0.0.1:{server.server_address[1]}",
        "tok-abcdef",
        policy=XPolicy(),
        retry=RetryPolicy(rate_limit_wait=1.0),
        sleep=slept.append,
    )
    assert (client.get_json("2/x"), slept) == ({"data": []}, [1.0])
    server.shutdown()
