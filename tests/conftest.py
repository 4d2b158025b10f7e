"""Test session setup: a test-only local dir (own embedded PostgreSQL and Airflow home), and
the tiers (docs/testing.md).

Tests never touch the developer's `.local/` data: they use `.local/test/` unless
SOCIAL_CRM_LOCAL_DIR or WAREHOUSE_URL say otherwise. Under pytest-xdist (`make test` runs one
worker per core) each worker has its own dir below that one, so its own PostgreSQL server,
Airflow metadata and dbt target: workers share nothing they write. The Airflow settings are
applied before anything imports airflow.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# the session's dir (the controller's, when xdist runs workers: they inherit its environment)
os.environ.setdefault("SOCIAL_CRM_TEST_DIR", os.environ.get("SOCIAL_CRM_LOCAL_DIR") or "")
DEFAULT_TEST_DIR = REPO / ".local" / "test"
TEST_LOCAL_DIR = Path(os.environ["SOCIAL_CRM_TEST_DIR"] or DEFAULT_TEST_DIR)
TEST_LOCAL_DIR /= os.environ.get("PYTEST_XDIST_WORKER", "")
os.environ["SOCIAL_CRM_LOCAL_DIR"] = str(TEST_LOCAL_DIR)
# dbt's own output (partial parse state, run results, logs) goes there too, not into the project
os.environ["DBT_TARGET_PATH"] = str(TEST_LOCAL_DIR / "dbt_target")
os.environ["DBT_LOG_PATH"] = str(TEST_LOCAL_DIR / "dbt_logs")
# the test local dir decides where Airflow keeps its home and metadata
for name in ("AIRFLOW_HOME", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
    os.environ.pop(name, None)

from social_crm_dev import airflow_env  # noqa: E402 - must follow the environment set-up above

airflow_env.apply_environment()

from hypothesis import settings as hypothesis_settings  # noqa: E402

from tests.databases import new_database  # noqa: E402
from tests.start_order import ModuleSeconds, SharedSetupSeconds, in_start_order  # noqa: E402

# generated tests: the suite explores the same examples on every run (a red CI is a real
# finding, reproducible); HYPOTHESIS_PROFILE=soak draws new ones, many more
hypothesis_settings.register_profile("suite", deadline=None, derandomize=True, database=None)
hypothesis_settings.register_profile("soak", deadline=None, max_examples=2_000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


# --- tiers (docs/testing.md): a test's markers choose them; these rules add markers ---------
# a test that starts the warehouse or Airflow's metadata database is an integration test,
# whether or not its module says so
NEEDS_A_SERVER = frozenset({"warehouse_url", "airflow_db"})
# every test in these folders gets these markers (whatever its module says)
FOLDER_MARKERS = {
    "end_to_end": frozenset({"end_to_end", "integration"}),
    "integration": frozenset({"integration"}),
    "analytics": frozenset({"eval"}),
}


def _folder_markers(path: Path) -> frozenset[str]:
    tests = REPO / "tests"
    folder = path.relative_to(tests).parts[0] if path.is_relative_to(tests) else ""
    return FOLDER_MARKERS.get(folder, frozenset())


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A folder of FOLDER_MARKERS that `-m` deselects, whatever other markers its tests carry,
    is not imported at all (its modules import Airflow, dbt, pandas: seconds per worker)."""
    import re
    from itertools import combinations

    from _pytest.mark.expression import Expression

    folder = FOLDER_MARKERS.get(collection_path.name)
    expression = config.getoption("markexpr", "")
    if folder is None or not expression or collection_path.parent != REPO / "tests":
        return None
    names = set(re.findall(r"[A-Za-z_]\w*", expression)) - {"and", "or", "not"}
    compiled = Expression.compile(expression)
    for k in range(len(names) + 1):
        for others in combinations(sorted(names), k):
            marks = folder | set(others)
            if compiled.evaluate(lambda name, /, **_: name in marks):  # noqa: B023
                return None
    return True


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if NEEDS_A_SERVER & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        if item.get_closest_marker("eval_only"):
            item.add_marker(pytest.mark.eval)
        for name in _folder_markers(item.path):
            item.add_marker(name)
    items[:] = in_start_order(items, REPO / "tests")


def pytest_configure(config: pytest.Config) -> None:
    """Seconds per module measured on every run (tests/start_order.py), written at its end to
    the session's test dir (under pytest-xdist by the controller, which has every report)."""
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(ModuleSeconds(TEST_LOCAL_DIR / "module_seconds.json"))
    else:
        config.pluginmanager.register(SharedSetupSeconds())


@pytest.fixture(scope="session")
def warehouse_url():
    """The warehouse for integration tests (embedded unless WAREHOUSE_URL is set), bootstrapped;
    its URL is exported as WAREHOUSE_URL for the code and the processes the tests run."""
    from social_crm import warehouse
    from social_crm_dev import local_warehouse

    where = local_warehouse.use(start=True)
    if local_warehouse.is_embedded(where) and TEST_LOCAL_DIR.is_relative_to(DEFAULT_TEST_DIR):
        _without_durability(where)
    warehouse.bootstrap()
    return where


# The tests' own server (DEFAULT_TEST_DIR's; never one SOCIAL_CRM_LOCAL_DIR or WAREHOUSE_URL
# names) holds nothing kept, so it runs without what only a crash needs: PostgreSQL's
# "Non-Durable Settings" (https://www.postgresql.org/docs/current/non-durability.html).
# Each template copy (CREATE DATABASE ... STRATEGY file_copy) and DROP DATABASE forces a
# checkpoint: with fsync on they took 3-5 s each on a loaded 2-core machine, without it 0.3 s.
NON_DURABLE = {"fsync": "off", "full_page_writes": "off", "synchronous_commit": "off"}


def _without_durability(where) -> None:
    """The embedded test server (its own data dir, `.local/test`) set to NON_DURABLE, at once
    (each is reloadable) and for its next starts (ALTER SYSTEM writes its data dir's
    postgresql.auto.conf)."""
    import psycopg

    with psycopg.connect(where.libpq(), autocommit=True) as conn:
        for name, value in NON_DURABLE.items():
            conn.execute(f"alter system set {name} = {value}")
        conn.execute("select pg_reload_conf()")


@pytest.fixture
def scratch_database(warehouse_url) -> Iterator:
    """A new, empty database on the warehouse server, dropped afterwards."""
    with new_database(warehouse_url) as url:
        yield url


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Airflow's metadata database, migrated once per session."""
    airflow_env.migrate_metadata_db()
    return airflow_env.airflow_home()


@pytest.fixture
def alert_webhook(monkeypatch) -> Iterator[list[dict]]:
    """A real local HTTP server as SOCIAL_CRM_ALERT_WEBHOOK; yields the JSON bodies posted."""
    from tests.webhook import receiving_webhook

    with receiving_webhook() as (url, received):
        monkeypatch.setenv("SOCIAL_CRM_ALERT_WEBHOOK", url)
        yield received
