"""Airflow's connection form knows the type of every connection the pipeline reads: the metadata
the UI renders the form from (the API's /ui/connections/hook_meta) lists it with its host and
password fields, so editing `facebook_graph` shows them instead of "Select Connection Type"."""

import importlib

import pytest

from social_crm.extract import credentials
from social_crm.receive import config as receiver_config

API_CONNECTIONS = (credentials.FACEBOOK, credentials.INSTAGRAM, credentials.X)


@pytest.fixture(scope="module")
def hook_meta():
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    return {meta.connection_type: meta for meta in HookMetaService.hook_meta_data()}


@pytest.mark.parametrize("connection_id", API_CONNECTIONS)
def test_api_connection_type_shows_host_and_password(hook_meta, connection_id):
    meta = hook_meta.get(connection_id)
    assert meta is not None, f"Airflow knows no connection type {connection_id!r}"
    fields = meta.standard_fields
    assert fields.host is None or not fields.host.hidden
    assert fields.password is None or not fields.password.hidden
    assert fields.host.placeholder.startswith("https://")  # the official API host


def test_webhook_connection_type_shows_the_secret_field(hook_meta):
    meta = hook_meta.get(receiver_config.CONNECTION)
    assert meta is not None, f"Airflow knows no connection type {receiver_config.CONNECTION!r}"
    assert not meta.standard_fields.password.hidden


@pytest.mark.parametrize("connection_id", API_CONNECTIONS)
def test_connection_type_hook_is_found_by_the_task_runtime(connection_id, monkeypatch):
    """The hook the task runtime finds for the type (Airflow imports and checks it) carries
    the type, and reads the connection as the pipeline does (`credentials`)."""
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    info = ProvidersManagerTaskRuntime().hooks[connection_id]
    assert info is not None and info.connection_type == connection_id
    assert info.package_name == "social-crm"
    module, name = info.hook_class_name.rsplit(".", 1)
    hook_class = getattr(importlib.import_module(module), name)
    monkeypatch.setenv(f"{connection_id.upper()}_URL", "https://api.example.com")
    monkeypatch.setenv(f"{connection_id.upper()}_TOKEN", "token-from-env")
    assert hook_class().get_conn() == credentials.resolve(connection_id)


def test_connections_the_demo_saves_are_of_types_airflow_knows(hook_meta):
    import json

    from social_crm_dev.demo import connection_env

    saved = connection_env("http://127.0.0.1:8799", days=10)
    types = {name: json.loads(value)["conn_type"] for name, value in saved.items()}
    assert {name: kind for name, kind in types.items() if kind not in hook_meta} == {}


@pytest.mark.slow
def test_provider_info_module_imports_before_airflow_is_configured():
    """Airflow loads the provider info while it configures itself: a process that imports our
    module first (compose's airflow-init does) must not import Airflow in the middle of it."""
    import subprocess
    import sys

    code = (
        "import social_crm.orchestration.connection_types, sys\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'airflow'], 'airflow imported'\n"
        "from airflow.providers_manager import ProvidersManager\n"
        "assert 'facebook_graph' in ProvidersManager().hooks\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
