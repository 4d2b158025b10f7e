"""docker-compose.yaml is for production users: we check its structure, not run it."""

import re
import subprocess

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from social_crm.orchestration import connection_types
from social_crm.paths import repo_root
from social_crm.settings import load as load_settings
from tests.settings_read import every_setting_read

AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
OTHER_SERVICES = {
    "redis",
    "airflow-metadata-db",
    "warehouse-db",
    "superset",
    "superset-setup",
    "webhooks",
    "simulator",
    "demo-setup",
}
DEMO_SERVICES = {"simulator", "demo-setup"}
# what a user generates into .env (docs/compose.md): compose refuses to start without them
# (the service that refuses)
GENERATED = {
    "AIRFLOW_FERNET_KEY": "airflow-scheduler",
    "AIRFLOW_JWT_SECRET": "airflow-scheduler",
    "SUPERSET_SECRET_KEY": "superset",
    "SUPERSET_ADMIN_PASSWORD": "superset",
    "BI_READER_PASSWORD": "airflow-scheduler",
    # database passwords: a default in the example is every install's password
    "AIRFLOW_DB_PASSWORD": "airflow-metadata-db",
    "WAREHOUSE_PASSWORD": "warehouse-db",
}
MOUNTS = {
    "./dags": "/opt/airflow/dags",
    "./include": "/opt/airflow/project/include",
    "./plugins": "/opt/airflow/plugins",
    "./dbt_project": "/opt/airflow/dbt_project",
}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((repo_root() / "docker-compose.yaml").read_text())


def test_all_services_present_with_healthchecks(compose):
    services = compose["services"]
    for name in [*AIRFLOW_SERVICES, *OTHER_SERVICES]:
        assert name in services, f"missing service {name}"
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_airflow_services_run_their_component_with_celery_and_our_folders(compose):
    for name, command in AIRFLOW_SERVICES.items():
        service = compose["services"][name]
        assert service["command"] == command
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
        assert "@airflow-metadata-db/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert "@warehouse-db:5432/" in env["WAREHOUSE_URL"]
        mounts = dict(volume.split(":", 1) for volume in service["volumes"] if volume[0] == ".")
        for host, container in MOUNTS.items():
            assert mounts.get(host) == container, f"{name} does not mount {host}"
        assert env["DBT_PROJECT_DIR"] == MOUNTS["./dbt_project"]


def test_metadata_and_warehouse_databases_are_separate_with_volumes(compose):
    services = compose["services"]
    meta, wh = services["airflow-metadata-db"], services["warehouse-db"]
    assert meta["volumes"][0].split(":")[0] in compose["volumes"]
    assert wh["volumes"][0].split(":")[0] in compose["volumes"]
    assert meta["volumes"][0] != wh["volumes"][0]


def _env_example(commented: bool) -> dict[str, str]:
    """NAME=value lines of .env.example (with `commented`, also the optional `# NAME=` ones)."""
    pattern = r"^(# )?([A-Z][A-Z0-9_]*)=(.*)$"
    found = {}
    for line in (repo_root() / ".env.example").read_text().splitlines():
        match = re.match(pattern, line)
        if match and (commented or not match.group(1)):
            found[match.group(2)] = match.group(3).split("  ")[0].strip()
    return found


class ComposeRefuses(Exception):
    """What `docker compose` prints when a ${VAR:?message} is unset or empty."""


def _user_env(**values: str) -> dict[str, str]:
    """.env as a user makes it: .env.example with the generated secrets filled in."""
    return {**_env_example(commented=False), **dict.fromkeys(GENERATED, "generated"), **values}


def _fill(value: object, env: dict[str, str]) -> str:
    """A compose value with its ${VAR}, ${VAR:-default} and ${VAR:?message} filled from `env`
    as compose fills them from .env (unset means empty; `:-` gives the default when unset or
    empty; `:?` refuses with the message), per
    https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/"""

    def one(match: re.Match) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3)
        value = env.get(name, "")
        if kind == ":-":
            return value or rest
        if kind == ":?" and not value:
            raise ComposeRefuses(f"required variable {name} is missing a value: {rest}")
        return value

    return re.sub(r"(?<!\$)\$\{([A-Z_0-9]+)(?:(:-|:\?)([^}]*))?\}", one, str(value))


