"""The pipeline's documentation next to its runs, in the Airflow UI.

- "dbt docs" and "Data Docs" in the navigation: the dbt docs site the nightly writes and the
  Great Expectations Data Docs of every validation, rendered inside the Airflow UI. The API
  server serves them from the folders the settings name, to logged-in users only (Data Docs
  show the rows a failed check found).
- A "dbt docs" link on each dbt task (Cosmos task ids: `cosmos_groups.model_of_task`) opening that
  model's page, and a "Data Docs" link on the quality gates (`validate_raw`,
  `validate_marts`).
"""

from __future__ import annotations

from pathlib import Path

from airflow.plugins_manager import AirflowPlugin
from airflow.sdk import BaseOperatorLink

URL_PREFIX = "/social-crm-docs"
DBT_INDEX = "dbt/static_index.html"
DATA_DOCS_INDEX = "data-docs/index.html"
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


def _docs_url(page: str) -> str:
    from airflow.configuration import conf

    base = conf.get("api", "base_url", fallback="") or ""
    return f"{base.rstrip('/')}{URL_PREFIX}/{page}"


class DbtDocsLink(BaseOperatorLink):
    name = "dbt docs"

    def get_link(self, operator, *, ti_key) -> str:  # Airflow's types
        from social_crm.transform.cosmos_groups import model_of_task

        node = model_of_task(operator.task_id)
        return _docs_url(f"{DBT_INDEX}#!/model/model.social_crm.{node}") if node else ""


class DataDocsLink(BaseOperatorLink):
    name = "Data Docs"

    def get_link(self, operator, *, ti_key) -> str:  # Airflow's types
        return _docs_url(DATA_DOCS_INDEX) if operator.task_id in GATE_TASKS else ""


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
            "href": f"{URL_PREFIX.lstrip('/')}/{DBT_INDEX}",
            "destination": "nav",
            "category": "docs",
            "url_route": "social-crm-dbt-docs",
        },
        {
            "name": "Data Docs",
            "href": f"{URL_PREFIX.lstrip('/')}/{DATA_DOCS_INDEX}",
            "destination": "nav",
            "category": "docs",
            "url_route": "social-crm-data-docs",
        },
    ]

    @classmethod
    def on_load(cls, *args, **kwargs) -> None:
        cls.fastapi_apps = [
            {"app": docs_app(), "url_prefix": URL_PREFIX, "name": "Social CRM docs"}
        ]
