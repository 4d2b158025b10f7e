"""The order test modules start in (`make test` keeps it with pytest-xdist's
--no-loadscope-reorder): the longest modules first, by the seconds a run measured
(tests/module_seconds.json), so that the last modules a worker is given, while the other worker
may already be idle, are the short ones (docs/testing.md).

A module's seconds are those of its tests' setups, calls and teardowns, less the setups of the
session-scoped fixtures it happened to start (the warehouse, `extracted_once`, `built_once`):
every worker pays those once, whichever module asks first. `make test` writes what it measured
to `.local/test/module_seconds.json` (ModuleSeconds); copied over tests/module_seconds.json it
becomes the order of the next runs."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

FOLDERS_FIRST = ("end_to_end", "dags", "integration", "analytics")
MEASURED = Path(__file__).with_name("module_seconds.json")
# the user property a test's setup report carries: the seconds of the session-scoped fixtures
# that setup started (not the module's own work)
SHARED_SETUP = "shared_setup_seconds"


class _HasPath(Protocol):
    path: Path


Item = TypeVar("Item", bound=_HasPath)


def measured_seconds(path: Path = MEASURED) -> dict[str, float]:
    """The committed seconds per module (its path below tests/, with '/'), none if absent."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def in_start_order(
    items: list[Item], tests: Path, seconds: Mapping[str, float] | None = None
) -> list[Item]:
    """`items` (tests of the folder `tests`) with their modules ordered by `seconds` (the
    measured table unless given), longest first; a module not in it is estimated at the
    median of its folder's measured modules (none measured: 0). Ties (an empty table: all of
    them) go by folder (FOLDERS_FIRST, then the others), then by how many tests a module holds,
    most first. A module's tests stay together and in their order."""
    seconds = measured_seconds() if seconds is None else seconds
    counts = Counter(item.path for item in items)

    def relative(path: Path) -> tuple[str, ...]:
        return path.relative_to(tests).parts if path.is_relative_to(tests) else ("", path.name)

    by_folder: dict[str, list[float]] = defaultdict(list)
    for module, spent in seconds.items():
        by_folder[module.split("/")[0]].append(spent)
    folder_estimate = {folder: statistics.median(spent) for folder, spent in by_folder.items()}

    def estimate(path: Path) -> float:
        parts = relative(path)
        return seconds.get("/".join(parts), folder_estimate.get(parts[0], 0.0))

    def rank(path: Path) -> int:
        folder = relative(path)[0]
        return FOLDERS_FIRST.index(folder) if folder in FOLDERS_FIRST else len(FOLDERS_FIRST)

    return sorted(
        items,
        key=lambda item: (
            -estimate(item.path),
            rank(item.path),
            -counts[item.path],
            str(item.path),
        ),
    )


class SharedSetupSeconds:
    """A plugin: the seconds session-scoped fixtures take to start, carried by the setup report
    of the test that started them (SHARED_SETUP). A plugin rather than conftest hooks, which do
    not see the setups of session-scoped fixtures (their node is the session's)."""

    def __init__(self) -> None:
        self.pending = 0.0

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef) -> Generator[None, object]:
        if fixturedef.scope != "session":
            return (yield)
        started = time.perf_counter()
        try:
            return (yield)
        finally:
            self.pending += time.perf_counter() - started

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, call: pytest.CallInfo
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "setup" and self.pending:
            report.user_properties.append((SHARED_SETUP, self.pending))
            self.pending = 0.0
        return report


class ModuleSeconds(SharedSetupSeconds):
    """A plugin: seconds per module summed from the test reports (setup, call and teardown;
    under pytest-xdist, every worker's), less the session-scoped fixture setups a setup report
    names (SHARED_SETUP); written to `path` at the session's end."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.seconds: dict[str, float] = defaultdict(float)

    def add(self, nodeid: str, duration: float, user_properties: list) -> None:
        shared = sum(float(v) for k, v in user_properties if k == SHARED_SETUP)
        self.seconds[nodeid.split("::")[0].removeprefix("tests/")] += max(duration - shared, 0.0)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.add(report.nodeid, report.duration, report.user_properties)

    def pytest_sessionfinish(self) -> None:
        if self.seconds:
            self.write()

    def write(self) -> None:
        """The measured modules written to `path` over what it held (a partial run updates
        the modules it ran), rounded to tenths, sorted by module."""
        known = measured_seconds(self.path)
        known.update({module: round(spent, 1) for module, spent in self.seconds.items()})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(
            json.dumps(dict(sorted(known.items())), indent=1) + "\n", encoding="utf-8"
        )
