"""The starter dashboards in Apache Superset, provisioned as the BI login (docs/bi.md).

`social-crm superset-provision` (compose's `superset-setup` service; `make bi` locally) zips the
dashboards kept as code in `bi/superset/` (Superset's import/export bundle: databases, datasets,
charts, dashboards), with each dataset's metrics made from the dbt semantic layer
(superset_metrics) and the database connection pointed at the warehouse as `BI_READER_USER`
(role `bi_reader`: `marts` only), and imports it through Superset's REST API
(`POST /api/v1/dashboard/import/`, overwrite on: re-running replaces, never duplicates). The
BI login's password goes to the import's `passwords` field only; it is never written to the
bundle, a file or a message.
"""

from __future__ import annotations

import io
import json
import logging
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
import yaml

from social_crm import settings
from social_crm.serve.superset_metrics import SemanticLayer, by_table
from social_crm.warehouse import WarehouseUrl

log = logging.getLogger(__name__)
BUNDLE_ROOT = "social_crm_dashboards"  # the folder inside the zip Superset expects
DATABASE_FILE = "databases/Social_CRM_marts.yaml"
PASSWORD_MASK = "XXXXXXXXXX"  # Superset's placeholder for a password given at import


class SupersetError(RuntimeError):
    pass


@dataclass(frozen=True)
class SupersetSettings:
    url: str
    admin_user: str
    admin_password: str
    warehouse: WarehouseUrl
    bi_user: str
    bi_password: str
    bundle_dir: Path
    dbt_project_dir: Path

    @classmethod
    def from_settings(cls, loaded: settings.Settings) -> SupersetSettings:
        values = {
            "SUPERSET_URL": loaded.superset_url,
            "SUPERSET_ADMIN_USER": loaded.superset_admin_user,
            "SUPERSET_ADMIN_PASSWORD": loaded.superset_admin_password,
            "WAREHOUSE_URL": loaded.warehouse_url,
            "BI_READER_USER": loaded.bi_reader_user,
            "BI_READER_PASSWORD": loaded.bi_reader_password,
        }
        given = {name: value for name, value in values.items() if value}
        missing = [name for name in values if name not in given]
        if missing:
            raise SupersetError(f"set {', '.join(missing)} (see .env.example)")
        return cls(
            url=given["SUPERSET_URL"].rstrip("/"),
            admin_user=given["SUPERSET_ADMIN_USER"],
            admin_password=given["SUPERSET_ADMIN_PASSWORD"],
            warehouse=WarehouseUrl.parse(given["WAREHOUSE_URL"]),
            bi_user=given["BI_READER_USER"],
            bi_password=given["BI_READER_PASSWORD"],
            bundle_dir=loaded.superset_bundle_dir,
            dbt_project_dir=loaded.dbt_project_dir,
        )


@dataclass(frozen=True)
class Dashboard:
    title: str
    slug: str
    url: str


def database_uri(warehouse: WarehouseUrl, bi_user: str) -> str:
    """The connection Superset saves: the warehouse as the BI login, its password masked."""
    user = quote(bi_user, safe="")
    host = f"[{warehouse.host}]" if ":" in warehouse.host else warehouse.host
    return (
        f"postgresql+psycopg2://{user}:{PASSWORD_MASK}@{host}:{warehouse.port}"
        f"/{quote(warehouse.database, safe='')}"
    )


def bundle_files(bundle_dir: Path, dbt_project_dir: Path, uri: str) -> dict[str, dict[str, Any]]:
    """The bundle's YAML documents by path: the committed files, the database's URI filled in,
    every dataset given the semantic layer's metrics on its mart."""
    files = {
        path.relative_to(bundle_dir).as_posix(): yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(bundle_dir.rglob("*.yaml"))
    }
    if DATABASE_FILE not in files or "metadata.yaml" not in files:
        raise SupersetError(f"{bundle_dir} is not a dashboard bundle (no {DATABASE_FILE})")
    files[DATABASE_FILE]["sqlalchemy_uri"] = uri
    metrics, skipped = SemanticLayer.read(dbt_project_dir).superset_metrics()
    for name, why in skipped.items():
        log.info("semantic layer metric %s not in Superset: %s", name, why)
    tables = by_table(metrics)
    for path, document in files.items():
        if path.startswith("datasets/"):
            document["metrics"] = tables.get(document["table_name"], [])
    return files


def bundle_zip(files: dict[str, dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, document in files.items():
            archive.writestr(f"{BUNDLE_ROOT}/{path}", yaml.safe_dump(document, sort_keys=False))
    return buffer.getvalue()


def dashboards_of(files: dict[str, dict[str, Any]], url: str) -> list[Dashboard]:
    return [
        Dashboard(doc["dashboard_title"], doc["slug"], f"{url}/superset/dashboard/{doc['slug']}/")
        for path, doc in files.items()
        if path.startswith("dashboards/")
    ]


def dashboards_in(bundle_dir: Path, url: str) -> list[Dashboard]:
    """The dashboards of the committed bundle, and where a Superset at `url` shows them."""
    files = {
        path.relative_to(bundle_dir).as_posix(): yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(bundle_dir.glob("dashboards/*.yaml"))
    }
    return dashboards_of(files, url)


class Client:
    """Superset's REST API as its admin (a JWT, and the CSRF token its POSTs need)."""

    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.http = requests.Session()
        self._secrets = [password]
        login = self.http.post(
            f"{self.url}/api/v1/security/login",
            json={"username": user, "password": password, "provider": "db", "refresh": False},
            timeout=60,
        )
        token = self._json(login, "admin login").get("access_token")
        self.http.headers["Authorization"] = f"Bearer {token}"
        csrf = self.get("/api/v1/security/csrf_token/", "CSRF token")["result"]
        self.http.headers.update({"X-CSRFToken": csrf, "Referer": self.url})

    def _json(self, response: requests.Response, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not response.ok:
            message = str(body.get("message") or body.get("errors") or "")[:300]
            for secret in self._secrets:
                message = message.replace(secret, "***")
            raise SupersetError(f"Superset {what}: HTTP {response.status_code} {message}".strip())
        return body if isinstance(body, dict) else {"result": body}

    def get(self, path: str, what: str) -> dict[str, Any]:
        return self._json(self.http.get(f"{self.url}{path}", timeout=60), what)

    def post(self, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        return self._json(self.http.post(f"{self.url}{path}", timeout=300, **kwargs), what)

    def import_bundle(self, archive: bytes, passwords: dict[str, str]) -> None:
        self._secrets.extend(passwords.values())
        self.post(
            "/api/v1/dashboard/import/",
            "dashboard import",
            files={"formData": (f"{BUNDLE_ROOT}.zip", archive, "application/zip")},
            data={"overwrite": "true", "passwords": json.dumps(passwords)},
        )


def wait_until_healthy(url: str, timeout_s: float = 300, every_s: float = 2) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if requests.get(f"{url}/health", timeout=10).text.strip() == "OK":
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise SupersetError(f"Superset at {url} not healthy after {timeout_s:.0f}s")
        log.info("waiting for Superset at %s ...", url)
        time.sleep(every_s)


def provision(config: SupersetSettings) -> list[Dashboard]:
    """Import (or re-import) the dashboards; returns where they are."""
    wait_until_healthy(config.url)
    files = bundle_files(
        config.bundle_dir, config.dbt_project_dir, database_uri(config.warehouse, config.bi_user)
    )
    client = Client(config.url, config.admin_user, config.admin_password)
    client.import_bundle(bundle_zip(files), {DATABASE_FILE: config.bi_password})
    return dashboards_of(files, config.url)