def test_every_variable_compose_reads_is_set_in_env_example():
    text = (repo_root() / "docker-compose.yaml").read_text()
    required = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(?:\}|:\?)", text))  # $${X}: escaped
    optional = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*):-", text))
    assert required - set(_env_example(commented=False)) == set()
    assert optional - set(_env_example(commented=True)) == set()


def test_every_setting_the_code_reads_is_documented_in_env_example():
    asked = every_setting_read()
    not_ours = {"AIRFLOW_HOME"}  # Airflow's own
    assert asked - not_ours - set(_env_example(commented=True)) == set()
    assert {"WAREHOUSE_URL", "SOCIAL_CRM_ALERT_WEBHOOK", "X_API_URL", "DEMO_SCALE"} <= asked


def _superset_setup_settings(compose):
    from social_crm.serve import superset

    env = _user_env()
    setup = compose["services"]["superset-setup"]
    setup_env = {key: _fill(value, env) for key, value in setup["environment"].items()}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in setup_env.items():
            patch.setenv(key, value)
        return superset.SupersetSettings.from_settings(load_settings()), env


def test_superset_setup_provisions_after_superset_and_the_bi_login(compose):
    services = compose["services"]
    setup = services["superset-setup"]
    assert setup["command"] == ["python", "-m", "social_crm.cli", "superset-provision"]
    assert setup["depends_on"]["superset"]["condition"] == "service_healthy"
    assert setup["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    # the login is created by `social-crm warehouse up` in airflow-init, from the same settings
    assert "social-crm warehouse up" in " ".join(services["airflow-init"]["command"])


def test_superset_connects_to_the_warehouse_as_the_bi_reader_login(compose):
    from social_crm.serve import superset

    settings, env = _superset_setup_settings(compose)
    assert settings.url == "http://superset:8088"
    uri = superset.database_uri(settings.warehouse, settings.bi_user)
    assert uri == (
        f"postgresql+psycopg2://{env['BI_READER_USER']}:{superset.PASSWORD_MASK}"
        f"@warehouse-db:5432/{env['WAREHOUSE_DB']}"
    )
    assert env["BI_READER_USER"] != env["WAREHOUSE_USER"]


def test_superset_setup_reads_the_dashboards_of_the_checkout(compose):
    settings, _ = _superset_setup_settings(compose)
    mounts = dict(
        volume.split(":")[:2] for volume in compose["services"]["superset-setup"]["volumes"]
    )
    assert mounts["./bi"] == str(settings.bundle_dir.parent)
    assert settings.bundle_dir.name == "superset"


def test_superset_image_is_the_locked_release_with_the_postgres_driver(compose):
    build = compose["services"]["superset"]["build"]
    dockerfile = (repo_root() / build["dockerfile"]).read_text()
    lock = (repo_root() / "bi" / "requirements.lock").read_text()
    version = re.search(r"^apache-superset==(\S+)$", lock, re.MULTILINE).group(1)
    assert re.search(rf"^FROM apache/superset:{re.escape(version)}$", dockerfile, re.MULTILINE)
    assert "psycopg2-binary" in dockerfile and "/app/.venv/bin/python" in dockerfile


def test_superset_and_its_setup_share_the_admin_login(compose):
    services = compose["services"]
    env = _user_env()
    for name in ("SUPERSET_ADMIN_USER", "SUPERSET_ADMIN_PASSWORD"):
        assert _fill(services["superset"]["environment"][name], env) == _fill(
            services["superset-setup"]["environment"][name], env
        )


def test_compose_warehouse_url_is_what_the_code_accepts(compose):
    from social_crm.warehouse import WarehouseUrl

    template = compose["services"]["airflow-scheduler"]["environment"]["WAREHOUSE_URL"]
    parsed = WarehouseUrl.parse(_fill(template, _user_env()))
    assert (parsed.host, parsed.port) == ("warehouse-db", 5432)


def test_the_webhook_receiver_runs_the_cli_with_its_secrets_and_a_health_check(compose):
    from social_crm.receive.app import CALLBACK_PATH
    from social_crm.receive.config import resolve

    hooks = compose["services"]["webhooks"]
    command = hooks["command"]
    assert command[:5] == ["python", "-m", "social_crm.cli", "webhooks", "serve"]
    port = command[command.index("--port") + 1]
    assert command[command.index("--host") + 1] == "0.0.0.0"  # reachable from the proxy
    assert f"http://localhost:{port}/health" in hooks["healthcheck"]["test"]
    assert hooks["ports"] == [f"${{PUBLISH_HOST:-127.0.0.1}}:${{WEBHOOKS_PORT:-8790}}:{port}"]
    assert hooks["depends_on"]["warehouse-db"]["condition"] == "service_healthy"
    assert hooks["profiles"] == ["webhooks"]  # opt in: no receiver without its secrets
    example = {**_user_env(), "META_APP_SECRET": "s"}
    example["META_WEBHOOK_VERIFY_TOKEN"] = "t"
    env = {k: _fill(v, example) for k, v in hooks["environment"].items()}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        config = resolve()
    assert (config.app_secret, config.verify_token) == ("s", "t")
    assert CALLBACK_PATH == "/webhooks/meta"


# --- connections: created once in Airflow's database, edited in the UI --------------------


def _airflow_conn_variables(text: str) -> list[str]:
    return re.findall(r"(?m)^\s*(?:#\s*)?(AIRFLOW_CONN_[A-Z0-9_]*)\s*[=:]", text)


def test_env_example_sets_no_airflow_connection_variable():
    """An AIRFLOW_CONN_* variable wins over the connection of the same id in Airflow's
    database and is never shown in the UI: a token edited there would be ignored."""
    assert _airflow_conn_variables((repo_root() / ".env.example").read_text()) == []


def test_no_service_sets_an_airflow_connection_variable(compose):
    found = {
        name: sorted(k for k in service.get("environment", {}) if k.startswith("AIRFLOW_CONN_"))
        for name, service in compose["services"].items()
    }
    assert {name: keys for name, keys in found.items() if keys} == {}


@given(
    tokens=st.fixed_dictionaries(
        {
            name: st.text(st.characters(codec="ascii", categories=("L", "N")), max_size=40)
            for name in ("FACEBOOK_GRAPH_TOKEN", "INSTAGRAM_GRAPH_TOKEN", "X_API_TOKEN")
        }
    )
)
def test_airflow_init_creates_the_connections_whose_token_env_gives(tokens):
    from social_crm.orchestration.connection_setup import from_settings

    compose = yaml.safe_load((repo_root() / "docker-compose.yaml").read_text())
    init = compose["services"]["airflow-init"]
    assert init["command"][-1].endswith("python -m social_crm.orchestration.connection_setup")
    env = {k: _fill(v, _user_env(**tokens)) for k, v in init["environment"].items()}
    env.update(tokens)  # env_file: every .env line reaches the container
    found, without = from_settings(load_settings(env))
    hosts = {"facebook_graph": "https://graph.facebook.com", "x_api": "https://api.x.com"}
    hosts["instagram_graph"] = hosts["facebook_graph"]
    assert {c.connection_id: (c.base_url, c.token) for c in found} == {
        conn_id: (hosts[conn_id], tokens[f"{conn_id.upper()}_TOKEN"])
        for conn_id in hosts
        if tokens[f"{conn_id.upper()}_TOKEN"]
    }
    assert {c.connection_id for c in found} <= {t.conn_type for t in connection_types.TYPES}
    assert sorted(without) == sorted(c for c in hosts if not tokens[f"{c.upper()}_TOKEN"])


def test_workers_have_no_api_url_so_the_database_connection_is_the_only_one(compose):
    """Only airflow-init is given the API URLs: a worker's credentials come from the connection
    in Airflow's database (edited in the UI), never from a URL and token in its environment."""
    env = _user_env(FACEBOOK_GRAPH_TOKEN="t", X_API_TOKEN="t", INSTAGRAM_GRAPH_TOKEN="t")
    for name in AIRFLOW_SERVICES:
        service_env = {
            k: _fill(v, env) for k, v in compose["services"][name]["environment"].items()
        }
        assert load_settings({**env, **service_env}).api_env == {}, name


# --- secrets, login, the CRM drop folder -------------------------------------------------


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_compose_refuses_to_start_without_a_generated_secret(compose, name):
    env = {**_user_env(), name: ""}
    service_env = compose["services"][GENERATED[name]]["environment"]
    with pytest.raises(ComposeRefuses, match=name):
        [_fill(value, env) for value in service_env.values()]
    assert _env_example(commented=False)[name] == ""  # the user makes it, not the example


def test_env_example_command_makes_a_valid_fernet_key():
    from cryptography.fernet import Fernet

    text = (repo_root() / ".env.example").read_text()
    command = re.search(r"^#\s+(python3 -c .*)$", text, re.M).group(1)
    key = subprocess.run(command, shell=True, capture_output=True, text=True, check=True)
    Fernet(key.stdout.strip())  # raises on a malformed key
    assert (
        key.stdout.strip()
        != subprocess.run(command, shell=True, capture_output=True, text=True).stdout.strip()
    )


def test_login_is_user_admin_with_its_password_kept_on_a_volume(compose):
    env = compose["services"]["airflow-apiserver"]["environment"]
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    kept = env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    volumes = dict(v.split(":", 1) for v in compose["services"]["airflow-apiserver"]["volumes"])
    assert any(
        kept.startswith(f"{inside}/")
        for host, inside in volumes.items()
        if host in compose["volumes"]
    )
    assert kept in (repo_root() / "docs" / "compose.md").read_text()


def test_crm_drop_folder_is_in_the_repository_and_its_exports_are_not():
    tracked = subprocess.run(
        ["git", "ls-files", "crm_drop"], cwd=repo_root(), capture_output=True, text=True
    ).stdout.split()
    assert tracked == ["crm_drop/.gitkeep"]
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "crm_drop/customers.csv"], cwd=repo_root()
    )
    assert ignored.returncode == 0


