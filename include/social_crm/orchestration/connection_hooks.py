"""The hooks of our connection types (connection_types.py): Airflow imports one when it checks
the type, or when a task asks for the type's hook; `get_conn()` reads the connection as the
pipeline does."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from social_crm.extract import credentials
from social_crm.orchestration import connection_types


class _ConnectionHook(BaseHook):
    """A connection of ours, read as the pipeline reads it."""

    conn_name_attr = "conn_id"
    default_conn_name = ""  # each type's: the connection of its name

    def __init__(self, conn_id: str | None = None) -> None:
        super().__init__()
        self.conn_id = conn_id or self.default_conn_name

    def get_conn(self) -> Any:
        return self.get_connection(self.conn_id)


class _ApiHook(_ConnectionHook):
    def get_conn(self) -> credentials.ApiCredentials:
        return credentials.resolve(self.conn_id)


def _hook(
    base: type[_ConnectionHook], kind: connection_types.ConnectionType
) -> type[_ConnectionHook]:
    attributes = {
        "conn_type": kind.conn_type,
        "default_conn_name": kind.conn_type,
        "hook_name": kind.name,
        "__module__": __name__,
        "__doc__": f"The `{kind.conn_type}` connection: {kind.name}.",
    }
    return type(kind.hook_class, (base,), attributes)


FacebookGraphHook = _hook(_ApiHook, connection_types.TYPES[0])
InstagramGraphHook = _hook(_ApiHook, connection_types.TYPES[1])
XApiHook = _hook(_ApiHook, connection_types.TYPES[2])
MetaWebhooksHook = _hook(_ConnectionHook, connection_types.TYPES[3])
