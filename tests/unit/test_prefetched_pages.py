"""PrefetchedPages: same pages in the same order, bounded read-ahead, errors reach the reader,
close() stops the walk."""

import threading
import time

import pytest

from social_crm.extract.http import Page
from social_crm.extract.read_ahead import PrefetchedPages


def walk(produced: list[int], pages: int, fail_at: int | None = None):
    for number in range(1, pages + 1):
        if number == fail_at:
            raise RuntimeError(f"page {number} failed")
        produced.append(number)
        yield Page([{"id": str(number)}], {}, number)


def wait_until(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_pages_arrive_in_order_and_complete():
    produced: list[int] = []
    pages = [p.number for p in PrefetchedPages(walk(produced, 25))]
    assert pages == list(range(1, 26))


def test_read_ahead_is_bounded_by_depth():
    produced: list[int] = []
    pages = iter(PrefetchedPages(walk(produced, 100), depth=2))
    assert next(pages).number == 1
    wait_until(lambda: len(produced) >= 4)
    time.sleep(0.2)  # give an unbounded walk time to run away
    # one page read, two queued, one produced and waiting for room: never the whole walk
    assert len(produced) <= 4


def test_a_failing_walk_raises_where_the_page_would_be():
    produced: list[int] = []
    seen = []
    with pytest.raises(RuntimeError, match="page 3 failed"):
        for page in PrefetchedPages(walk(produced, 10, fail_at=3)):
            seen.append(page.number)
    assert seen == [1, 2]


def test_close_stops_the_walk_thread():
    produced: list[int] = []
    before = threading.active_count()
    pages = PrefetchedPages(walk(produced, 1000), depth=1)
    wait_until(lambda: len(produced) >= 2)
    pages.close()
    wait_until(lambda: threading.active_count() == before)
    assert threading.active_count() == before
    assert len(produced) < 1000


def test_with_ahead_a_reader_that_stops_after_the_first_page_fetches_no_other():
    produced: list[int] = []
    pages = iter(PrefetchedPages(walk(produced, 10), ahead=1))
    assert next(pages).number == 1
    time.sleep(0.2)  # give a walk run ahead time to fetch more
    assert produced == [1]


def test_with_ahead_a_reader_that_goes_on_gets_every_page_in_order():
    produced: list[int] = []
    pages = [p.number for p in PrefetchedPages(walk(produced, 7), ahead=1)]
    assert pages == list(range(1, 8))