def test_containers_run_as_airflow_uid_and_init_checks_the_drop_folder_first(compose):
    for name, service in compose["services"].items():
        if "image" in service and service["image"].startswith("social-crm-airflow"):
            assert service["user"] == "${AIRFLOW_UID:-50000}:0", name
    command = compose["services"]["airflow-init"]["command"][-1]
    assert command.startswith("{ test -w /opt/airflow/crm_drop ||")
    assert "AIRFLOW_UID" in command and "exit 1" in command
    mounts = compose["services"]["airflow-worker"]["volumes"]
    assert "${CRM_DROP_HOST_DIR:-./crm_drop}:/opt/airflow/crm_drop" in mounts


# --- the demo profile: the simulator's world inside compose ------------------------------


def test_demo_services_run_only_in_the_demo_profile_from_the_demo_image(compose):
    services = compose["services"]
    for name in DEMO_SERVICES:
        assert services[name]["profiles"] == ["demo"], name
        assert services[name]["build"] == {"context": ".", "target": "demo"}, name
    for name, service in services.items():
        # superset: its own image (bi/Dockerfile)
        if name not in DEMO_SERVICES | {"superset"} and "build" in service:
            assert service["build"]["target"] == "production", name
    stages = re.findall(r"(?m)^FROM \S+ AS (\S+)$", (repo_root() / "Dockerfile").read_text())
    assert stages == ["production", "demo"]


