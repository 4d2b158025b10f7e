"""peak_rss_mb measures the calling process only, even when a large process started it."""

import subprocess
import sys

CHILD = """
import sys
from social_crm_dev.process_memory import peak_rss_mb
ballast = bytearray(int(sys.argv[1]) * 2**20)  # zero-filled: every page is touched
print(peak_rss_mb())
"""


def _child_peak(allocate_mb: int) -> float:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(allocate_mb)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return float(out.strip())


def test_child_of_a_large_parent_reports_its_own_peak():
    parent_ballast = bytearray(400 * 2**20)  # this process is now over 400 MB
    small = _child_peak(0)
    large = _child_peak(200)
    assert len(parent_ballast) == 400 * 2**20
    assert small < 150, f"child reported {small:.0f} MB: the parent's size leaked in"
    assert large > small + 180, f"200 MB allocation seen as {large - small:.0f} MB"
