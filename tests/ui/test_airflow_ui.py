"""The Airflow 3 UI in headless Chromium, as a data engineer meets it after `make demo`: the
live and nightly runs of a small world in Airflow's metadata database, the connections the demo
saves, one `airflow api-server` for the module, logged in through the UI's login form. Each
page visited is saved as a screenshot in `.local/test/artifacts/ui/` (docs/testing.md)."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import psycopg
import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.warehouse import migrations
from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import WORLD_START
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.truth import write_world
from social_crm_dev.simulator.world import World
from tests.conftest import REPO
from tests.dags.airflow_sync import sync_dags_to_db
from tests.dags.conftest import WORLD
from tests.databases import new_database
from tests.ui import browser as ui

pytestmark = pytest.mark.integration

CLOCK = WORLD_START + timedelta(days=WORLD.days)
ARTIFACTS = Path(os.environ.get("SOCIAL_CRM_TEST_DIR") or REPO / ".local" / "test") / "artifacts"
SCREENSHOTS = ARTIFACTS / "ui"


@dataclass
class UiWorld:
    live: dag_runs.DagRunOutcome
    nightly: dag_runs.DagRunOutcome
    data_docs: Path
    simulator_url: str


def _save_connections(connections: dict[str, str]) -> list[str]:
    """The demo's connections (`AIRFLOW_CONN_<ID>` JSON values) saved in the metadata database,
    as `make demo` saves them, so the UI lists them."""
    from airflow.models.connection import Connection  # the metadata table (not the SDK's)
    from airflow.utils.session import create_session

    ids = [name.removeprefix("AIRFLOW_CONN_").lower() for name in connections]
    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id.in_(ids)).delete()
        for conn_id, value in zip(ids, connections.values(), strict=True):
            session.add(Connection.from_json(value, conn_id=conn_id))
    return ids


def _delete_connections(ids: list[str]) -> None:
    from airflow.models.connection import Connection  # the metadata table (not the SDK's)
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id.in_(ids)).delete()


@pytest.fixture(scope="module")
def world(warehouse_url, airflow_db, tmp_path_factory):
    """A small world's CRM export landed, its nightly then its live DAG run (`dag.test()`) as of
    CLOCK, as tests/dags do, with every DAG and the demo's connections in the metadata
    database."""
    from social_crm_dev import demo

    folder = tmp_path_factory.mktemp("ui_world")
    write_world(World(WORLD), folder / "world", progress=lambda _: None)
    shutil.copytree(folder / "world" / "crm", folder / "drop")
    with (
        new_database(warehouse_url) as db,
        SimulatorServer(World(WORLD)) as sim,
        pytest.MonkeyPatch.context() as patch,
    ):
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        extra = {"rate_limit_wait": 0.05, "backoff_base": 0.05}
        for conn_id, token in (
            ("FACEBOOK_GRAPH", sim.fb_token),
            ("INSTAGRAM_GRAPH", sim.fb_token),
            ("X_API", sim.x_token),
        ):
            patch.setenv(
                f"AIRFLOW_CONN_{conn_id}",
                json.dumps(
                    {"conn_type": "http", "host": sim.url, "password": token, "extra": extra}
                ),
            )
        patch.setenv("WAREHOUSE_URL", db.libpq())
        patch.setenv("CRM_DROP_DIR", str(folder / "drop"))
        patch.setenv("SOCIAL_CRM_DATA_DOCS_DIR", str(folder / "data_docs"))
        ids = _save_connections(demo.connection_env(sim.url, WORLD.days))
        try:
            sync_dags_to_db()  # every DAG listed, as the dag-processor of `make airflow` lists them
            land_drop_folder(lambda: psycopg.connect(db.libpq()), folder / "drop")
            # the nightly first: its raw gate is the first to see the landed batches
            nightly = dag_runs.run_in_process("social_crm_nightly", logical_date=CLOCK)
            live = dag_runs.run_in_process("social_crm_live", logical_date=CLOCK)
            assert (nightly.state, live.state) == ("success", "success"), (nightly, live)
            yield UiWorld(live, nightly, folder / "data_docs", sim.url)
        finally:
            _delete_connections(ids)


@pytest.fixture(scope="module")
def server(world, tmp_path_factory):
    with ui.api_server(tmp_path_factory.mktemp("api_server")) as running:
        yield running


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # this run's screenshots only
    with ui.browser(tmp_path_factory.mktemp("chromium") / "profile") as context:
        yield context


@pytest.fixture(scope="module")
def logged_in(chromium, server):
    """The browser logged in as the admin user through the UI's own login form."""
    with ui.visit(chromium, server.url + "/", "Sign into Airflow") as (page, _):
        _screenshot(page, "login")
        page.get_by_label("Username").fill(ui.USER)
        page.get_by_label("Password").fill(server.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
    return chromium


def _screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def _run_url(server, outcome) -> str:
    return f"{server.url}/dags/{outcome.dag_id}/runs/{quote(outcome.run_id, safe='')}"


def _shown_seconds(duration: str) -> float:
    """Seconds of a duration as the UI shows it: `HH:mm:ss[.SSS]`, or `D` `d` `HH:mm:ss` from a
    day on (whose day count wraps at a month: a lower bound of a day is all it says)."""
    if "d" in duration:
        return 86_400.0
    hours, minutes, seconds = duration.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@pytest.mark.parametrize(
    "shown, seconds",
    [("00:00:00.086", 0.086), ("00:01:09", 69.0), ("13:04:05", 47_045.0), ("26d08:10:14", 86_400)],
)
def test_durations_read_as_the_ui_shows_them(shown, seconds):
    assert _shown_seconds(shown) == pytest.approx(seconds)


@pytest.mark.parametrize("dag", ["live", "nightly"])
def test_the_run_page_shows_a_duration_under_an_hour(logged_in, server, world, dag):
    with ui.visit(logged_in, _run_url(server, getattr(world, dag)), "Duration") as (page, _):
        _screenshot(page, f"{dag}_run")
        stat = page.get_by_test_id("stat").filter(has_text="Duration").first
        shown = stat.inner_text().splitlines()[-1].strip()
    assert _shown_seconds(shown) < 3600, f"the {dag} run's page shows a duration of {shown}"


def test_a_connection_opens_in_the_edit_form_with_host_and_password(logged_in, server, world):
    from playwright.sync_api import expect

    with ui.visit(logged_in, f"{server.url}/connections", "facebook_graph") as (page, _):
        row = page.get_by_role("row").filter(has_text="facebook_graph")
        row.get_by_role("button", name="Edit Connection").click()
        form = page.get_by_role("dialog")
        form.wait_for()
        page.wait_for_load_state("networkidle")
        _screenshot(page, "connection_edit")
        # the fields by name: a connection type may relabel them ("API base URL", "Token")
        expect(form.locator("input[name='host']")).to_have_value(world.simulator_url)
        expect(form.locator("input[name='password']")).to_be_visible()


def _log_as_the_ui_fetches_it(context, server, outcome, task_id: str) -> tuple[list[str], object]:
    """The events of a task's log (first try) as the UI's log page fetched them, and the page
    (screenshot taken)."""
    is_log = f"/taskInstances/{quote(task_id, safe='')}/logs/"
    with context.expect_event("response", predicate=lambda r: is_log in r.url) as answer:
        page = context.new_page()
        page.goto(f"{_run_url(server, outcome)}/tasks/{quote(task_id, safe='')}")
    lines = [json.loads(line) for line in answer.value.text().splitlines() if line.strip()]
    page.get_by_text(f"end task task_id={task_id}").first.wait_for()
    return [str(line.get("event", "")) for line in lines], page


def test_the_raw_gates_log_is_under_60_lines(logged_in, server, world):
    events, page = _log_as_the_ui_fetches_it(logged_in, server, world.nightly, "validate_raw")
    _screenshot(page, "validate_raw_log")
    page.close()
    shown = [event for event in events if event != "::endgroup::"]  # (the UI's group ends)
    assert len(shown) < 60, "\n".join(shown[:80])


def test_the_raw_gates_log_names_each_raw_table(logged_in, server, world):
    from social_crm import catalog

    events, page = _log_as_the_ui_fetches_it(logged_in, server, world.nightly, "validate_raw")
    page.close()
    text = "\n".join(events)
    unnamed = [t.name for t in catalog.RAW_TABLES if not re.search(rf"(?<!\w){t.name}(?!\w)", text)]
    assert unnamed == [], f"not named in the validate_raw log: {unnamed}"


def _a_dbt_task(outcome, kind: str) -> str:
    """The first (by name) task of the nightly that runs a dbt node of `kind` (run, seed)."""
    return min(t for t in outcome.tasks if t.startswith("dbt_") and t.endswith(f"_{kind}"))


def _dbt_docs_link(context, server, world, kind: str):
    """A dbt task's page opened on its Details tab (where Airflow 3.3 shows a task's extra
    links): (page, its "dbt docs" link); close the page when done."""
    task_id = _a_dbt_task(world.nightly, kind)
    page = context.new_page()
    page.goto(f"{_run_url(server, world.nightly)}/tasks/{quote(task_id, safe='')}/details")
    page.get_by_text(task_id).first.wait_for()
    page.wait_for_load_state("networkidle")
    _screenshot(page, f"dbt_{kind}_task_details")
    extra_links = page.locator("div").filter(
        has=page.get_by_role("heading", name="Extra Links", exact=True)
    )
    return page, extra_links.last.get_by_role("link", name="dbt docs", exact=True)


def test_a_dbt_model_tasks_details_link_to_its_docs_on_the_uis_host(logged_in, server, world):
    from playwright.sync_api import expect

    page, link = _dbt_docs_link(logged_in, server, world, "run")
    expect(link).to_be_visible()
    href = urljoin(server.url, link.get_attribute("href") or "")
    page.close()
    assert href.startswith(server.url + "/"), href


def test_a_dbt_seed_tasks_details_show_its_docs_link(logged_in, server, world):
    from playwright.sync_api import expect

    page, link = _dbt_docs_link(logged_in, server, world, "seed")
    try:
        expect(link).to_be_visible(timeout=5_000)
    finally:
        page.close()


def test_the_dbt_docs_link_opens_the_docs_inside_the_airflow_ui(logged_in, server, world):
    from playwright.sync_api import expect

    page, link = _dbt_docs_link(logged_in, server, world, "run")
    link.click()
    page.wait_for_load_state("networkidle")
    _screenshot(page, "dbt_docs_from_a_task")
    try:
        expect(page.get_by_test_id("nav-dags-link")).to_be_visible(timeout=5_000)
    finally:
        page.close()


def _a_page_of_each_folder_linked_from(context, index: Path) -> list[str]:
    """The URL of the first page `index` links to in each folder (a schema's validations, or
    anything else it links to), as the browser resolves them."""
    with ui.visit(context, index.as_uri()) as (page, _):
        links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    pages = [link.split("#")[0] for link in links if link.startswith("file:") and ".html" in link]
    first: dict[str, str] = {}
    for url in pages:
        relative = url.removeprefix(index.parent.as_uri() + "/").split("/")
        first.setdefault("/".join(relative[:2]), url)
    return list(first.values())


def test_data_docs_pages_open_from_disk_with_no_request_leaving_this_machine(logged_in, world):
    index = world.data_docs / "index.html"
    pages = [index.as_uri(), *_a_page_of_each_folder_linked_from(logged_in, index)]
    assert len(pages) > 1, f"{index} links to no page"
    outside = {}
    for number, url in enumerate(pages):
        with ui.visit(logged_in, url) as (page, seen):
            if number < 2:  # the index and a table's page
                _screenshot(page, f"data_docs_{number}")
        if seen.outside:
            outside[url.removeprefix(index.parent.as_uri())] = sorted(
                {urlsplit(request).hostname or "" for request in seen.outside}
            )
    assert outside == {}


DAG_IDS = sorted(path.stem for path in (REPO / "dags").glob("*.py"))  # each file's DAG id
MAIN_PAGES = ["dags", *(f"dag:{dag_id}" for dag_id in DAG_IDS), "run", "task_log", "connections"]


def _main_page(name: str, server, world) -> tuple[str, str]:
    """(url, a text it shows once loaded) of a main page of the UI."""
    if name.startswith("dag:"):
        dag_id = name.removeprefix("dag:")
        return f"{server.url}/dags/{dag_id}", dag_id
    return {
        "dags": (f"{server.url}/dags", "social_crm_nightly"),
        "run": (_run_url(server, world.nightly), "Duration"),
        "task_log": (
            f"{_run_url(server, world.nightly)}/tasks/validate_raw",
            "end task task_id=validate_raw",  # (the log view shows its end)
        ),
        "connections": (f"{server.url}/connections", "facebook_graph"),
    }[name]


@pytest.fixture(scope="module")
def main_pages(logged_in, server, world) -> dict[str, ui.Visit]:
    """Each main page visited once (screenshot saved): what it requested and printed."""
    seen = {}
    for name in MAIN_PAGES:
        url, text = _main_page(name, server, world)
        with ui.visit(logged_in, url, text) as (page, visit):
            _screenshot(page, name.replace(":", "_"))
        seen[name] = visit
    return seen


@pytest.mark.parametrize("name", MAIN_PAGES)
def test_a_main_page_loads_with_no_console_error(main_pages, name):
    assert main_pages[name].console_errors == []


@pytest.mark.parametrize("name", MAIN_PAGES)
def test_a_main_page_makes_no_request_off_this_machine(main_pages, name):
    assert main_pages[name].outside == []
