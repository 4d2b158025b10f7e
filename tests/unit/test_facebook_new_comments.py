"""Reading a post's comments newest first: where the read stops, and what it does when the API
answers in another order than asked."""

from datetime import UTC, datetime, timedelta

from social_crm.extract.facebook import land_new_comments
from social_crm.extract.http import Page

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class Batch:
    """What the reader hands records to (a landing batch's add and quarantine)."""

    def __init__(self) -> None:
        self.added: list[str] = []
        self.quarantined: list[str] = []

    def add(self, record) -> None:
        self.added.append(record.natural_key)

    def quarantine(self, payload: str, reason: str) -> None:
        self.quarantined.append(reason)


def comment(minute: int) -> dict:
    at = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    return {"id": f"111_{minute}", "created_time": at, "from": {"id": "4242"}, "message": "hi"}


def pages_of(minutes: list[int], size: int, asked: list[int]):
    """A walk over comments written at `minutes`, `size` a page, recording each page asked."""
    for number, start in enumerate(range(0, len(minutes), size), 1):
        asked.append(number)
        yield Page([comment(m) for m in minutes[start : start + size]], {}, number)


def test_the_read_stops_at_the_first_page_that_reaches_the_last_reads_newest():
    asked: list[int] = []
    since = T0 + timedelta(minutes=50)  # comments up to minute 50 were read before
    pages = pages_of([90, 80, 70, 60, 40, 30, 20, 10], 2, asked)
    land_new_comments("p", pages, since, Batch(), {})
    assert asked == [1, 2, 3]


def test_the_read_returns_the_newest_comments_time():
    since = T0 + timedelta(minutes=50)
    read = land_new_comments("p", pages_of([90, 80, 40], 2, []), since, Batch(), {})
    assert read == (True, T0 + timedelta(minutes=90))


def test_an_answer_oldest_first_is_refused():
    since = T0 + timedelta(minutes=50)
    assert land_new_comments("p", pages_of([10, 20, 90], 2, []), since, Batch(), {}) is None


def test_a_one_comment_first_page_is_not_enough_to_stop_on():
    # one comment shows no order: the read goes on to a second page, where oldest first shows
    since = T0 + timedelta(minutes=50)
    assert land_new_comments("p", pages_of([10, 90], 1, []), since, Batch(), {}) is None


def test_an_empty_answer_is_not_taken_for_no_new_comments():
    since = T0 + timedelta(minutes=50)
    assert land_new_comments("p", pages_of([], 2, []), since, Batch(), {}) is None


def test_an_answer_that_ends_before_reaching_the_last_reads_newest_is_all_there_is():
    since = T0 + timedelta(minutes=50)
    read = land_new_comments("p", pages_of([90, 80], 2, []), since, Batch(), {})
    assert read == (True, T0 + timedelta(minutes=90))
