"""A `social-crm webhooks serve` process for tests, on a free port, its output in a file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from social_crm.receive.app import CALLBACK_PATH

BIN = Path(sys.executable).parent / "social-crm"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """One receiver process on `database` (a WarehouseUrl), with these secrets."""

    def __init__(
        self,
        database,
        log: Path,
        port: int | None = None,
        *,
        secret: str,
        token: str,
        max_bytes: int | None = None,
    ) -> None:
        self.database, self.log, self.port = database, log, port or free_port()
        self.secret, self.token, self.max_bytes = secret, token, max_bytes
        self.url = f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"
        self.process: subprocess.Popen | None = None

    def start(self) -> Receiver:
        env = {
            **os.environ,
            "WAREHOUSE_URL": self.database.libpq(),
            "META_APP_SECRET": self.secret,
            "META_WEBHOOK_VERIFY_TOKEN": self.token,
        }
        if self.max_bytes is not None:  # else the receiver's default
            env["SOCIAL_CRM_WEBHOOK_MAX_BYTES"] = str(self.max_bytes)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(BIN), "webhooks", "serve", "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url.replace(CALLBACK_PATH, "/health"), timeout=1).ok:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
            assert self.process.poll() is None, self.log.read_text()
        raise AssertionError(f"the receiver did not start: {self.log.read_text()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
