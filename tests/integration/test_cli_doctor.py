import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_doctor_reports_every_check_ok(warehouse_url):
    proc = subprocess.run(
        [sys.executable, "-m", "social_crm.cli", "doctor"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "[ok] settings",
        "[ok] versions",
        "[ok] warehouse",
        "[ok] airflow home",
        "[ok] dbt project",
    ]
    assert str(warehouse_url) in proc.stdout
