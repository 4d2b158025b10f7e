"""Peak memory of the current process, for the benchmark and the flat-memory tests.

Read from VmHWM (the high-water mark of this process's own address space), not
`resource.getrusage(...).ru_maxrss`: on Linux ru_maxrss survives execve, so a child started by
a large process (pytest, or the benchmark holding a simulated world) reports its parent's size
at fork time instead of its own.
"""

from __future__ import annotations

from pathlib import Path

STATUS = Path("/proc/self/status")


def peak_rss_mb() -> float:
    for line in STATUS.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # reported in kB
    raise RuntimeError(f"no VmHWM line in {STATUS}: peak memory needs Linux /proc")
