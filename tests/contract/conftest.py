"""The contract tests' canned API: a local server answering one documented payload, found by
its name in any folder of `payloads/` (names are unique across them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PAYLOAD_FILES = {p.stem: p for p in sorted((Path(__file__).parent / "payloads").rglob("*.json"))}


def documented(name: str) -> dict:
    """The documented call and answer named `name`."""
    return json.loads(PAYLOAD_FILES[name].read_text(encoding="utf-8"))


@pytest.fixture
def canned():
    """`canned(name)`: a started server answering the payload `name` (closed after the test)."""
    from tests.contract.test_contracts import CannedApi

    servers: list[CannedApi] = []

    def start(name: str) -> CannedApi:
        servers.append(CannedApi(documented(name)))
        return servers[-1]

    yield start
    for server in servers:
        server.close()
