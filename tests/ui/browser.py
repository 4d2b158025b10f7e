"""Airflow's API server (which serves the UI) started against the tests' metadata database, and
Debian's Chromium driven by Playwright, as a data engineer opens the UI after `make demo`.

Chromium is the system's (`apt-get install chromium`; .ci/run installs it), never a browser that
`playwright install` downloads: launched headless, without a sandbox (the tests run as root), a
GPU, first-run pages, background or component-update requests, with an empty profile."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
USER = "admin"
START_TIMEOUT_S = 120


def chromium() -> Path:
    """Debian's Chromium, or an error saying how to install it."""
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"{CHROMIUM} not found: the UI tests drive Debian's Chromium; install it with"
            " `apt-get install -y chromium` (.ci/run does it on CI)"
        )
    return CHROMIUM


def leaves_this_machine(url: str) -> bool:
    """A request to another host (file:, data:, blob: and this machine's addresses stay here)."""
    parts = urlsplit(url)
    return parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOCAL_HOSTS


@dataclass
class ApiServer:
    url: str
    password: str
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def api_server(folder: Path) -> Iterator[ApiServer]:
    """`airflow api-server` (one worker) on a free port of 127.0.0.1 with the local Airflow's
    settings, the simple auth manager with one admin user whose password the server generates
    into a file (as `social-crm airflow` does); its output in `folder`/api-server.log."""
    from social_crm_dev import airflow_env, local_airflow

    port = _free_port()
    passwords = folder / "simple_auth_manager_passwords.json.generated"
    env = {
        **os.environ,
        **airflow_env.environment(),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
    }
    log = folder / "api-server.log"
    command = [airflow_env.airflow_cli(), "api-server", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1"]
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield ApiServer(url=url, password=json.loads(passwords.read_text())[USER], log=log)
    finally:
        local_airflow.stop_processes([process])


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise RuntimeError(f"airflow api-server exited ({process.returncode}):\n{tail}")
        # (a server still starting may take the connection and not answer in time)
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        time.sleep(0.25)
    raise RuntimeError(f"airflow api-server not healthy after {START_TIMEOUT_S}s; see {log}")


@dataclass
class Visit:
    """What the browser did while one page was open: every request (the page's and its
    workers': the UI fetches task logs from a web worker) and the errors its console printed."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    @property
    def outside(self) -> list[str]:
        """The requests to another host (each was aborted: `browser` lets none out)."""
        return [url for url in self.requests if leaves_this_machine(url)]


@contextlib.contextmanager
def visit(context, url: str, wait_for_text: str | None = None) -> Iterator[tuple[object, Visit]]:
    """A new page of `context` (a playwright BrowserContext) at `url`, loaded: no request for
    half a second, and `wait_for_text` shown if given. Yields (page, Visit); closes the page."""
    seen = Visit()

    def on_request(request) -> None:
        seen.requests.append(request.url)

    def on_console(message) -> None:
        if message.type == "error":
            seen.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    context.on("request", on_request)
    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.console_errors.append(str(error)))
    try:
        page.goto(url, wait_until="networkidle")
        if wait_for_text is not None:
            page.get_by_text(wait_for_text).first.wait_for()
            page.wait_for_load_state("networkidle")
        yield page, seen
    finally:
        page.close()
        context.remove_listener("request", on_request)


@contextlib.contextmanager
def browser(profile: Path) -> Iterator:
    """A headless Chromium (a playwright BrowserContext) with the empty profile `profile`,
    where no request leaves this machine: those are recorded by a Visit and then aborted."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    shutil.rmtree(profile, ignore_errors=True)
    profile.mkdir(parents=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(executable),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1440, "height": 900},
        )
        context.route(
            lambda url: leaves_this_machine(url), lambda route: route.abort("blockedbyclient")
        )
        try:
            yield context
        finally:
            context.close()
