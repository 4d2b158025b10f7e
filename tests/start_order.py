"""The order test modules start in (`make test` keeps it with pytest-xdist's
--no-loadscope-reorder): the folders whose modules build worlds or run builds first, so that
the last modules a worker is given, while the other worker may already be idle, are the short
ones of the other folders (docs/testing.md)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Protocol, TypeVar

FOLDERS_FIRST = ("end_to_end", "dags", "integration", "analytics")


class _HasPath(Protocol):
    path: Path


Item = TypeVar("Item", bound=_HasPath)


def in_start_order(items: list[Item], tests: Path) -> list[Item]:
    """`items` (tests of the folder `tests`) with their modules ordered by folder
    (FOLDERS_FIRST, then the others) and those of a folder by how many tests they hold, most
    first (pytest-xdist's own order); a module's tests stay together and in their order."""
    counts = Counter(item.path for item in items)

    def rank(path: Path) -> int:
        folder = path.relative_to(tests).parts[0] if path.is_relative_to(tests) else ""
        return FOLDERS_FIRST.index(folder) if folder in FOLDERS_FIRST else len(FOLDERS_FIRST)

    return sorted(items, key=lambda item: (rank(item.path), -counts[item.path], str(item.path)))
