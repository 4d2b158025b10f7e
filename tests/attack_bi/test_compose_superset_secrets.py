"""Attacks on the compose deployment of Superset (docker-compose.yaml, .env.example), checked as
configuration (no Docker engine here), the way tests/unit/test_docker_compose.py reads it:
a user copies .env.example to .env, generates what it says to generate, and starts compose."""

from __future__ import annotations

import re

import pytest
import yaml

from social_crm.paths import repo_root
from tests.unit.test_docker_compose import ComposeRefuses, _env_example, _fill, _user_env

# the secrets a fresh install must not share with every other install that copied the example
SHARED_BY_DEFAULT = ["SUPERSET_ADMIN_PASSWORD", "BI_READER_PASSWORD"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((repo_root() / "docker-compose.yaml").read_text())


@pytest.mark.parametrize("name", SHARED_BY_DEFAULT)
def test_env_example_gives_no_shared_superset_secret(name):
    """.env.example leaves SUPERSET_SECRET_KEY for the user to generate; a password every copy
    of the example shares is a default login (Superset is published on PUBLISH_HOST)."""
    assert _env_example(commented=False).get(name, "") == ""


def test_compose_refuses_to_start_superset_without_an_admin_password(compose):
    env = {**_user_env(), "SUPERSET_ADMIN_PASSWORD": ""}
    service_env = compose["services"]["superset"]["environment"]
    with pytest.raises(ComposeRefuses, match="SUPERSET_ADMIN_PASSWORD"):
        [_fill(value, env) for value in service_env.values()]


def test_compose_superset_command_passes_no_password_as_an_argument(compose):
    """`superset fab create-admin --password "$X"` puts the admin password in the process
    list of the host (a container's processes are the host's) on every (re)start."""
    command = " ".join(compose["services"]["superset"]["command"])
    assert not re.search(r"--password\s+\S*SUPERSET_ADMIN_PASSWORD", command)
