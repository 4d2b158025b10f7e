"""Scoring batches of messages in worker processes: scoring is Python (the language detector,
tokenising, the lexicons), so one process uses one core. `scored_batches` scores each batch it
is given in one of `workers` processes and gives the results back in the batches' order, with
at most a few batches in flight: a caller that streams batches in and writes each out keeps
flat memory at any volume. One worker scores in the calling process.

The workers are started by spawning (not forking): the parent may hold a database connection
and the language detector's thread pool, neither of which survives a fork. Each worker loads
the scorer once (a second or two, the language models) and keeps it for every batch.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from social_crm import sentiment

# batches in flight per worker beyond the one it scores: one waits in its queue, so a worker
# never idles while the caller writes a result
AHEAD = 1


def _warm() -> None:
    # the workers are the parallelism: the language detector's own thread pool (rayon, one
    # thread a core, created at its first use) would only contend with the other workers
    os.environ["RAYON_NUM_THREADS"] = "1"
    sentiment.score_messages([{"id": 0, "text": "warm up", "lang": None}])


def scored_batches(batches: Iterable[list[dict]], workers: int) -> Iterator[list[dict]]:
    """`sentiment.score_messages` of each batch, in order, scored in `workers` processes."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1 (got {workers})")
    if workers == 1:
        yield from (sentiment.score_messages(batch) for batch in batches)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_warm) as pool:
        pending: deque[Future[list[dict]]] = deque()
        try:
            for batch in batches:
                pending.append(pool.submit(sentiment.score_messages, batch))
                if len(pending) >= workers * (1 + AHEAD):
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:  # a caller that stopped early waits for no more batches
                future.cancel()
