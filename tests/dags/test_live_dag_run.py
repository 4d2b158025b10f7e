"""`dag.test()` of the live DAG: before any nightly build its queue step skips (nothing fails);
after one, a cycle lands, builds, validates and publishes the queue and runs the alerts. And
of the nightly DAG for a past date: its Cosmos-built marts describe that date (the as-of time
each dbt task takes from its run: transform/as_of.py), not the wall clock. And the Airflow 3
UI of those runs in headless Chromium, as a data engineer meets it after `make demo`.

One world is played once for the module, each step checked by its own test: a live run (no
nightly build yet), then its CRM export landed and a nightly run; the tests of later live cycles
take a copy of the database it leaves. The nightly run's dbt tasks log their rows and docs
link and have a "dbt docs" button; its freshness task logs each raw source.

The UI's tests read the same runs (one world for the DAG runs and the UI, not one each: the
UI's used to be a module of its own that played a second world the same way): the demo's
connections saved in the metadata database, every DAG synced, one `airflow api-server` for the
module, logged in through the UI's login form. Each page visited is saved as a screenshot in
`.local/test/artifacts/ui/` (docs/testing.md). They come before the later live cycles, whose
runs as of the same date replace the first live run (dag.test() deletes a run of its date)."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import psycopg
import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.transform.docs_links import node_docs_link
from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import WORLD_START
from tests.conftest import REPO
from tests.dags.airflow_sync import sync_dags_to_db
from tests.dags.conftest import WORLD, wired_world
from tests.databases import new_database
from tests.ui import browser as ui

pytestmark = pytest.mark.integration

CLOCK = WORLD_START + timedelta(days=WORLD.days)
NIGHTLY = "social_crm_nightly"
ARTIFACTS = Path(os.environ.get("SOCIAL_CRM_TEST_DIR") or REPO / ".local" / "test") / "artifacts"
SCREENSHOTS = ARTIFACTS / "ui"


@dataclass(frozen=True)
class World:
    """The module's world: its database (a template once the nightly ran: nobody stays
    connected), its drop folder, its runs' Data Docs folder and its simulator's URL."""

    database: object
    drop: Path
    data_docs: Path
    simulator_url: str


@pytest.fixture(scope="module")
def world(warehouse_url, airflow_db, tmp_path_factory) -> Iterator[World]:
    """`extraction_env`'s world, made once for the module (its CRM export in its drop folder,
    landed before the nightly run: `nightly`). The dbt manifest the DAGs' Cosmos groups render
    from is brought up to date first, not inside a DAG file's import, which has a time limit
    (the live DAG runs first)."""
    from social_crm.transform.dbt_manifest import ensure_manifest

    ensure_manifest()
    folder = tmp_path_factory.mktemp("played")
    with (
        new_database(warehouse_url) as db,
        pytest.MonkeyPatch.context() as patch,
        wired_world(db, folder) as env,
    ):
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setenv("SOCIAL_CRM_DATA_DOCS_DIR", str(folder / "data_docs"))
        simulator = json.loads(env["AIRFLOW_CONN_FACEBOOK_GRAPH"])["host"]
        yield World(db, folder / "drop", folder / "data_docs", simulator)


@pytest.fixture(scope="module")
def first_live(world):
    """The outcome of the world's first live run as of CLOCK: no nightly build yet. (The run
    stays in Airflow's metadata until another run of the live DAG as of CLOCK replaces it:
    dag.test() deletes a run of the same logical date. The tests reading it come first.)"""
    # the live walks land messages (its queue waits for a nightly build)
    return dag_runs.run_in_process("social_crm_live", logical_date=CLOCK)


@pytest.fixture(scope="module")
def nightly(world, first_live, warehouse_url):
    """The outcome of the nightly run as of CLOCK that follows the first live run, the CRM
    export landed from the drop folder just before it: its raw gate is the first to see those
    batches (the live run's gate validated what the live run landed), as the UI's tests of
    the raw gate's log need."""
    land_drop_folder(lambda: psycopg.connect(world.database.libpq()), world.drop)
    outcome = dag_runs.run_in_process(NIGHTLY, logical_date=CLOCK)
    with psycopg.connect(warehouse_url.libpq(), autocommit=True) as conn:
        conn.execute(  # sessions a quality gate's pool left open: a template is copied alone
            "select pg_terminate_backend(pid) from pg_stat_activity"
            " where datname = %s and pid <> pg_backend_pid()",
            (world.database.database,),
        )
    return outcome


def test_the_queue_waits_for_the_first_nightly_build(first_live):
    assert first_live.state == "success", first_live
    assert first_live.tasks["new_x_mentions"] == "success"
    assert first_live.tasks["new_instagram_messages"] == "success"
    assert first_live.tasks["dbt_messages"] == "skipped"
    assert first_live.tasks["publish_queue"] == "skipped"


def _airflow_api():
    """Airflow's REST API (the app the UI calls), in this process, with its server's logging
    set-up (whose task handler reads the logs) and a token as the UI gets one."""
    from airflow.api_fastapi.app import create_app
    from airflow.logging_config import configure_logging
    from fastapi.testclient import TestClient

    configure_logging()
    client = TestClient(create_app("core"))
    token = client.get("/auth/token").json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_the_ui_shows_every_task_log_of_a_test_run(first_live, monkeypatch):
    from urllib.parse import quote

    outcome = first_live
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    airflow_api = _airflow_api()
    run = f"/api/v2/dags/social_crm_live/dagRuns/{quote(outcome.run_id, safe='')}"
    instances = airflow_api.get(f"{run}/taskInstances").json()["task_instances"]
    ran = [(ti["task_id"], ti["try_number"]) for ti in instances if ti["try_number"] > 0]
    assert len(ran) >= 3  # (tasks skipped before running have no try and no log)
    unread = {}
    for task_id, try_number in ran:
        response = airflow_api.get(f"{run}/taskInstances/{task_id}/logs/{try_number}")
        assert response.status_code == 200, response.text
        events = [str(line.get("event", "")) for line in response.json()["content"]]
        # the task's own lines, as the task runner wrote them
        if not any(f"starting task_id={task_id} " in event for event in events):
            unread[task_id] = events[:6]
    assert unread == {}


def test_the_nightly_dags_marts_describe_the_runs_logical_date(world, nightly):
    assert nightly.state == "success", nightly
    with psycopg.connect(world.database.libpq()) as conn:
        queued, as_of = conn.execute(
            "select count(*), max(as_of) from marts.open_conversations"
        ).fetchone()
    assert queued > 0
    assert as_of == CLOCK


def _task_log(run_id: str, task_id: str) -> list[str]:
    """The messages of the task's log file, as the UI's log page reads it."""
    from airflow.configuration import conf
    from airflow.models import DagRun
    from airflow.utils.helpers import log_filename_template_renderer
    from airflow.utils.session import create_session

    with create_session() as session:
        run = session.query(DagRun).filter_by(dag_id=NIGHTLY, run_id=run_id).one()
        ti = run.get_task_instance(task_id, session=session)
        assert ti is not None, f"the run has no task {task_id}"
        path = Path(conf.get("logging", "base_log_folder")) / log_filename_template_renderer()(
            ti=ti
        )
    return [json.loads(line).get("event", "") for line in path.read_text().splitlines()]


def _extra_links(run_id: str, task_id: str) -> dict[str, str | None]:
    """The task's extra links as Airflow's API answers the UI's task instance page."""
    from airflow.api_fastapi.core_api.routes.public.extra_links import get_extra_links
    from airflow.models.dagbag import DBDagBag
    from airflow.utils.session import create_session

    with create_session() as session:
        answer = get_extra_links(NIGHTLY, run_id, task_id, session=session, dag_bag=DBDagBag())
    return answer.extra_links


def _node_line(lines: list[str], node: str) -> tuple[int, str]:
    """The task's line on its node: the rows affected, and the rest of the line."""
    found = [line for line in lines if line.startswith(f"{node}: ") and "; docs: " in line]
    assert len(found) == 1, lines
    rows = re.search(r": success, (\d+) rows affected \(", found[0])
    assert rows is not None, found[0]
    return int(rows[1]), found[0]


def test_a_model_tasks_log_names_the_rows_it_built_and_its_docs_page(world, nightly):
    rows, line = _node_line(
        _task_log(nightly.run_id, "dbt_marts.people_run"), "model.social_crm.people"
    )
    with psycopg.connect(world.database.libpq()) as conn:
        people = conn.execute("select count(*) from marts_build.people").fetchone()[0]
    assert rows == people > 0
    assert line.endswith(f"docs: {node_docs_link('model.social_crm.people')}")


def test_a_seed_tasks_log_names_the_rows_it_loaded(nightly):
    from social_crm.paths import dbt_project_dir

    rows, line = _node_line(
        _task_log(nightly.run_id, "dbt_staging.brands_seed"), "seed.social_crm.brands"
    )
    csv_rows = len((dbt_project_dir() / "seeds" / "brands.csv").read_text().splitlines()) - 1
    assert rows == csv_rows > 0
    assert line.endswith(f"docs: {node_docs_link('seed.social_crm.brands')}")


@pytest.mark.parametrize(
    ("task_id", "node"),
    [
        ("dbt_staging.brands_seed", "seed.social_crm.brands"),
        ("dbt_marts.people_run", "model.social_crm.people"),
    ],
)
def test_a_dbt_task_has_a_dbt_docs_button_to_its_page_on_the_ui_host(nightly, task_id, node):
    link = _extra_links(nightly.run_id, task_id)["dbt docs"]
    assert link == node_docs_link(node)
    assert link.startswith("/plugin/social-crm-dbt-docs/social-crm-docs/dbt/")


def test_a_task_that_is_not_dbt_has_no_dbt_docs_button(nightly):
    assert _extra_links(nightly.run_id, "publish_marts")["dbt docs"] is None


def test_the_freshness_check_logs_one_line_per_raw_source(nightly):
    from social_crm.catalog import RAW_TABLES

    lines = _task_log(nightly.run_id, "check_source_freshness")
    for table in RAW_TABLES:
        found = [line for line in lines if line.startswith(f"{table.relation}: ")]
        assert len(found) == 1, (table.relation, lines)
        assert re.search(r"; (OK|WARN|LATE|NOT CHECKED)", found[0]), found[0]
    # landed minutes ago by the live walks and the CRM export
    assert any(
        line.startswith("raw.crm_orders: last read (snapshot) ") and "; OK (" in line
        for line in lines
    )


# --- the UI of the runs above (before the later live cycles replace the first live run)


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
def ui_world(world, first_live, nightly):
    """The module's runs as the UI shows them, with every DAG and the demo's connections in the
    metadata database (as the dag-processor of `make airflow` lists them and `make demo` saves
    them)."""
    from social_crm_dev import demo

    assert (nightly.state, first_live.state) == ("success", "success"), (nightly, first_live)
    ids = _save_connections(demo.connection_env(world.simulator_url, WORLD.days))
    try:
        sync_dags_to_db()
        yield UiWorld(first_live, nightly, world.data_docs, world.simulator_url)
    finally:
        _delete_connections(ids)


@pytest.fixture(scope="module")
def server(ui_world, tmp_path_factory):
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
def test_the_run_page_shows_a_duration_under_an_hour(logged_in, server, ui_world, dag):
    with ui.visit(logged_in, _run_url(server, getattr(ui_world, dag)), "Duration") as (page, _):
        _screenshot(page, f"{dag}_run")
        stat = page.get_by_test_id("stat").filter(has_text="Duration").first
        shown = stat.inner_text().splitlines()[-1].strip()
    assert _shown_seconds(shown) < 3600, f"the {dag} run's page shows a duration of {shown}"


def test_a_connection_opens_in_the_edit_form_with_host_and_password(logged_in, server, ui_world):
    from playwright.sync_api import expect

    with ui.visit(logged_in, f"{server.url}/connections", "facebook_graph") as (page, _):
        row = page.get_by_role("row").filter(has_text="facebook_graph")
        row.get_by_role("button", name="Edit Connection").click()
        form = page.get_by_role("dialog")
        form.wait_for()
        page.wait_for_load_state("networkidle")
        _screenshot(page, "connection_edit")
        # the fields by name: a connection type may relabel them ("API base URL", "Token")
        expect(form.locator("input[name='host']")).to_have_value(ui_world.simulator_url)
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


def test_the_raw_gates_log_is_under_60_lines(logged_in, server, ui_world):
    events, page = _log_as_the_ui_fetches_it(logged_in, server, ui_world.nightly, "validate_raw")
    _screenshot(page, "validate_raw_log")
    page.close()
    shown = [event for event in events if event != "::endgroup::"]  # (the UI's group ends)
    assert len(shown) < 60, "\n".join(shown[:80])


def test_the_raw_gates_log_names_each_raw_table(logged_in, server, ui_world):
    from social_crm import catalog

    events, page = _log_as_the_ui_fetches_it(logged_in, server, ui_world.nightly, "validate_raw")
    page.close()
    text = "\n".join(events)
    unnamed = [t.name for t in catalog.RAW_TABLES if not re.search(rf"(?<!\w){t.name}(?!\w)", text)]
    assert unnamed == [], f"not named in the validate_raw log: {unnamed}"


def _a_dbt_task(outcome, kind: str) -> str:
    """The first (by name) task of the nightly that runs a dbt node of `kind` (run, seed)."""
    return min(t for t in outcome.tasks if t.startswith("dbt_") and t.endswith(f"_{kind}"))


def _dbt_docs_link(context, server, ui_world, kind: str):
    """A dbt task's page opened on its Details tab (where Airflow 3.3 shows a task's extra
    links): (page, its "dbt docs" link); close the page when done."""
    task_id = _a_dbt_task(ui_world.nightly, kind)
    page = context.new_page()
    page.goto(f"{_run_url(server, ui_world.nightly)}/tasks/{quote(task_id, safe='')}/details")
    page.get_by_text(task_id).first.wait_for()
    page.wait_for_load_state("networkidle")
    _screenshot(page, f"dbt_{kind}_task_details")
    extra_links = page.locator("div").filter(
        has=page.get_by_role("heading", name="Extra Links", exact=True)
    )
    return page, extra_links.last.get_by_role("link", name="dbt docs", exact=True)


def test_a_dbt_model_tasks_details_link_to_its_docs_on_the_uis_host(logged_in, server, ui_world):
    from playwright.sync_api import expect

    page, link = _dbt_docs_link(logged_in, server, ui_world, "run")
    expect(link).to_be_visible()
    href = urljoin(server.url, link.get_attribute("href") or "")
    page.close()
    assert href.startswith(server.url + "/"), href


def test_a_dbt_seed_tasks_details_show_its_docs_link(logged_in, server, ui_world):
    from playwright.sync_api import expect

    page, link = _dbt_docs_link(logged_in, server, ui_world, "seed")
    try:
        expect(link).to_be_visible(timeout=5_000)
    finally:
        page.close()


def test_the_dbt_docs_link_opens_the_docs_inside_the_airflow_ui(logged_in, server, ui_world):
    from playwright.sync_api import expect

    page, link = _dbt_docs_link(logged_in, server, ui_world, "run")
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


def test_data_docs_pages_open_from_disk_with_no_request_leaving_this_machine(logged_in, ui_world):
    index = ui_world.data_docs / "index.html"
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


def _main_page(name: str, server, ui_world) -> tuple[str, str]:
    """(url, a text it shows once loaded) of a main page of the UI."""
    if name.startswith("dag:"):
        dag_id = name.removeprefix("dag:")
        return f"{server.url}/dags/{dag_id}", dag_id
    return {
        "dags": (f"{server.url}/dags", "social_crm_nightly"),
        "run": (_run_url(server, ui_world.nightly), "Duration"),
        "task_log": (
            f"{_run_url(server, ui_world.nightly)}/tasks/validate_raw",
            "end task task_id=validate_raw",  # (the log view shows its end)
        ),
        "connections": (f"{server.url}/connections", "facebook_graph"),
    }[name]


@pytest.fixture(scope="module")
def main_pages(logged_in, server, ui_world) -> dict[str, ui.Visit]:
    """Each main page visited once (screenshot saved): what it requested and printed."""
    seen = {}
    for name in MAIN_PAGES:
        url, text = _main_page(name, server, ui_world)
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


# --- later live cycles, on copies of the world after its nightly run


@pytest.fixture
def after_a_nightly(world, nightly, extraction_env, warehouse_url, monkeypatch, tmp_path):
    """`extraction_env` with its CRM export landed and a nightly build run as of CLOCK: a copy
    of the module's world after its nightly run."""
    with new_database(warehouse_url, template=world.database.database) as db:
        monkeypatch.setenv("WAREHOUSE_URL", db.libpq())
        shutil.rmtree(tmp_path / "drop")
        shutil.copytree(world.drop, tmp_path / "drop")
        yield db


def test_a_live_cycle_publishes_the_queue(after_a_nightly):
    outcome = dag_runs.run_in_process("social_crm_live", logical_date=CLOCK)
    assert outcome.state == "success", outcome
    assert set(outcome.tasks.values()) == {"success"}
    with psycopg.connect(after_a_nightly.libpq()) as conn:
        queued, as_of = conn.execute(
            "select count(*), max(as_of) from marts.open_conversations"
        ).fetchone()
    assert queued > 0
    assert as_of == CLOCK


def test_the_live_command_runs_the_steps_of_the_live_table_as_of_the_time_given(
    after_a_nightly, capsys
):
    import re

    from social_crm import cli
    from social_crm.orchestration.pipelines import LIVE

    capsys.readouterr()
    assert cli.main(["live", "--as-of", CLOCK.isoformat()]) == 0
    printed = re.findall(r"^\[(\w+)\] [\d.]+s: ", capsys.readouterr().out, flags=re.MULTILINE)
    assert printed == LIVE.names()
    with psycopg.connect(after_a_nightly.libpq()) as conn:
        (as_of,) = conn.execute("select max(as_of) from marts.open_conversations").fetchone()
    assert as_of == CLOCK
