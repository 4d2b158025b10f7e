"""The failure notifier logs always and posts to a webhook (a real local server) when set."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from social_crm import notify


def test_failure_is_logged_and_posted_without_secrets(monkeypatch, caplog):
    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv(notify.WEBHOOK_ENV, f"http://127.0.0.1:{server.server_address[1]}/hook")
    ti = SimpleNamespace(dag_id="social_crm_nightly", task_id="validate_marts", run_id="r1")
    error = RuntimeError("gate failed: GET /x?access_token=abc123secret")
    with caplog.at_level(logging.ERROR):
        notify.on_failure({"task_instance": ti, "exception": error})
    server.shutdown()

    assert len(received) == 1
    text = received[0]["text"]
    assert text.startswith("social_crm: social_crm_nightly.validate_marts failed in run r1")
    assert "gate failed" in text and "abc123secret" not in text
    assert text in caplog.text


def test_a_broken_webhook_does_not_raise(monkeypatch, caplog):
    monkeypatch.setenv(notify.WEBHOOK_ENV, "http://127.0.0.1:9/nothing-listens")
    notify.on_failure({"exception": ValueError("x")})
    assert "could not notify" in caplog.text
