"""The warehouse: the PostgreSQL that `WAREHOUSE_URL` names, its schemas and its BI login.

Everything (landing, dbt, Great Expectations, the CLI) asks this package where the warehouse
is, so one setting points the whole pipeline at a PostgreSQL. There is no fallback: a worker
without `WAREHOUSE_URL` fails naming it. The embedded PostgreSQL of the demo and the tests is
started only when asked for (`social-crm warehouse up`, `make demo`, `make test`), by the
developer tooling, which then sets `WAREHOUSE_URL` for its processes.

The modules: connection.py (resolve, connect), introspection.py (relation_oid, analyze,
visibility_horizon), provision.py (bootstrap: migrations and the BI login), migrations/
(ordered SQL), bi_login.py (the BI tool's login role). `settings.WarehouseUrl` parses what
`WAREHOUSE_URL` says. Their names are here too, so `warehouse.connect()` reads as it did.
"""

from __future__ import annotations

from social_crm.settings import WAREHOUSE_URL_ENV as URL_ENV
from social_crm.settings import WarehouseConfigError, WarehouseUrl
from social_crm.warehouse.connection import connect, resolve
from social_crm.warehouse.introspection import (
    HIDDEN_TRANSACTIONS_OVERLAP,
    analyze,
    relation_oid,
    visibility_horizon,
)
from social_crm.warehouse.provision import bootstrap

__all__ = [
    "HIDDEN_TRANSACTIONS_OVERLAP",
    "URL_ENV",
    "WarehouseConfigError",
    "WarehouseUrl",
    "analyze",
    "bootstrap",
    "connect",
    "relation_oid",
    "resolve",
    "visibility_horizon",
]
