"""Where the warehouse is and a connection to it: the PostgreSQL that `WAREHOUSE_URL` names.

There is no fallback: a worker without `WAREHOUSE_URL` fails naming it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from social_crm import settings
from social_crm.settings import WAREHOUSE_URL_ENV, WarehouseConfigError, WarehouseUrl

if TYPE_CHECKING:
    import psycopg


def resolve() -> WarehouseUrl:
    """Where the warehouse is, from `WAREHOUSE_URL`."""
    url = settings.load().warehouse_url
    if not url:
        raise WarehouseConfigError(
            f"{WAREHOUSE_URL_ENV} is not set: point it at the warehouse"
            " (postgresql://user:password@host:5432/database); on a developer machine the"
            " social-crm commands use the embedded one, and"
            ' `eval "$(social-crm warehouse env)"` exports it to this shell'
        )
    return WarehouseUrl.parse(url)


def connect() -> psycopg.Connection:
    """A psycopg 3 connection on the warehouse (for COPY and migrations)."""
    import psycopg

    return psycopg.connect(resolve().libpq())
