"""Connect Metabase to the published marts as the BI login (role `bi_reader`).

`social-crm metabase-connect` (the `metabase-setup` service of docker-compose) waits for
Metabase, creates its admin user on first start, and adds or updates one database connection:
the warehouse, logged in as `BI_READER_USER`, with only the `marts` schema synced. Re-running
it is safe (it updates the connection, e.g. after the BI password was rotated).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import requests

from social_crm import settings
from social_crm.warehouse import WarehouseUrl

log = logging.getLogger(__name__)
DATABASE_NAME = "Social CRM marts"


class MetabaseError(RuntimeError):
    pass


@dataclass(frozen=True)
class MetabaseSettings:
    url: str
    admin_email: str
    admin_password: str
    warehouse_host: str
    warehouse_port: int
    warehouse_db: str
    bi_user: str
    bi_password: str

    @classmethod
    def from_settings(cls, loaded: settings.Settings) -> MetabaseSettings:
        values = {
            "METABASE_URL": loaded.metabase_url,
            "METABASE_ADMIN_EMAIL": loaded.metabase_admin_email,
            "METABASE_ADMIN_PASSWORD": loaded.metabase_admin_password,
            "WAREHOUSE_URL": loaded.warehouse_url,
            "BI_READER_USER": loaded.bi_reader_user,
            "BI_READER_PASSWORD": loaded.bi_reader_password,
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise MetabaseError(f"set {', '.join(missing)} (see .env.example)")
        given = {name: value for name, value in values.items() if value}
        warehouse = WarehouseUrl.parse(given["WAREHOUSE_URL"])
        return cls(
            url=given["METABASE_URL"].rstrip("/"),
            admin_email=given["METABASE_ADMIN_EMAIL"],
            admin_password=given["METABASE_ADMIN_PASSWORD"],
            warehouse_host=warehouse.host,
            warehouse_port=warehouse.port,
            warehouse_db=warehouse.database,
            bi_user=given["BI_READER_USER"],
            bi_password=given["BI_READER_PASSWORD"],
        )


def database_payload(settings: MetabaseSettings) -> dict:
    """Metabase's description of our warehouse: the BI login, and the `marts` schema only."""
    return {
        "engine": "postgres",
        "name": DATABASE_NAME,
        "details": {
            "host": settings.warehouse_host,
            "port": settings.warehouse_port,
            "dbname": settings.warehouse_db,
            "user": settings.bi_user,
            "password": settings.bi_password,
            "ssl": False,
            "schema-filters-type": "inclusion",
            "schema-filters-patterns": "marts",
        },
        "is_full_sync": True,
    }


def wait_until_healthy(url: str, timeout_s: float = 600, every_s: float = 5) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if requests.get(f"{url}/api/health", timeout=10).json().get("status") == "ok":
                return
        except (requests.RequestException, ValueError):
            pass
        if time.monotonic() > deadline:
            raise MetabaseError(f"Metabase at {url} not healthy after {timeout_s:.0f}s")
        log.info("waiting for Metabase at %s ...", url)
        time.sleep(every_s)


def _check(response: requests.Response, what: str) -> Any:
    """The JSON body of a successful answer."""
    if not response.ok:
        # Metabase echoes request fields in some errors: keep only the status and a short text
        raise MetabaseError(f"Metabase {what}: HTTP {response.status_code}")
    return response.json()


def _object(response: requests.Response, what: str) -> dict[str, Any]:
    body = _check(response, what)
    if not isinstance(body, dict):
        raise MetabaseError(f"Metabase {what}: a JSON {type(body).__name__}, not an object")
    return body


def _databases(listed: Any) -> list[dict[str, Any]]:
    """The databases of `GET /api/database`: a list in older Metabase versions, a page
    (`{"data": [...], "total": n}`) in newer ones."""
    databases = listed.get("data") if isinstance(listed, dict) else listed
    if not isinstance(databases, list) or not all(isinstance(d, dict) for d in databases):
        raise MetabaseError("Metabase list databases: neither a list nor a page of databases")
    return databases


def connect(settings: MetabaseSettings) -> str:
    """Add or update our database in Metabase; returns what was done."""
    wait_until_healthy(settings.url)
    http = requests.Session()
    properties = _object(http.get(f"{settings.url}/api/session/properties"), "properties")
    database = database_payload(settings)
    if not properties.get("has-user-setup"):
        _check(
            http.post(
                f"{settings.url}/api/setup",
                json={
                    "token": properties["setup-token"],
                    "user": {
                        "email": settings.admin_email,
                        "password": settings.admin_password,
                        "first_name": "Social CRM",
                        "last_name": "Admin",
                    },
                    "prefs": {"site_name": "Social CRM", "allow_tracking": False},
                    "database": database,
                },
            ),
            "first-time setup",
        )
        return f"Metabase set up with database {DATABASE_NAME!r} as {settings.bi_user}"
    session = _object(
        http.post(
            f"{settings.url}/api/session",
            json={"username": settings.admin_email, "password": settings.admin_password},
        ),
        "admin login",
    )
    http.headers["X-Metabase-Session"] = session["id"]
    listed = _check(http.get(f"{settings.url}/api/database"), "list databases")
    existing = [d for d in _databases(listed) if d.get("name") == DATABASE_NAME]
    if existing:
        database_id = existing[0]["id"]
        _check(http.put(f"{settings.url}/api/database/{database_id}", json=database), "update")
        return f"Metabase database {DATABASE_NAME!r} updated (login {settings.bi_user})"
    _check(http.post(f"{settings.url}/api/database", json=database), "add database")
    return f"Metabase database {DATABASE_NAME!r} added (login {settings.bi_user})"
