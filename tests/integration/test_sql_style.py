"""sqlfluff (dbt templater, postgres dialect) is clean on every dbt model."""

import os
import subprocess
import sys

import pytest

from social_crm.paths import repo_root

pytestmark = pytest.mark.integration


def test_sqlfluff_lint_is_clean(warehouse_url):
    sqlfluff = os.path.join(os.path.dirname(sys.executable), "sqlfluff")
    proc = subprocess.run(
        [sqlfluff, "lint", "dbt_project/models", "--nofail", "--format", "github-annotation"],
        cwd=repo_root(),
        env={**os.environ, **warehouse_url.dbt_env()},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() in ("", "[]"), proc.stdout
