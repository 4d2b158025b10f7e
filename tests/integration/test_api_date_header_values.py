"""The API clock: every time that describes the data is the API's `Date`; a Date
header that is missing, malformed or absurd must leave the read working (the local clock
then, as documented in extract/http.py), never stop it. Against a real local HTTP server that
answers with the hostile header; no mocks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import ApiClient, RetryPolicy

BODY = json.dumps({"id": "1", "name": "page"}).encode()


class _Dated(BaseHTTPRequestHandler):
    date = ""  # the Date every answer carries (and no other)

    def do_GET(self) -> None:
        self.send_response_only(200)
        self.send_header("Date", _Dated.date)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def do_HEAD(self) -> None:
        self.send_response_only(200)
        self.send_header("Date", _Dated.date)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def dated_api() -> Iterator[str]:
    """A real HTTP server whose answers carry `Date: <_Dated.date>`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Dated)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _read(url: str, date: str) -> tuple[dict, object]:
    _Dated.date = date
    client = _client(url)
    try:
        return client.get_json("1", {"fields": "id,name"}), client.server_now()
    finally:
        client.close()


def _client(url: str) -> ApiClient:
    return ApiClient(
        "facebook_graph",
        url,
        "tok",
        policy=GraphPolicy(),
        api_version="v27.0",
        timeout=(3.0, 5.0),
        retry=RetryPolicy(max_attempts=1),
    )


ABSURD_DATES = [
    "Mon, 07 Dec 2026 13:00:00 +9999999999999999999",  # an offset too large for C
    "Mon, 07 Dec 99999999999999999999 13:00:00 GMT",  # a year too large for C
]


@pytest.mark.parametrize("date", ABSURD_DATES)
def test_an_absurd_date_header_never_stops_a_read(dated_api, date):
    """The read answers its body, and the API's clock is read without an error."""
    body, _ = _read(dated_api, date)
    assert body["id"] == "1"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    date=st.builds(
        "{}, {:02d} {} {} {:02d}:{:02d}:{:02d} {}".format,
        st.sampled_from(["Mon", "Tue", "Sun"]),
        st.integers(0, 99),
        st.sampled_from(["Jan", "Feb", "Dec"]),
        st.integers(0, 10**25),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 99),
        st.one_of(
            st.sampled_from(["GMT", "UT", "-0000", "+2359"]),
            st.integers(-(10**20), 10**20).map(lambda n: f"{n:+05d}"),
        ),
    )
)
def test_any_malformed_date_header_never_stops_a_read(dated_api, date):
    body, _ = _read(dated_api, date)
    assert body["id"] == "1"
