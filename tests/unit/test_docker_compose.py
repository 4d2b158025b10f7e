"""docker-compose.yaml is for production users: we check its structure, not run it."""

import re

import pytest
import yaml

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
    "metabase",
    "metabase-setup",
    "webhooks",
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


def _fill(value: object, env: dict[str, str]) -> str:
    """A compose value with its ${VAR} and ${VAR:-default} filled from `env` (as compose does
    from .env; unset means empty)."""
    return re.sub(r"\$\{([A-Z_0-9]+)(:-[^}]*)?\}", lambda m: env.get(m.group(1), ""), str(value))


def test_every_variable_compose_reads_is_set_in_env_example():
    text = (repo_root() / "docker-compose.yaml").read_text()
    required = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)\}", text))  # $${X} is escaped
    optional = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*):-", text))
    assert required - set(_env_example(commented=False)) == set()
    assert optional - set(_env_example(commented=True)) == set()


def test_every_setting_the_code_reads_is_documented_in_env_example():
    asked = every_setting_read()
    not_ours = {"AIRFLOW_HOME"}  # Airflow's own
    assert asked - not_ours - set(_env_example(commented=True)) == set()
    assert {"WAREHOUSE_URL", "SOCIAL_CRM_ALERT_WEBHOOK", "X_API_URL", "DEMO_SCALE"} <= asked


def test_metabase_is_connected_as_the_bi_reader_login(compose):
    from social_crm.serve import metabase

    services = compose["services"]
    setup = services["metabase-setup"]
    assert setup["command"] == ["social-crm", "metabase-connect"]
    assert setup["depends_on"]["metabase"]["condition"] == "service_healthy"
    assert setup["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    # the login is created by `social-crm warehouse up` in airflow-init, from the same settings
    assert "social-crm warehouse up" in " ".join(services["airflow-init"]["command"])
    env = _env_example(commented=False)
    setup_env = {key: _fill(value, env) for key, value in setup["environment"].items()}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in setup_env.items():
            patch.setenv(key, value)
        settings = metabase.MetabaseSettings.from_settings(load_settings())
    assert settings.url == "http://metabase:3000"
    payload = metabase.database_payload(settings)["details"]
    assert (payload["host"], payload["port"]) == ("warehouse-db", 5432)
    assert payload["user"] == env["BI_READER_USER"] != env["WAREHOUSE_USER"]
    assert payload["schema-filters-patterns"] == "marts"


def test_compose_warehouse_url_is_what_the_code_accepts(compose):
    from social_crm.warehouse import WarehouseUrl

    template = compose["services"]["airflow-scheduler"]["environment"]["WAREHOUSE_URL"]
    parsed = WarehouseUrl.parse(_fill(template, _env_example(commented=False)))
    assert (parsed.host, parsed.port) == ("warehouse-db", 5432)


def test_the_webhook_receiver_runs_the_cli_with_its_secrets_and_a_health_check(compose):
    from social_crm.receive.app import CALLBACK_PATH
    from social_crm.receive.config import resolve

    hooks = compose["services"]["webhooks"]
    command = hooks["command"]
    assert command[:3] == ["social-crm", "webhooks", "serve"]
    port = command[command.index("--port") + 1]
    assert command[command.index("--host") + 1] == "0.0.0.0"  # reachable from the proxy
    assert f"http://localhost:{port}/health" in hooks["healthcheck"]["test"]
    assert hooks["ports"] == [f"${{PUBLISH_HOST:-127.0.0.1}}:${{WEBHOOKS_PORT:-8790}}:{port}"]
    assert hooks["depends_on"]["warehouse-db"]["condition"] == "service_healthy"
    assert hooks["profiles"] == ["webhooks"]  # opt in: no receiver without its secrets
    example = {**_env_example(commented=False), "META_APP_SECRET": "s"}
    example["META_WEBHOOK_VERIFY_TOKEN"] = "t"
    env = {k: _fill(v, example) for k, v in hooks["environment"].items()}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        config = resolve()
    assert (config.app_secret, config.verify_token) == ("s", "t")
    assert CALLBACK_PATH == "/webhooks/meta"
