"""The starter dashboards in Apache Superset (docs/bi.md), as `make bi` serves them after
`make demo`: Superset from its own environment against a built world, the bundle of bi/superset
imported through its API as the BI login (role bi_reader), each dashboard opened in headless
Chromium (its screenshot saved in `.local/test/artifacts/bi/`) and its charts' queries read
back from Superset's chart data API."""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import yaml

from social_crm.serve import superset
from social_crm.settings import WarehouseUrl
from social_crm.warehouse.bi_login import ensure_login
from social_crm_dev import bi
from tests.conftest import REPO
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


@dataclass
class Served:
    server: bi.RunningSuperset
    client: superset.Client
    dashboards: list[superset.Dashboard]
    warehouse: WarehouseUrl
    bi_user: str
    bi_password: str


@pytest.fixture(scope="module")
def served(built, tmp_path_factory) -> Served:
    """Superset on a free port with its own metadata, the dashboards imported, connected to the
    built world as a BI login of its own (role bi_reader)."""
    pipeline, _ = built
    url = WarehouseUrl.parse(pipeline.db.libpq())
    bi_user, bi_password = f"bi_superset_{os.getpid()}", secrets.token_urlsafe(16)
    with psycopg.connect(url.libpq()) as conn:
        ensure_login(conn, bi_user, bi_password)
    admin_password = secrets.token_urlsafe(16)
    home = tmp_path_factory.mktemp("superset")
    with bi.running(home, _free_port(), admin_password, secrets.token_urlsafe(32)) as server:
        dashboards = bi.provision(server, url, bi_user, bi_password)
        client = superset.Client(server.url, server.admin_user, admin_password)
        yield Served(server, client, dashboards, url, bi_user, bi_password)


@dataclass
class DashboardVisit:
    screenshot: Path
    charts_shown: int
    errors: list[str]
    chart_rows: dict[int, int] = field(default_factory=dict)  # chart id: rows of its query


@pytest.fixture(scope="module")
def visits(served, tmp_path_factory) -> dict[str, DashboardVisit]:
    """Each dashboard opened in Chromium as its admin, once every chart has rendered: its
    screenshot, the charts shown, the error boxes, and the rows of every chart data answer."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seen: dict[str, DashboardVisit] = {}
    with ui.browser(tmp_path_factory.mktemp("chromium")) as context:
        page = context.new_page()
        page.goto(f"{served.server.url}/login/")
        page.locator("input#username, input[name=username]").first.fill(served.server.admin_user)
        page.locator("input#password, input[name=password]").first.fill(
            served.server.admin_password
        )
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/login" not in url)
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
    return {"http_status": response.status_code, **response.json()}


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
