"""The fast tier (`make test-fast`, chosen by marker) holds no test that needs a server or
measures an evaluation, whatever its module says (tests/conftest.py adds the markers)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _fast_tier_expression() -> str:
    recipe = (REPO / "Makefile").read_text().split("\ntest-fast:", 1)[1]
    return re.search(r'-m "([^"]+)"', recipe).group(1)


@pytest.fixture(scope="module")
def fast_tier() -> list[str]:
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        + ["-n", "0", "-m", _fast_tier_expression()],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=300,
    )
    return [line for line in collected.stdout.splitlines() if "::" in line]


@pytest.mark.slow  # a collection of the whole suite in a new interpreter
@pytest.mark.parametrize("folder", ["end_to_end", "integration", "analytics"])
def test_the_fast_tier_holds_no_test_of_a_slow_folder(fast_tier, folder):
    assert fast_tier and [t for t in fast_tier if t.startswith(f"tests/{folder}/")] == []


@pytest.mark.slow  # a collection of the whole suite in a new interpreter
def test_the_fast_tier_holds_no_dag_run(fast_tier):
    """The DAG runs need Airflow's metadata database: marked integration by their fixture."""
    runs = ("test_backfill", "test_deadline_alert", "test_extract_dags_run", "test_live_dag_run")
    assert [t for t in fast_tier if t.split("::")[0].split("/")[-1][:-3] in runs] == []
