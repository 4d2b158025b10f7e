"""`social-crm check-connections` with hostile connection values never puts a token (or a
URL's password) on the screen, and every cause gets one line with a verdict.
Against the real simulator HTTP server and real local sockets; no mocks."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.integration.test_check_connections import (
    CONNECTIONS,
    check,
    environment,
    tokens_of,
)
from tests.integration.test_check_connections import sim as _sim

sim = _sim  # the real simulator HTTP server, one per module

pytestmark = pytest.mark.integration

SECRET = "S3cr3tTokenValue9876"


def _conn(host: str, password: str, **more) -> str:
    return json.dumps({"conn_type": "http", "host": host, "password": password, **more})


def _all(value_for) -> dict[str, str]:
    return {f"AIRFLOW_CONN_{c.upper()}": value_for(c) for c in CONNECTIONS}


def test_a_host_url_with_a_password_in_it_is_never_printed(sim):
    """A connection whose host carries credentials (https://user:secret@host, as some proxies
    and gateways are configured) must not print the secret on the connection's line."""
    hostport = sim.url.split("://", 1)[1]
    tokens = tokens_of(sim)
    env = _all(lambda c: _conn(f"http://me:{SECRET}@{hostport}", tokens[c]))
    with environment(env):
        _, lines = check()
    leaked = [line for line in lines if SECRET in line]
    assert not leaked, leaked


def test_a_bad_option_in_an_extra_never_echoes_its_value(sim, capsys):
    """A value put in the wrong extra (a token pasted into `max_attempts`, a common slip in
    the UI's Extra JSON box) is refused by name, never shown back."""
    tokens = tokens_of(sim)
    env = _all(lambda c: _conn(sim.url, tokens[c], extra=json.dumps({"max_attempts": SECRET})))
    with environment(env):
        _, lines = check()
    err = capsys.readouterr().err
    leaked = [line for line in lines + err.splitlines() if SECRET in line]
    assert not leaked, leaked


class _Redirect(BaseHTTPRequestHandler):
    target = ""

    def _go(self):
        self.send_response(302)
        self.send_header("Location", self.target + self.path)
        self.end_headers()

    do_GET = do_HEAD = _go

    def log_message(self, *args):
        pass


def test_a_redirect_never_prints_the_token(sim, capsys):
    class Handler(_Redirect):
        target = f"http://me:{SECRET}@" + sim.url.split("://", 1)[1]

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        env = _all(lambda c: _conn(url, tokens_of(sim)[c]))
        with environment(env):
            _, lines = check()
    finally:
        server.shutdown()
        server.server_close()
    err = capsys.readouterr().err
    leaked = [line for line in lines + err.splitlines() if SECRET in line]
    assert not leaked, leaked


def _save(conn_id: str, **fields) -> None:
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        session.add(Connection(conn_id=conn_id, **fields))


def _delete_ours() -> None:
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(Connection).where(Connection.conn_id.in_(list(CONNECTIONS))))


@pytest.mark.parametrize("host", ["http://127.0.0.1/", "http://localhost/"])
def test_a_ui_connection_with_host_and_port_fields_reaches_that_port(sim, airflow_db, host):
    """Airflow's connection form has a Host and a Port field: a host pasted with its trailing
    slash and the port in its own field must reach that port (today the port is appended after
    the slash, `http://127.0.0.1/:8799`, and port 80 is tried)."""
    port = int(sim.url.rsplit(":", 1)[1])
    tokens = tokens_of(sim)
    _delete_ours()
    try:
        for conn_id in CONNECTIONS:
            _save(conn_id, conn_type=conn_id, host=host, port=port, password=tokens[conn_id])
        with environment({}):
            _, lines = check()
    finally:
        _delete_ours()
    opening = [line for line in lines if ": connection: " in line]
    assert opening and all(line.startswith("[ok]") for line in opening), opening
