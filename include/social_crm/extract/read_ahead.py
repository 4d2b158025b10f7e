"""Read-ahead for page walks: the API answers the next requests while the current page lands."""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Iterator
from typing import Any

from social_crm.extract.http import Page


class PrefetchedPages:
    """A page walk run ahead by a background thread, at most `depth` pages ahead of its reader,
    so the API answers the next requests while the reader lands the current page. Memory stays
    bounded (depth pages per walk). The walk's errors are raised to the reader where the page
    would have been; `close()` stops a walk the reader no longer wants. With `ahead`, only the
    first `ahead` pages are fetched in the background, the rest as the reader asks: for a walk
    that often stops early, no request is made for a page nobody reads."""

    def __init__(self, pages: Iterator[Page], depth: int = 2, ahead: int | None = None) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stopped = threading.Event()
        self._rest = pages if ahead is not None else None
        source = itertools.islice(pages, ahead) if ahead is not None else pages
        self._thread = threading.Thread(target=self._run, args=(source,), daemon=True)
        self._thread.start()

    def _run(self, pages: Iterator[Page]) -> None:
        try:
            for page in pages:
                if not self._put(("page", page)):
                    return
            self._put(("end", None))
        except BaseException as exc:  # handed to the reader, raised there
            self._put(("error", exc))

    def _put(self, item: tuple[str, Any]) -> bool:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[Page]:
        while True:
            kind, value = self._queue.get()
            if kind == "end":
                break
            if kind == "error":
                raise value
            yield value
        if self._rest is not None:  # the background thread is done with it
            yield from self._rest

    def close(self) -> None:
        self._stopped.set()
