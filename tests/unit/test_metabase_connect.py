"""`metabase.connect` against a small HTTP server answering as Metabase's API does, once the
admin user exists: it finds our database among those Metabase lists, in either shape Metabase
has listed them in, and updates it instead of adding a second one."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.serve import metabase

SETTINGS = metabase.MetabaseSettings(
    url="",
    admin_email="admin@example.com",
    admin_password="admin-password",
    warehouse_host="warehouse-db",
    warehouse_port=5432,
    warehouse_db="warehouse",
    bi_user="bi_reader",
    bi_password="bi-password",
)


class FakeMetabase(ThreadingHTTPServer):
    """Answers `GET /api/database` with `listing`; records every other write it receives."""

    listing: Any = []
    writes: list[tuple[str, str]]


class Handler(BaseHTTPRequestHandler):
    server: FakeMetabase

    def _answer(self, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        answers = {
            "/api/health": {"status": "ok"},
            "/api/session/properties": {"has-user-setup": True},
            "/api/database": self.server.listing,
        }
        self._answer(answers[self.path])

    def _write(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.server.writes.append((self.command, self.path))
        self._answer({"id": "session-id"} if self.path == "/api/session" else {})

    do_POST = do_PUT = _write

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeMetabase]:
    server = FakeMetabase(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _connect(fake: FakeMetabase, listing: Any) -> str:
    fake.listing, fake.writes = listing, []
    host, port = fake.server_address[:2]
    url = f"http://{host!s}:{port}"
    return metabase.connect(dataclasses.replace(SETTINGS, url=url))


others = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.integers(1, 10_000),
            "name": st.text(max_size=30).filter(lambda n: n != metabase.DATABASE_NAME),
        }
    ),
    max_size=5,
)


@pytest.mark.parametrize("shape", ["list", "page"])
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=others, after=others, our_id=st.integers(10_001, 20_000))
def test_connect_updates_our_database_in_either_listing_shape(
    fake: FakeMetabase, shape: str, before: list, after: list, our_id: int
) -> None:
    databases = [*before, {"id": our_id, "name": metabase.DATABASE_NAME}, *after]
    listing = databases if shape == "list" else {"data": databases, "total": len(databases)}
    done = _connect(fake, listing)
    assert fake.writes == [("POST", "/api/session"), ("PUT", f"/api/database/{our_id}")]
    assert "updated" in done


@pytest.mark.parametrize("listing", [{"total": 0}, {"data": "x"}, "x", [1, 2]])
def test_a_listing_that_holds_no_databases_is_a_metabase_error(
    fake: FakeMetabase, listing: Any
) -> None:
    with pytest.raises(metabase.MetabaseError, match="list databases"):
        _connect(fake, listing)
    assert fake.writes == [("POST", "/api/session")]
