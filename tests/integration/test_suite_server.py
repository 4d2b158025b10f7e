"""The tests' own embedded PostgreSQL (tests/conftest.py): it holds nothing kept, so it runs
without crash durability (a template copy or a dropped database then costs no checkpoint to
disk)."""

from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.integration

TESTS_OWN = Path(__file__).resolve().parents[2] / ".local" / "test"


def test_the_tests_own_server_runs_without_crash_durability(warehouse_url):
    with psycopg.connect(warehouse_url.libpq()) as conn:
        data_dir = Path(conn.execute("show data_directory").fetchone()[0]).resolve()
        found = {
            name: conn.execute(f"show {name}").fetchone()[0]
            for name in ("fsync", "full_page_writes", "synchronous_commit")
        }
    if not data_dir.is_relative_to(TESTS_OWN):
        pytest.skip(f"a server the tests were given ({data_dir}) is left as it is")
    assert found == {"fsync": "off", "full_page_writes": "off", "synchronous_commit": "off"}
