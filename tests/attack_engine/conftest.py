"""The outside attack on the engine (landing, erasure, per-brand extraction): the end-to-end
wiring (`Pipeline`, the test world) reused, against the real simulator and a scratch database
of the real embedded PostgreSQL. Every test here needs the warehouse (`integration`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import psycopg
import pytest

from social_crm.warehouse import migrations
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.end_to_end.conftest import WORLD, Pipeline, test_x_profile


@pytest.fixture
def sim():
    with SimulatorServer(World(WORLD), x_profile=test_x_profile()) as server:
        yield server


@pytest.fixture
def db(scratch_database):
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
    return scratch_database


@pytest.fixture
def pipeline(sim, db) -> Pipeline:
    return Pipeline(sim, db)


def at_once(work: Callable, items: Sequence, timeout: float, start_together: bool = False) -> None:
    """`work(item)` for every item, each in a thread of its own (released together with
    `start_together`); raises what one of them raised."""
    start = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def run(item) -> None:
        try:
            if start_together:
                start.wait(timeout=60)
            work(item)
        except BaseException as exc:  # raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not errors, errors
