"""The local Airflow: home in `.local/airflow`, our dags/plugins folders, examples off.

Metadata lives in SQLite inside that home: nothing to install, and `dag.test()` and
`airflow standalone` both work with it. Production (docker-compose.yaml) uses PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from social_crm.paths import dags_dir, dbt_project_dir, local_dir, plugins_dir
from social_crm_dev import settings as dev_settings


def airflow_home() -> Path:
    home = Path(dev_settings.load().airflow_home or local_dir() / "airflow")
    home.mkdir(parents=True, exist_ok=True)
    return home


def environment() -> dict[str, str]:
    """Settings for a local Airflow; values already set in the environment win."""
    home = airflow_home()
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_dir()),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins_dir()),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "DBT_PROJECT_DIR": str(dbt_project_dir()),
        "DBT_PROFILES_DIR": str(dbt_project_dir()),
        # no usage pings from our machines (and none to wait for offline)
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "GX_ANALYTICS_ENABLED": "False",
    }
    return {key: os.environ.get(key) or value for key, value in defaults.items()}


def apply_environment() -> dict[str, str]:
    """Put the local Airflow settings into this process (call before importing airflow)."""
    env = environment()
    os.environ.update(env)
    return env


def airflow_cli() -> str:
    return str(Path(sys.executable).with_name("airflow"))


POOLS_FILE = Path(str(resources.files("social_crm.orchestration") / "airflow_pools.json"))


def _airflow(*command: str) -> None:
    env = {**os.environ, **environment()}
    proc = subprocess.run(
        [airflow_cli(), *command], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"`airflow {command[0]} {command[1]}` failed:\n{tail}")


def migrate_metadata_db() -> None:
    """Create or upgrade Airflow's metadata database and our API pools (idempotent)."""
    _airflow("db", "migrate")
    _airflow("pools", "import", str(POOLS_FILE))


def store_connections(connections: dict[str, str]) -> list[str]:
    """Save connections given as `AIRFLOW_CONN_<ID>` variables (JSON values) in the metadata
    database, replacing those of the same id, so the UI lists them and a scheduler's tasks
    find them; returns their ids. The file handed to Airflow is readable by us only and
    deleted at once."""
    prefix = "AIRFLOW_CONN_"
    found = {
        name.removeprefix(prefix).lower(): json.loads(value)
        for name, value in connections.items()
        if name.startswith(prefix)
    }
    with tempfile.TemporaryDirectory(dir=airflow_home()) as folder:
        file = Path(folder) / "connections.json"
        file.touch(mode=0o600)
        file.write_text(json.dumps(found))
        _airflow("connections", "import", "--overwrite", str(file))
    return sorted(found)
