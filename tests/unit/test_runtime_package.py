"""The production image installs the pipeline package from the runtime lock: no developer
tooling, test or lint code in it, and the same versions the tests ran with."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLING = ("social_crm_dev", "pytest", "_pytest", "ruff", "sqlfluff", "pgserver")

# imports every module of the package, then prints the top-level modules that got imported
IMPORT_ALL = """
import importlib, pkgutil, sys
import social_crm
for module in pkgutil.walk_packages(social_crm.__path__, "social_crm."):
    importlib.import_module(module.name)
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _pins(lock: str) -> dict[str, str]:
    text = (REPO / lock).read_text()
    return dict(re.findall(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", text, flags=re.MULTILINE))


@pytest.mark.slow  # a new interpreter imports the whole package
def test_importing_every_module_of_the_package_loads_no_tooling_test_or_lint_code():
    loaded = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "social_crm" in loaded
    assert sorted(set(loaded) & set(TOOLING)) == []


def test_the_runtime_lock_holds_no_tooling_test_or_lint_package():
    tooling = {"pgserver", "pytest", "pytest-timeout", "ruff", "sqlfluff", "sqlfluff-templater-dbt"}
    assert set(_pins("requirements.lock")) & tooling == set()


def test_the_runtime_lock_pins_the_versions_the_tests_run_with():
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert {name: version for name, version in runtime.items() if dev.get(name) != version} == {}


def test_the_image_installs_the_runtime_lock_and_the_package_alone():
    """The production stage; compose's demo profile builds the `demo` stage on top of it."""
    dockerfile = (REPO / "Dockerfile").read_text()
    production = dockerfile.split("\nFROM production AS demo")[0]
    instructions = "\n".join(line for line in production.splitlines() if not line.startswith("#"))
    assert "pip install --no-cache-dir -r /opt/airflow/project/requirements.lock" in instructions
    assert "requirements-dev.lock" not in instructions and "tools" not in instructions
    assert "requirements-dev.lock" not in dockerfile
