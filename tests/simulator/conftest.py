from pathlib import Path

import pytest

from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.truth import write_world
from social_crm_dev.simulator.world import World
from social_crm_dev.simulator.x_api import XProfile

SMALL = WorldConfig(seed=3, scale=0.05, days=30)


@pytest.fixture(scope="module")
def server():
    # pro: every endpoint; request limits reported, not enforced (walks page at size 1)
    with SimulatorServer(World(SMALL), x_profile=XProfile(window_seconds=0)) as running:
        yield running


@pytest.fixture(scope="module")
def truth_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("truth")
    write_world(World(SMALL), out, progress=lambda _: None)
    return out