def test_demo_setup_reaches_the_simulator_where_it_listens(compose):
    from social_crm_dev import compose_demo

    sim, setup = compose["services"]["simulator"], compose["services"]["demo-setup"]
    port = sim["command"][sim["command"].index("--port") + 1]
    assert sim["command"][sim["command"].index("--host") + 1] == "0.0.0.0"
    assert f"http://localhost:{port}/healthz" in sim["healthcheck"]["test"]
    url = setup["command"][setup["command"].index("--simulator") + 1]
    assert url == f"http://simulator:{port}" == compose_demo.SERVICE_URL
    assert setup["depends_on"]["simulator"]["condition"] == "service_healthy"
    assert setup["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    drop = setup["command"][setup["command"].index("--drop-dir") + 1]
    assert f"${{CRM_DROP_HOST_DIR:-./crm_drop}}:{drop}" in setup["volumes"]
    # both build the same world
    assert sim["environment"]["DEMO_SCALE"] == setup["environment"]["DEMO_SCALE"]


def test_demo_setup_reads_the_metadata_database_the_scheduler_reads(compose):
    setup = compose["services"]["demo-setup"]["environment"]
    scheduler = compose["services"]["airflow-scheduler"]["environment"]
    for name in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__FERNET_KEY"):
        assert setup[name] == scheduler[name]


# --- every file the compose file and the Dockerfile name exists ---------------------------


def test_every_host_path_compose_mounts_exists(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            host = _fill(volume, {}).split(":")[0]
            if host.startswith("."):
                assert (repo_root() / host).is_dir(), f"{name} mounts missing {host}"


def test_every_file_the_dockerfile_copies_exists():
    text = (repo_root() / "Dockerfile").read_text()
    for line in re.findall(r"(?m)^COPY (?:--\S+ )*(.+)$", text):
        for source in line.split()[:-1]:
            assert (repo_root() / source).exists(), source


def test_every_project_file_and_module_compose_runs_exists(compose):
    import importlib.util

    for name, service in compose["services"].items():
        command = service.get("command", "")
        text = command if isinstance(command, str) else " ".join(command)
        for inside in re.findall(r"/opt/airflow/project/(\S+)", text):
            assert (repo_root() / inside).is_file(), f"{name} runs missing {inside}"
        for module in re.findall(r"python -m (\S+)", text):
            assert importlib.util.find_spec(module) is not None, f"{name} runs missing {module}"


# The official image's entrypoint execs `bash ...` and `python ...` as given and runs anything
# else as `airflow <command>` (scripts/docker/entrypoint_prod.sh in apache/airflow: `exec
# "airflow" "${@}"`; https://airflow.apache.org/docs/docker-stack/entrypoint.html): a command
# such as `social-crm ...` would run as `airflow social-crm ...` and fail.
AIRFLOW_SUBCOMMANDS = {"api-server", "scheduler", "dag-processor", "triggerer", "celery"}


def test_every_command_of_the_project_image_is_one_its_entrypoint_runs(compose):
    for name, service in compose["services"].items():
        if not service.get("image", "").startswith("social-crm-airflow"):
            continue
        command = service["command"]
        first = (command if isinstance(command, str) else command[0]).split()[0]
        assert first in {"bash", "python"} | AIRFLOW_SUBCOMMANDS, f"{name} runs `airflow {first}`"


def _readme_setup_lines() -> str:
    """The README's compose block up to its first `docker compose` command: what a user runs
    to make `.env`."""
    readme = (repo_root() / "README.md").read_text()
    section = readme.split("## Run it with Docker Compose", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return block.split("\ndocker compose", 1)[0]


def test_readme_compose_steps_give_every_required_variable_a_value(tmp_path):
    """A user who follows the README gets an .env compose starts with: every ${VAR:?...} it
    refuses to start without has a value (the later line of .env wins, as in compose)."""
    (tmp_path / ".env.example").write_text((repo_root() / ".env.example").read_text())
    subprocess.run(["bash", "-e", "-c", _readme_setup_lines()], cwd=tmp_path, check=True)
    env: dict[str, str] = {}
    for line in (tmp_path / ".env").read_text().splitlines():
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            name, value = line.split("=", 1)
            env[name] = value.strip()
    text = (repo_root() / "docker-compose.yaml").read_text()
    refused_when_empty = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*):\?", text))
    assert refused_when_empty, "the compose file names no required variable"
    assert {name for name in refused_when_empty if not env.get(name)} == set()
