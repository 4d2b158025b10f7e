"""`social-crm doctor`: is this machine ready to run the pipeline? One line per check."""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

PACKAGES = (
    "apache-airflow",
    "astronomer-cosmos",
    "dbt-core",
    "dbt-postgres",
    "great-expectations",
    "pandas",
    "sqlalchemy",
    "psycopg",
)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _versions() -> Check:
    found, missing = [], []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            missing.append(name)
    detail = f"python {platform.python_version()}; " + ", ".join(found)
    if missing:
        detail += f"; MISSING: {', '.join(missing)} (run `make install`)"
    return Check("versions", not missing, detail)


def _warehouse() -> Check:
    from social_crm import warehouse
    from social_crm.query_results import scalar

    where = warehouse.resolve()
    with warehouse.connect() as conn:
        version = scalar(conn.execute("show server_version"))
        applied = scalar(
            conn.execute(
                "select count(*) from information_schema.tables"
                " where table_schema = 'meta' and table_name = 'schema_migrations'"
            )
        )
    state = "bootstrapped" if applied else "not bootstrapped (run `social-crm warehouse up`)"
    return Check("warehouse", True, f"{where} (PostgreSQL {version}), {state}")


def _settings() -> Check:
    from social_crm import settings

    loaded = settings.load()
    return Check("settings", True, f"valid (home {loaded.home}, local state {loaded.local_dir})")


# in a child process: importing Airflow's configuration sets up Airflow's logging in this one
AIRFLOW_CONFIG = (
    "from airflow.configuration import AIRFLOW_HOME, conf;"
    "print(AIRFLOW_HOME, conf.get('core', 'dags_folder'),"
    " 'on' if conf.getboolean('core', 'load_examples') else 'off')"
)


def _airflow_home() -> Check:
    import subprocess
    import sys

    found = subprocess.run(
        [sys.executable, "-c", AIRFLOW_CONFIG], capture_output=True, text=True, timeout=120
    )
    if found.returncode != 0:
        return Check("airflow home", False, found.stderr.strip().splitlines()[-1])
    home, dags, examples = found.stdout.split()[-3:]
    return Check("airflow home", True, f"{home} (dags: {dags}, examples {examples})")


def _dbt_project() -> Check:
    from social_crm import paths
    from social_crm.transform import dbt_runner

    dbt_runner.run("parse", extra=["--quiet"])
    return Check("dbt project", True, f"{paths.dbt_project_dir()} parses")


CHECKS: tuple[Callable[[], Check], ...] = (
    _settings,
    _versions,
    _warehouse,
    _airflow_home,
    _dbt_project,
)


def run_checks() -> list[Check]:
    results = []
    for check in CHECKS:
        name = check.__name__.strip("_").replace("_", " ")
        try:
            results.append(check())
        except Exception as exc:  # a doctor reports every failure and goes on
            results.append(Check(name, False, f"{type(exc).__name__}: {exc}"))
    return results
