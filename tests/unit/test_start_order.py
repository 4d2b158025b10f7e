"""The order test modules start in (tests/start_order.py): the folders that build worlds
first, a module's tests together and in their order."""

from dataclasses import dataclass
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.start_order import FOLDERS_FIRST, in_start_order

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
def test_the_folders_that_build_worlds_start_first(drawn):
    ranks = [_rank(item) for item in in_start_order(_items(drawn), TESTS)]
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
def test_within_a_folder_the_modules_with_most_tests_start_first(drawn):
    ordered = in_start_order(_items(drawn), TESTS)
    sizes = {path: sum(item.path == path for item in ordered) for path in {i.path for i in ordered}}
    starts = [item for i, item in enumerate(ordered) if i == 0 or ordered[i - 1].path != item.path]
    keys = [(_rank(item), -sizes[item.path]) for item in starts]
    assert keys == sorted(keys)
