"""sqlfluff (postgres dialect) is clean on every dbt model (dbt templater: the SQL the macros
emit is linted where they are called) and on the macro files themselves (Jinja templater)."""

import os
import subprocess
import sys

import pytest

from social_crm.paths import repo_root

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "folder, templater", [("dbt_project/models", "dbt"), ("dbt_project/macros", "jinja")]
)
def test_sqlfluff_lint_is_clean(warehouse_url, folder, templater):
    sqlfluff = os.path.join(os.path.dirname(sys.executable), "sqlfluff")
    proc = subprocess.run(
        [sqlfluff, "lint", folder, "--templater", templater, "--nofail"]
        + ["--format", "github-annotation"],
        cwd=repo_root(),
        env={**os.environ, **warehouse_url.dbt_env()},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() in ("", "[]"), proc.stdout
