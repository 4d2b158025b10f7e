"""API credentials from an Airflow Connection, else from environment variables.

Connection `facebook_graph` / `instagram_graph` / `x_api`: host = base URL, password = token,
extra JSON = the options `settings.ApiOptions` validates (api_version, lookback_days, ...).
Without Airflow (CLI, tests): `FACEBOOK_GRAPH_URL` + `FACEBOOK_GRAPH_TOKEN`,
`INSTAGRAM_GRAPH_URL` + `INSTAGRAM_GRAPH_TOKEN`, `X_API_URL` + `X_API_TOKEN`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


def resolve(connection_id: str) -> ApiCredentials:
    found = _from_airflow(connection_id) or _from_env(connection_id)
    if found is None:
        prefix = connection_id.upper()
        raise CredentialsMissing(
            f"no credentials for '{connection_id}': create the Airflow connection "
            f"'{connection_id}' (host = API base URL, password = token) or set "
            f"{prefix}_URL and {prefix}_TOKEN"
        )
    if not found.token:
        raise CredentialsMissing(f"connection '{connection_id}' has no token (password field)")
    return found


def is_configured(connection_id: str) -> bool:
    """Whether the connection (or its env vars) exists at all; a platform a brand does not
    use is simply not configured."""
    return (_from_airflow(connection_id) or _from_env(connection_id)) is not None


def _from_airflow(connection_id: str) -> ApiCredentials | None:
    try:
        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:  # pragma: no cover - Airflow is a dependency, but stay usable without
        return None
    try:
        conn = Connection.get(connection_id)
    except AirflowNotFoundException:
        return None
    host = conn.host or ""
    if conn.port and "://" in host and host.count(":") == 1:
        host = f"{host}:{conn.port}"
    if "://" not in host:
        scheme = conn.schema or "https"
        host = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
    return ApiCredentials(connection_id, host, conn.password or "", dict(conn.extra_dejson))


def _from_env(connection_id: str) -> ApiCredentials | None:
    found = settings.load().api_from_env(connection_id)
    if found is None:
        return None
    return ApiCredentials(connection_id, *found)
