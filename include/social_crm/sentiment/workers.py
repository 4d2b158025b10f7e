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
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.process import BaseProcess

from social_crm import sentiment

# batches in flight per worker beyond the one it scores: one waits in its queue, so a worker
# never idles while the caller writes a result
AHEAD = 1


def _warm() -> None:
    # the workers are the parallelism: the language detector's own thread pool (rayon, one
    # thread a core, created at its first use) would only contend with the other workers
    os.environ["RAYON_NUM_THREADS"] = "1"
    sentiment.score_messages([{"id": 0, "text": "warm up", "lang": None}])


class WorkerDied(RuntimeError):
    """A scoring worker process ended while it held batches (killed, out of memory)."""


def _how_it_ended(process: BaseProcess) -> str:
    code = process.exitcode
    if code is None:
        return f"worker {process.pid} still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"worker {process.pid} killed by {name} (signal {-code})"
    return f"worker {process.pid} exited with status {code}"


def _died(processes: dict[int, BaseProcess]) -> WorkerDied:
    """The error for a pool a worker of which died: which worker, how, and what to do."""
    ended = [p for p in processes.values() if p.exitcode not in (None, 0)]
    # the pool stops the other workers with SIGTERM once one died: name the one that died
    ended = [p for p in ended if p.exitcode != -signal.SIGTERM] or ended
    how = "; ".join(_how_it_ended(p) for p in ended) or "how it ended is not known"
    return WorkerDied(
        f"a sentiment scoring worker process died ({how}). A worker killed by SIGKILL was most"
        " likely killed by the kernel's out-of-memory killer: each worker loads its own scorer"
        " (about 600 MB); lower SOCIAL_CRM_SENTIMENT_WORKERS or give the machine more memory."
        " The batches in flight were not scored (none was written in part); a rerun scores them."
    )


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
        # the worker processes as they are started (the pool forgets them once it breaks)
        processes: dict[int, BaseProcess] = {}
        try:
            for batch in batches:
                pending.append(pool.submit(sentiment.score_messages, batch))
                processes.update(getattr(pool, "_processes", None) or {})
                if len(pending) >= workers * (1 + AHEAD):
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool:
            for process in processes.values():
                process.join(timeout=5)  # its exit status is known once it is joined
            raise _died(processes) from None
        finally:
            for future in pending:  # a caller that stopped early waits for no more batches
                future.cancel()
