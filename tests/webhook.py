"""A real local HTTP server standing in for SOCIAL_CRM_ALERT_WEBHOOK, for any fixture scope."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def receiving_webhook(
    on_post: Callable[[dict], None] | None = None,
) -> Iterator[tuple[str, list[dict]]]:
    """(its URL, the JSON bodies posted to it so far); `on_post(body)` runs before each
    answer."""
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            if on_post is not None:
                on_post(received[-1])
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", received
    finally:
        server.shutdown()
        server.server_close()
