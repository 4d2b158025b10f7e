"""`social-crm check-connections` promises a verdict within 15 s even against a host that
drops packets. An unlucky user's host is often worse: it accepts the connection (a proxy, a
load balancer whose backend is gone) and then says nothing, or answers the check's first
request and stalls on the rest. Real local sockets; no mocks."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.integration.test_check_connections import CONNECTIONS, check, environment

pytestmark = pytest.mark.integration

VERDICT_WITHIN = 15.0


def _conns(url: str) -> dict[str, str]:
    return {
        f"AIRFLOW_CONN_{c.upper()}": json.dumps(
            {"conn_type": "http", "host": url, "password": "tok"}
        )
        for c in CONNECTIONS
    }


def _timed_check(url: str, release: threading.Event) -> float | None:
    """Seconds the check took, None when it had no verdict within VERDICT_WITHIN (it is then
    released to finish)."""
    done: list[float] = []

    def run() -> None:
        start = time.monotonic()
        with environment(_conns(url)):
            check()
        done.append(time.monotonic() - start)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(VERDICT_WITHIN)
    release.set()
    worker.join(60)
    took = done[0] if done else None
    return took if took is not None and took <= VERDICT_WITHIN else None


def test_a_host_that_accepts_and_never_answers_gets_a_verdict_within_15_s():
    """A host whose kernel accepts the connection but whose program never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)  # accepted by the kernel, never read
    release = threading.Event()
    try:
        took = _timed_check(f"http://127.0.0.1:{server.getsockname()[1]}", release)
    finally:
        server.close()
    assert took is not None, f"no verdict within {VERDICT_WITHIN} s"


def test_a_host_that_stalls_after_the_first_answer_gets_a_verdict_within_15_s():
    """A host that answers the check's HEAD and then never answers a GET."""
    release = threading.Event()

    class Stalling(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(200)
            self.end_headers()

        def do_GET(self) -> None:
            release.wait(120)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stalling)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        took = _timed_check(f"http://127.0.0.1:{server.server_address[1]}", release)
    finally:
        release.set()
        server.shutdown()
        server.server_close()
    assert took is not None, f"no verdict within {VERDICT_WITHIN} s"
