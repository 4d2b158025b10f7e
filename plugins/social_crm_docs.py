"""The pipeline's documentation next to its runs, in the Airflow UI.

- "dbt docs" and "Data Docs" in the navigation: the dbt docs site the nightly writes and the
  Great Expectations Data Docs of every validation, rendered inside the Airflow UI. The API
  server serves them from the folders the settings name, to logged-in users only (Data Docs
  show the rows a failed check found).
- A "dbt docs" button (an operator extra link: the task instance's Details tab in Airflow 3.3)
  on each dbt model's and seed's task, opening that node's page of the dbt site inside the UI
  on the UI's host (`social_crm.transform.docs_links`), and a "Data Docs" button on the quality
  gates (`validate_raw`, `validate_marts`). Global links: Airflow's API server asks them for a
  task's link when its page is open (https://airflow.apache.org/docs/apache-airflow/stable/
  howto/define-extra-link.html); a task they do not concern gets none (no button).
"""

from __future__ import annotations

from pathlib import Path

from airflow.plugins_manager import AirflowPlugin
from airflow.sdk import BaseOperatorLink

from social_crm.transform import docs_links
from social_crm.transform.docs_links import (
    DATA_DOCS_ROUTE,
    DATA_DOCS_SITE,
    DBT_DOCS_ROUTE,
    DBT_SITE,
    DOCS_URL_PREFIX,
)

GATE_TASKS = ("validate_raw", "validate_marts")


def docs_roots() -> dict[str, Path]:
    """The folder behind each URL section, as the settings say."""
    from social_crm import settings

    loaded = settings.load()
    return {"dbt": loaded.dbt_docs_dir, "data-docs": loaded.data_docs_dir}


def docs_file(section: str, path: str) -> Path | None:
    """The file `path` of docs `section`, None unless it exists inside that section's folder."""
    root = docs_roots().get(section)
    if root is None:
        return None
    # a NUL byte, a name too long for the system, a link loop: no such page, not a server error
    try:
        root = root.resolve()
        found = (root / path).resolve()
        if not found.is_relative_to(root) or not found.is_file():
            return None
    except (ValueError, OSError, RuntimeError):
        return None
    return found


def _base_url() -> str:
    from airflow.configuration import conf

    return conf.get("api", "base_url", fallback="") or ""


class DbtDocsLink(BaseOperatorLink):
    name = "dbt docs"

    def get_link(self, operator, *, ti_key) -> str:  # Airflow's types
        node = docs_links.node_of_task(operator.task_id)
        return docs_links.node_docs_link(node, _base_url()) if node else ""


class DataDocsLink(BaseOperatorLink):
    name = "Data Docs"

    def get_link(self, operator, *, ti_key) -> str:  # Airflow's types
        if operator.task_id not in GATE_TASKS:
            return ""
        base = _base_url()
        return docs_links.in_ui(DATA_DOCS_ROUTE, docs_links.site_path(DATA_DOCS_SITE, base), base)


def docs_app():  # a FastAPI app
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.responses import FileResponse

    app = FastAPI(title="Social CRM docs")

    @app.get("/{section}/{path:path}", dependencies=[Depends(get_user)])
    def serve(section: str, path: str) -> FileResponse:
        found = docs_file(section, path)
        if found is None:
            raise HTTPException(404, f"no {section} page {path!r}: has the nightly run made it?")
        return FileResponse(found)

    return app


class SocialCrmDocsPlugin(AirflowPlugin):
    name = "social_crm_docs"
    global_operator_extra_links = [DbtDocsLink(), DataDocsLink()]
    external_views = [
        {
            "name": "dbt docs",
            "href": f"{DOCS_URL_PREFIX.lstrip('/')}/{DBT_SITE}",
            "destination": "nav",
            "category": "docs",
            "url_route": DBT_DOCS_ROUTE,
        },
        {
            "name": "Data Docs",
            "href": f"{DOCS_URL_PREFIX.lstrip('/')}/{DATA_DOCS_SITE}",
            "destination": "nav",
            "category": "docs",
            "url_route": DATA_DOCS_ROUTE,
        },
    ]

    @classmethod
    def on_load(cls, *args, **kwargs) -> None:
        cls.fastapi_apps = [
            {"app": docs_app(), "url_prefix": DOCS_URL_PREFIX, "name": "Social CRM docs"}
        ]
