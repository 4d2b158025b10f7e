"""The order test modules start in (tests/start_order.py): the longest measured modules first
(without measurements, the folders that build worlds first), a module's tests together and in
their order; and the seconds per module a run measures."""

import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.start_order import (
    FOLDERS_FIRST,
    SHARED_SETUP,
    ModuleSeconds,
    in_start_order,
    measured_seconds,
)

TESTS = Path("/repo/tests")
FOLDERS = (*FOLDERS_FIRST, "unit", "contract", "simulator")


@dataclass(frozen=True)
class Item:
    path: Path
    name: str


# modules (folder, module number, how many tests) in collection order, each module's tests
# together as pytest collects them
modules = st.lists(
    st.tuples(st.sampled_from(FOLDERS), st.integers(0, 3), st.integers(1, 4)),
    min_size=1,
    max_size=12,
    unique_by=lambda m: m[:2],
)


def _items(drawn) -> list[Item]:
    return [
        Item(TESTS / folder / f"test_m{number}.py", f"test_{k}")
        for folder, number, count in drawn
        for k in range(count)
    ]


def _rank(item: Item) -> int:
    folder = item.path.parent.name
    return FOLDERS_FIRST.index(folder) if folder in FOLDERS_FIRST else len(FOLDERS_FIRST)


@given(modules)
def test_the_ordered_tests_are_the_collected_ones(drawn):
    items = _items(drawn)
    assert sorted(in_start_order(items, TESTS), key=id) == sorted(items, key=id)


@given(modules)
def test_unmeasured_the_folders_that_build_worlds_start_first(drawn):
    ranks = [_rank(item) for item in in_start_order(_items(drawn), TESTS, seconds={})]
    assert ranks == sorted(ranks)


@given(modules)
def test_a_modules_tests_stay_together_and_in_their_order(drawn):
    items = _items(drawn)
    ordered = in_start_order(items, TESTS)
    for path in {item.path for item in items}:
        at = [i for i, item in enumerate(ordered) if item.path == path]
        assert at == list(range(at[0], at[0] + len(at)))
        assert [ordered[i] for i in at] == [item for item in items if item.path == path]


@given(modules)
def test_unmeasured_within_a_folder_the_modules_with_most_tests_start_first(drawn):
    ordered = in_start_order(_items(drawn), TESTS, seconds={})
    sizes = {path: sum(item.path == path for item in ordered) for path in {i.path for i in ordered}}
    starts = [item for i, item in enumerate(ordered) if i == 0 or ordered[i - 1].path != item.path]
    keys = [(_rank(item), -sizes[item.path]) for item in starts]
    assert keys == sorted(keys)


def _module(item: Item) -> str:
    return item.path.relative_to(TESTS).as_posix()


def _starts(ordered: list[Item]) -> list[Item]:
    return [item for i, item in enumerate(ordered) if i == 0 or ordered[i - 1].path != item.path]


@given(modules, st.data())
def test_measured_modules_start_longest_first(drawn, data):
    items = _items(drawn)
    seconds = {
        _module(item): data.draw(st.floats(0, 300), label=_module(item)) for item in _starts(items)
    }
    spent = [seconds[_module(item)] for item in _starts(in_start_order(items, TESTS, seconds))]
    assert spent == sorted(spent, reverse=True)


@given(modules, st.data())
def test_a_module_not_measured_starts_as_its_folders_median(drawn, data):
    items = _items(drawn)
    starts = _starts(items)
    unmeasured = data.draw(st.sampled_from(starts))
    folder = unmeasured.path.parent.name
    seconds = {
        _module(item): data.draw(st.floats(0, 300), label=_module(item))
        for item in starts
        if item is not unmeasured
    }
    peers = [v for k, v in seconds.items() if k.startswith(folder + "/")]
    median = statistics.median(peers) if peers else 0.0
    ordered = [_module(item) for item in _starts(in_start_order(items, TESTS, seconds))]
    at = ordered.index(_module(unmeasured))
    assert all(seconds[m] >= median for m in ordered[:at])
    assert all(seconds[m] <= median for m in ordered[at + 1 :])


def test_the_committed_seconds_name_modules_as_the_order_looks_them_up():
    # (a module renamed or removed since leaves a stale entry, which orders nothing)
    repo_tests = Path(__file__).resolve().parents[1]
    modules = list(measured_seconds())
    assert [m for m in modules if not re.fullmatch(r"\w+/test_\w+\.py", m)] == []
    assert sum((repo_tests / m).is_file() for m in modules) > len(modules) / 2


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b"]), st.floats(0, 60), st.floats(0, 60)), max_size=8)
)
def test_a_modules_seconds_leave_out_the_session_fixtures_it_started(reports):
    measured = ModuleSeconds(Path("unused.json"))
    for module, own, shared in reports:
        measured.add(f"tests/unit/test_{module}.py::t", own + shared, [(SHARED_SETUP, shared)])
    for module in ("a", "b"):
        own = [o for m, o, _ in reports if m == module]
        got = measured.seconds.get(f"unit/test_{module}.py", 0.0)
        assert got == pytest.approx(sum(own), abs=1e-6)


def test_a_partial_run_updates_only_the_modules_it_ran(tmp_path):
    path = tmp_path / "module_seconds.json"
    path.write_text(json.dumps({"unit/test_a.py": 3.0, "unit/test_b.py": 4.0}))
    measured = ModuleSeconds(path)
    measured.add("tests/unit/test_b.py::t", 9.04, [])
    measured.write()
    assert json.loads(path.read_text()) == {"unit/test_a.py": 3.0, "unit/test_b.py": 9.0}
