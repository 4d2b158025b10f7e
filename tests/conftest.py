"""Test session setup: a test-only local dir (own embedded PostgreSQL and Airflow home).

Tests never touch the developer's `.local/` data: they use `.local/test/` unless
SOCIAL_CRM_LOCAL_DIR or WAREHOUSE_URL say otherwise. The Airflow settings are applied before
anything imports airflow.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("SOCIAL_CRM_LOCAL_DIR", str(REPO / ".local" / "test"))
os.environ.pop("AIRFLOW_HOME", None)  # the test local dir decides

from social_crm import airflow_env  # noqa: E402 - must follow the environment set-up above

airflow_env.apply_environment()


@pytest.fixture(scope="session")
def warehouse_url():
    """The warehouse for integration tests (embedded unless WAREHOUSE_URL is set), bootstrapped."""
    from social_crm import warehouse

    warehouse.bootstrap()
    return warehouse.resolve()


@pytest.fixture
def scratch_database(warehouse_url) -> Iterator:
    """A new, empty database on the warehouse server, dropped afterwards."""
    import dataclasses

    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = warehouse_url.libpq()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        yield dataclasses.replace(warehouse_url, database=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Airflow's metadata database, migrated once per session."""
    airflow_env.migrate_metadata_db()
    return airflow_env.airflow_home()
