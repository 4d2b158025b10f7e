"""API credentials from an Airflow Connection, else from environment variables.

Connection `facebook_graph` / `instagram_graph` / `x_api`: host = base URL, password = token,
extra JSON = the options `settings.ApiOptions` validates (api_version, lookback_days, ...).
Without Airflow (CLI, tests): `FACEBOOK_GRAPH_URL` + `FACEBOOK_GRAPH_TOKEN`,
`INSTAGRAM_GRAPH_URL` + `INSTAGRAM_GRAPH_TOKEN`, `X_API_URL` + `X_API_TOKEN`.

A task asks Airflow for the connection (`airflow.sdk.Connection.get`). Outside a task (the
command line) the same connections are read the way `airflow connections get` reads them:
Airflow's search path, the secrets backend configured in `[secrets] backend` first, then the
`AIRFLOW_CONN_<ID>` environment variables, then the metadata database
(https://airflow.apache.org/docs/apache-airflow/stable/security/secrets/secrets-backend/index.html),
so a connection saved in the UI is found too. Each credential says where it was found.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from social_crm import settings

FACEBOOK = "facebook_graph"
INSTAGRAM = "instagram_graph"  # Instagram API with Facebook Login: the same Graph host
X = "x_api"


class CredentialsMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class ApiCredentials:
    connection_id: str
    base_url: str
    token: str = field(repr=False)
    extra: dict[str, Any] = field(default_factory=dict)
    # where it was found: "Airflow's metadata database (...)", "environment variable ..."
    source: str = ""


def resolve(connection_id: str) -> ApiCredentials:
    found, looked = _lookup(connection_id)
    if found is None:
        prefix = connection_id.upper()
        raise CredentialsMissing(
            f"no credentials for '{connection_id}': create the Airflow connection "
            f"'{connection_id}' (host = API base URL, password = token) or set "
            f"{prefix}_URL and {prefix}_TOKEN (looked in: {'; '.join(looked)})"
        )
    if not found.token:
        raise CredentialsMissing(
            f"connection '{connection_id}' has no token (password field; found in {found.source})"
        )
    return found


def is_configured(connection_id: str) -> bool:
    """Whether the connection (or its env vars) exists at all; a platform a brand does not
    use is simply not configured."""
    return _lookup(connection_id)[0] is not None


def _lookup(connection_id: str) -> tuple[ApiCredentials | None, list[str]]:
    """The credentials and, when none were found, where they were looked for (and which
    store could not be read)."""
    found, looked = _from_airflow(connection_id)
    if found is None:
        found = _from_env(connection_id)
        prefix = connection_id.upper()
        looked.append(f"environment variables {prefix}_URL and {prefix}_TOKEN")
    return found, looked


def _in_task() -> bool:
    """Whether this runs inside an Airflow task (the check Airflow makes itself, in
    `ensure_secrets_backend_loaded`: the task runner's channel to its supervisor is set)."""
    runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return getattr(runner, "SUPERVISOR_COMMS", None) is not None


def _from_airflow(connection_id: str) -> tuple[ApiCredentials | None, list[str]]:
    conn, where, looked = airflow_connection(connection_id)
    if conn is None:
        return None, looked
    return _credentials(connection_id, conn, where), looked


def airflow_connection(connection_id: str) -> tuple[Any | None, str, list[str]]:
    """Airflow's connection `connection_id` as a task reads it, or outside a task as
    `airflow connections get` does: (the connection or None, where it was found, where it was
    looked for in vain or could not be read)."""
    try:
        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:  # pragma: no cover - Airflow is a dependency, but stay usable without
        return None, "", ["Airflow (not installed)"]
    if _in_task():
        where = f"Airflow connection '{connection_id}'"
        try:
            return Connection.get(connection_id), where, []
        except AirflowNotFoundException:
            return None, "", [where]
    try:
        stores = _airflow_search_path(connection_id)
    except Exception as exc:  # a secrets backend configured that cannot be built
        return None, "", [f"Airflow's connection stores, not set up ({type(exc).__name__})"]
    looked: list[str] = []
    for where, backend in stores:
        try:
            conn = backend.get_connection(conn_id=connection_id)
        except PermissionError as exc:  # Airflow: a store's denial is final, none after it
            looked.append(f"{where}, which refused ({type(exc).__name__}: {exc})"[:300])
            return None, "", looked
        except Exception as exc:  # as Airflow's own lookup: the next store is asked
            first = (str(exc).strip().splitlines() or [""])[0][:160]
            looked.append(f"{where}, unreadable ({type(exc).__name__}: {first})")
            continue
        if conn is not None:
            return conn, where, looked
        looked.append(where)
    return None, "", looked


def _airflow_search_path(connection_id: str) -> list[tuple[str, Any]]:
    """Airflow's connection stores in its search order, each described for a person: the
    configured secrets backend, the `AIRFLOW_CONN_<ID>` variables, the metadata database
    (Airflow builds the list: `airflow.configuration.ensure_secrets_loaded`)."""
    from airflow.configuration import conf, ensure_secrets_loaded
    from airflow.secrets.environment_variables import EnvironmentVariablesBackend
    from airflow.secrets.metastore import MetastoreBackend

    stores = []
    for backend in ensure_secrets_loaded():
        if isinstance(backend, EnvironmentVariablesBackend):
            where = f"environment variable AIRFLOW_CONN_{connection_id.upper()}"
        elif isinstance(backend, MetastoreBackend):
            url = conf.get("database", "sql_alchemy_conn", fallback="")
            where = f"Airflow's metadata database ({_without_password(url)})"
        else:
            kind = type(backend)
            where = f"secrets backend {kind.__module__}.{kind.__qualname__}"
        stores.append((where, backend))
    return stores


def _without_password(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "its URL unreadable"


def _credentials(connection_id: str, conn: Any, where: str) -> ApiCredentials:
    host = conn.host or ""
    if "://" not in host:
        host = f"{conn.schema or 'https'}://{host}"
    host = _with_port(host, conn.port)
    return ApiCredentials(connection_id, host, conn.password or "", dict(conn.extra_dejson), where)


def _with_port(url: str, port: int | None) -> str:
    """`url` with the connection's Port field, where the Host field names none (the UI's two
    fields: "http://127.0.0.1/" and 8799 is http://127.0.0.1:8799/)."""
    parts = urlsplit(url)
    try:
        named = parts.port
    except ValueError:  # not a port: the URL as given, refused where it is used
        return url
    if not port or named is not None or not parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))


def _from_env(connection_id: str) -> ApiCredentials | None:
    found = settings.load().api_from_env(connection_id)
    if found is None:
        return None
    prefix = connection_id.upper()
    source = f"environment variables {prefix}_URL and {prefix}_TOKEN"
    return ApiCredentials(connection_id, *found, source=source)
