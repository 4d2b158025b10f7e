"""Compose's demo profile, run here without Docker: the simulator service answers with paging
links naming it as the other containers reach it, and demo-setup drops the world's CRM export
and creates the connections pointing at it, keeping any connection saved before."""

import socket

import pytest
import requests

from social_crm import settings as app_settings
from social_crm_dev import compose_demo
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.integration.test_connection_setup import _delete


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def simulator():
    """The simulator service: every interface, its public URL another name than 127.0.0.1 (as
    `http://simulator:8799` is in compose)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEMO_SCALE", "0.02")
        port = _free_port()
        public = f"http://localhost:{port}"
        world = World(compose_demo.world_config())
        with SimulatorServer(world, host="0.0.0.0", port=port, public_url=public) as server:
            yield server


def test_simulator_paging_links_name_its_public_url(simulator):
    local = f"http://127.0.0.1:{simulator.port}/v27.0"
    page = requests.get(
        f"{local}/me/accounts", params={"access_token": simulator.fb_token}, timeout=30
    ).json()["data"][0]
    posts = requests.get(
        f"{local}/{page['id']}/posts",
        params={"access_token": page["access_token"], "limit": 1},
        timeout=30,
    ).json()
    assert posts["paging"]["next"].startswith(f"{simulator.url}/v27.0/")
    assert simulator.url.startswith("http://localhost:")


@pytest.fixture
def setup_env(airflow_db, monkeypatch, tmp_path):
    monkeypatch.setenv("DEMO_SCALE", "0.02")
    monkeypatch.setenv("_AIRFLOW_PROCESS_CONTEXT", "server")  # read as the API server reads
    for conn_id in app_settings.API_CONNECTIONS:
        monkeypatch.delenv(f"AIRFLOW_CONN_{conn_id.upper()}", raising=False)
        monkeypatch.delenv(f"{conn_id.upper()}_URL", raising=False)
    _delete(*app_settings.API_CONNECTIONS)
    drop = tmp_path / "crm_drop"
    drop.mkdir()
    yield drop
    _delete(*app_settings.API_CONNECTIONS)


def test_demo_setup_points_new_connections_at_the_simulator_and_keeps_saved_ones(
    simulator, setup_env, capsys
):
    from social_crm.extract import credentials
    from social_crm.extract.credentials import ApiCredentials
    from social_crm.orchestration.connection_setup import create_missing

    create_missing([ApiCredentials(credentials.X, "https://api.x.com", "a-real-bearer-token")])
    assert compose_demo.setup(simulator.url, setup_env) == 0
    facebook = credentials.resolve(credentials.FACEBOOK)
    assert (facebook.base_url, facebook.token) == (simulator.url, simulator.fb_token)
    assert credentials.resolve(credentials.INSTAGRAM).extra["hashtags"]  # the world's campaigns
    x = credentials.resolve(credentials.X)
    assert (x.base_url, x.token) == ("https://api.x.com", "a-real-bearer-token")
    printed = capsys.readouterr().out
    assert "connection x_api: exists, kept" in printed
    assert "a-real-bearer-token" not in printed and simulator.fb_token not in printed


def test_demo_setup_drops_the_crm_export_once(simulator, setup_env):
    assert compose_demo.drop_crm_export(setup_env) is True
    dropped = sorted(p.name for p in setup_env.iterdir())
    assert "customers.csv" in dropped and "orders.csv" in dropped
    (setup_env / "customers.csv").write_text("landed and edited\n")
    assert compose_demo.drop_crm_export(setup_env) is False
    assert (setup_env / "customers.csv").read_text() == "landed and edited\n"
