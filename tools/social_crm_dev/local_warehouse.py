"""The embedded warehouse of the demo, the tests, the benchmark and the local Airflow.

Started only here, when a developer command asks for it; its URL is then exported as
`WAREHOUSE_URL` for this process and the processes it starts (dbt, DAG runs, Airflow), so the
pipeline itself knows one way to find its warehouse. A `WAREHOUSE_URL` already set wins.
"""

from __future__ import annotations

import os
from pathlib import Path

from social_crm import settings, warehouse
from social_crm.paths import local_dir
from social_crm_dev import embedded_postgres


def data_dir() -> Path:
    return local_dir() / "pgdata"


def use(*, start: bool = True) -> warehouse.WarehouseUrl | None:
    """The warehouse to use: `WAREHOUSE_URL` if set, else the embedded server (started when
    `start`, else only when already running; None when not running)."""
    if settings.load().warehouse_url:
        return warehouse.resolve()
    if start:
        found = embedded_postgres.ensure_running(data_dir())
    else:
        found = embedded_postgres.read_running(data_dir())
    if found is None:
        return None
    os.environ[warehouse.URL_ENV] = found.url
    return warehouse.resolve()


def is_embedded(url: warehouse.WarehouseUrl) -> bool:
    """Whether `url` is the embedded server of this checkout."""
    running = embedded_postgres.read_running(data_dir())
    return running is not None and (url.host, url.port) == (running.host, running.port)


def stop() -> bool:
    """Stop the embedded server; False when it was not running."""
    return embedded_postgres.stop(data_dir())
