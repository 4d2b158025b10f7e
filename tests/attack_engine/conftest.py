"""The outside attack on the engine (landing, erasure, per-brand extraction): the end-to-end
wiring (`Pipeline`, the test world) reused, against the real simulator and a scratch database
of the real embedded PostgreSQL. Every test here needs the warehouse (`integration`)."""

from __future__ import annotations

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
