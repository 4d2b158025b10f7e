"""The Airflow UI plugin (plugins/social_crm_docs.py), loaded by Airflow's plugin manager."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def plugin():
    from airflow import plugins_manager

    plugins, _ = plugins_manager._get_plugins()
    assert plugins_manager.get_import_errors() == {}
    found = [p for p in plugins if p.name == "social_crm_docs"]
    assert len(found) == 1
    return found[0]


class _Task:
    def __init__(self, task_id):
        self.task_id = task_id


def _links(task_id: str) -> dict[str, str]:
    from airflow import plugins_manager

    return {
        link.name: link.get_link(_Task(task_id), ti_key=None)
        for link in plugins_manager.get_global_operator_extra_links()
    }


def test_the_plugin_manager_loads_the_docs_plugin(plugin):
    assert plugin.__class__.__name__ == "SocialCrmDocsPlugin"


def test_a_dbt_task_links_to_its_models_docs_page(plugin):
    link = _links("dbt_marts.people_run")["dbt docs"]
    assert link.endswith("/social-crm-docs/dbt/static_index.html#!/model/model.social_crm.people")


def test_a_seed_task_links_to_its_seeds_docs_page(plugin):
    link = _links("dbt_staging.brands_seed")["dbt docs"]
    assert link.endswith("/social-crm-docs/dbt/static_index.html#!/seed/seed.social_crm.brands")


def test_the_dbt_docs_link_opens_the_page_inside_the_ui(plugin):
    """The plugin's dbt docs page of the UI, deep-linked to the node (Airflow 3.3.2's iframe
    views take the framed page's path after their route)."""
    assert _links("dbt_marts.people_run")["dbt docs"] == (
        "/plugin/social-crm-dbt-docs/social-crm-docs/dbt/static_index.html"
        "#!/model/model.social_crm.people"
    )


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    host=st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6}){0,2}(:[0-9]{2,5})?", fullmatch=True),
    path=st.from_regex(r"(/[a-z0-9_-]{1,12}){0,3}/?", fullmatch=True),
)
def test_the_dbt_docs_link_stays_on_the_ui_host_whatever_the_base_url(
    plugin, monkeypatch, host, path
):
    """A link on another host than the browser's opens outside the UI (or not at all): the
    link is host-relative, under the path of `[api] base_url`."""
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", f"https://{host}{path}")
    link = _links("dbt_staging.brands_seed")["dbt docs"]
    base = path.rstrip("/")
    assert link.startswith(f"{base}/plugin/social-crm-dbt-docs{base}/social-crm-docs/dbt/")
    assert link.startswith("/") and not link.startswith("//")


def test_only_dbt_tasks_link_to_dbt_docs(plugin):
    assert _links("publish_marts")["dbt docs"] == ""


def test_the_quality_gates_link_to_data_docs(plugin):
    assert _links("validate_marts")["Data Docs"].endswith("/social-crm-docs/data-docs/index.html")
    assert _links("dbt_marts.people_run")["Data Docs"] == ""


def test_the_docs_sites_are_in_the_airflow_navigation(plugin):
    from airflow import plugins_manager

    views, _ = plugins_manager._get_ui_plugins()
    ours = {v["name"]: v for v in views if v["href"].startswith("social-crm-docs/")}
    assert set(ours) == {"dbt docs", "Data Docs"}
    assert {v["destination"] for v in ours.values()} == {"nav"}


@pytest.fixture
def docs_client(plugin, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    monkeypatch.setenv("SOCIAL_CRM_DATA_DOCS_DIR", str(tmp_path / "data_docs"))
    (tmp_path / "data_docs").mkdir()
    (tmp_path / "data_docs" / "index.html").write_text("<h1>validations</h1>")
    (tmp_path / "secret.txt").write_text("outside the docs")
    app = plugin.fastapi_apps[0]["app"]
    return app, TestClient(app)


def test_the_docs_are_not_served_without_a_login(docs_client):
    _, client = docs_client
    assert client.get("/data-docs/index.html").status_code == 401


def test_a_logged_in_user_gets_the_data_docs(docs_client):
    from airflow.api_fastapi.core_api.security import get_user

    app, client = docs_client
    app.dependency_overrides[get_user] = lambda: object()
    try:
        page = client.get("/data-docs/index.html")
    finally:
        app.dependency_overrides.clear()
    assert (page.status_code, page.text) == (200, "<h1>validations</h1>")


def test_no_file_outside_the_docs_folders_is_served(docs_client):
    from airflow.api_fastapi.core_api.security import get_user

    app, client = docs_client
    app.dependency_overrides[get_user] = lambda: object()
    try:
        escaped = client.get("/data-docs/..%2Fsecret.txt")
        unknown = client.get("/other/index.html")
    finally:
        app.dependency_overrides.clear()
    assert (escaped.status_code, unknown.status_code) == (404, 404)


@pytest.fixture
def logged_in(docs_client):
    from airflow.api_fastapi.core_api.security import get_user

    app, client = docs_client
    app.dependency_overrides[get_user] = lambda: object()
    yield client
    app.dependency_overrides.clear()


def test_a_nul_byte_in_the_path_is_not_found(logged_in):
    assert logged_in.get("/data-docs/index.html%00.png").status_code == 404


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.text(min_size=1, max_size=300))
def test_no_path_makes_the_docs_server_fail(logged_in, path):
    answer = logged_in.get("/data-docs/" + quote(path, safe=""))
    assert answer.status_code in (200, 404)


def test_a_link_loop_in_a_docs_folder_is_not_found(logged_in, tmp_path):
    (tmp_path / "data_docs" / "a").symlink_to("b")  # a -> b -> a
    (tmp_path / "data_docs" / "b").symlink_to("a")
    assert logged_in.get("/data-docs/a/index.html").status_code == 404
