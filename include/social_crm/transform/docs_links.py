"""Where a dbt node's documentation page is, as the Airflow UI serves it: one rule for the
"dbt docs" button of a task (plugins/social_crm_docs.py, in the API server) and the link each
dbt task prints in its log (cosmos_watchers.py, in the worker).

The plugin serves the dbt docs folder under `DOCS_URL_PREFIX` and shows the site as a page of
the Airflow UI (`/plugin/<DBT_DOCS_ROUTE>`, an iframe under the UI's own navigation). Since
Airflow 3.3.2 that page takes the framed page's path and anchor after its route
(https://github.com/apache/airflow/pull/72776, backport of #72196: "Sync the browser URL with
navigation inside iframe views"), so a node's link opens its page of the dbt site inside the
UI, on the UI's host: `/plugin/social-crm-dbt-docs/social-crm-docs/dbt/static_index.html#!/model/
model.social_crm.people`. dbt docs routes a node's page as `#!/<resource type>/<unique id>`.

Light on purpose: the API server imports it to draw a button.
"""

from __future__ import annotations

from urllib.parse import urlsplit

PROJECT = "social_crm"
DOCS_URL_PREFIX = "/social-crm-docs"
DBT_SITE = "dbt/static_index.html"
DBT_DOCS_ROUTE = "social-crm-dbt-docs"
DATA_DOCS_SITE = "data-docs/index.html"
DATA_DOCS_ROUTE = "social-crm-data-docs"

# the suffix Cosmos gives the task of each kind of dbt node (`<group>.<name><suffix>`)
_TASK_SUFFIXES = {"_run": "model", "_seed": "seed", "_snapshot": "snapshot"}


def node_of_task(task_id: str) -> str | None:
    """The dbt node (unique id) a task of a dbt group reports, by the id Cosmos gives it:
    `<group>.<model>_run`, `<group>.<seed>_seed`, `<group>.<snapshot>_snapshot`; None for any
    other task."""
    group, _, name = task_id.partition(".")
    if not group.startswith("dbt_") or "." in name:
        return None
    for suffix, resource_type in _TASK_SUFFIXES.items():
        node = name.removesuffix(suffix)
        if node and node != name:
            return f"{resource_type}.{PROJECT}.{node}"
    return None


def _origin_and_path(base_url: str) -> tuple[str, str]:
    parts = urlsplit(base_url.strip())
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return origin, parts.path.rstrip("/")


def site_path(page: str, base_url: str = "") -> str:
    """The path (on the UI's host) the plugin serves `page` of the docs folders at, under the
    path of Airflow's `[api] base_url`."""
    _, path = _origin_and_path(base_url)
    return f"{path}{DOCS_URL_PREFIX}/{page}"


def in_ui(route: str, path: str, base_url: str = "", *, absolute: bool = False) -> str:
    """The link to `path` (on the UI's host) shown inside the Airflow UI by the plugin page
    `route`. Host-relative (the UI's host, whatever name the browser used) unless `absolute`:
    then on the host of `base_url` when it names one (for a log line, read outside the
    browser too)."""
    origin, prefix = _origin_and_path(base_url)
    link = f"{prefix}/plugin/{route}{path}"
    return f"{origin}{link}" if absolute else link


def node_docs_link(unique_id: str, base_url: str = "", *, absolute: bool = False) -> str:
    """The link to the dbt docs page of node `unique_id` inside the Airflow UI (`in_ui`)."""
    resource_type = unique_id.split(".", 1)[0]
    page = f"{site_path(DBT_SITE, base_url)}#!/{resource_type}/{unique_id}"
    return in_ui(DBT_DOCS_ROUTE, page, base_url, absolute=absolute)
