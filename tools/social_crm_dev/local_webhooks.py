"""`make airflow`'s webhook receiver: `social-crm webhooks serve` in a child process next to
the Airflow components, with the simulated app's secret unless `META_APP_SECRET` is set (so
the demo world's simulator can deliver to it: docs/webhooks.md, "The simulator")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from social_crm.receive.app import CALLBACK_PATH
from social_crm_dev import settings
from social_crm_dev.simulator.webhooks import DEFAULT_APP_SECRET

LOCAL_VERIFY_TOKEN = "local-verify-token"


@contextmanager
def receiver(log_file: Path, port: int | None = None) -> Iterator[str]:
    """Run the receiver on 127.0.0.1:`port` (default WEBHOOKS_PORT or 8790); yields its
    callback URL; stops it at the end."""
    port = port or settings.load().webhooks_port
    env = dict(os.environ)
    env.setdefault("META_APP_SECRET", DEFAULT_APP_SECRET)
    env.setdefault("META_WEBHOOK_VERIFY_TOKEN", LOCAL_VERIFY_TOKEN)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "social_crm.cli", "webhooks", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(f"{base}/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        if process.poll() is not None:
            raise RuntimeError(f"the webhook receiver did not start; see {log_file}")
        yield base + CALLBACK_PATH
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
