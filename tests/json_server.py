"""A real local HTTP server answering GET requests with JSON, for transport tests: `answer`
gets the request handler and returns (status, body, headers); `skew` seconds puts the
server's `Date` header behind this machine's clock."""

import json
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(answer, skew: float = 0.0) -> ThreadingHTTPServer:
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
