"""The docs plugin, attacked: a link loop in a docs folder (an operator's copy, a tool's
cache) must make its paths "not found", not a server error."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def plugin():
    from airflow import plugins_manager

    plugins, _ = plugins_manager._get_plugins()
    return next(p for p in plugins if p.name == "social_crm_docs")


def test_no_path_makes_the_docs_server_fail_through_a_link_loop(plugin, tmp_path, monkeypatch):
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.testclient import TestClient

    docs = tmp_path / "data_docs"
    docs.mkdir()
    (docs / "index.html").write_text("<h1>validations</h1>")
    os.symlink("b", docs / "a")  # a link loop: a -> b -> a
    os.symlink("a", docs / "b")
    monkeypatch.setenv("SOCIAL_CRM_DATA_DOCS_DIR", str(docs))
    app = plugin.fastapi_apps[0]["app"]
    app.dependency_overrides[get_user] = lambda: object()
    try:
        answer = TestClient(app, raise_server_exceptions=False).get("/data-docs/a/index.html")
    finally:
        app.dependency_overrides.clear()
    assert answer.status_code == 404
