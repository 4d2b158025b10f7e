"""A host that stopped answering is skipped for the rest of ITS check only: another check run at
the same time in the same process (a second operator's request, a test beside) probes it."""

from __future__ import annotations

import contextvars
import threading

from social_crm import check_connections
from social_crm.extract.http import ApiError


def _stall() -> str:
    error = ApiError("read timed out")
    error.timed_out = True
    raise error


def _answer() -> str:
    return "answered"


def test_a_stall_skips_the_connections_later_probes_in_the_same_check() -> None:
    def one_check() -> list[bool]:
        first = check_connections._probe("x_api", "search", _stall)
        second = check_connections._probe("x_api", "usage", _answer)
        return [first.ok, second.ok, "not run" in second.detail]

    assert contextvars.Context().run(one_check) == [False, False, True]


def test_a_stall_in_one_check_is_not_seen_by_a_check_running_beside_it() -> None:
    stalled, answered = threading.Event(), []

    def first_check() -> None:
        check_connections._probe("x_api", "search", _stall)
        stalled.set()

    def second_check() -> None:
        stalled.wait(10)
        answered.append(check_connections._probe("x_api", "search", _answer).ok)

    threads = [
        threading.Thread(target=contextvars.Context().run, args=(check,))
        for check in (first_check, second_check)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert answered == [True]
