"""A scoring worker of `social-crm sentiment score` killed from outside (as the kernel's
out-of-memory killer kills the largest process: each worker holds its own ~600 MB scorer) while
two score: the run fails with an error that names the worker and how it died, and every line
written out is a whole scored message."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil


def _lines(n: int) -> str:
    return "".join(
        json.dumps({"id": i, "text": f"Kawa numer {i} była zimna, nie polecam", "lang": None})
        + "\n"
        for i in range(n)
    )


def test_a_killed_sentiment_worker_fails_the_run_naming_the_worker_and_signal(tmp_path: Path):
    out, err = tmp_path / "out.jsonl", tmp_path / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        run = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("social-crm")),
                "sentiment",
                "score",
                "--batch-size",
                "500",
            ],
            stdin=subprocess.PIPE,
            stdout=stdout,
            stderr=stderr,
            text=True,
            env={**os.environ, "SOCIAL_CRM_SENTIMENT_WORKERS": "2"},
        )
        try:
            run.stdin.write(_lines(2_000))
            run.stdin.flush()
            # the workers have scored: their results came out
            deadline = time.monotonic() + 240
            while "lines scored" not in err.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
            workers = [
                c
                for c in psutil.Process(run.pid).children(recursive=True)
                if "multiprocessing" in " ".join(c.cmdline())
                and "resource_tracker" not in " ".join(c.cmdline())
            ]
            assert workers, "no worker process found"
            os.kill(workers[0].pid, signal.SIGKILL)
            time.sleep(1)
            try:  # the run may have stopped reading already
                run.stdin.write(_lines(2_000))
                run.stdin.close()
            except BrokenPipeError:
                pass
            code = run.wait(timeout=240)
        finally:
            if run.poll() is None:
                run.kill()
    errors = err.read_text()
    assert code != 0
    # nothing half-written: every line out is a whole scored message
    assert all(json.loads(line)["sentiment"] for line in out.read_text().splitlines())
    # a clear error: it says that a sentiment worker died and how (killed: out of memory?),
    # not only that "a child process terminated abruptly" (which child, of what, why?)
    lowered = errors.lower()
    assert "worker" in lowered and any(
        word in lowered for word in ("sigkill", "signal 9", "killed", "memory")
    ), errors[-2000:]
