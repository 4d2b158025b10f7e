"""docker-compose.yaml is for production users: we check its structure, not run it."""

import re

import pytest
import yaml

from social_crm.paths import repo_root

AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
OTHER_SERVICES = {"redis", "airflow-metadata-db", "warehouse-db", "metabase"}
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


def test_every_variable_compose_reads_is_documented_in_env_example():
    text = (repo_root() / "docker-compose.yaml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))  # $${X} is escaped
    documented = {
        line.split("=", 1)[0]
        for line in (repo_root() / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert used - documented == set()


def test_compose_warehouse_url_is_what_the_code_accepts(compose):
    from social_crm.warehouse import WarehouseUrl

    template = compose["services"]["airflow-scheduler"]["environment"]["WAREHOUSE_URL"]
    filled = re.sub(r"\$\{([A-Z_]+)(:-[^}]*)?\}", "x", template)
    parsed = WarehouseUrl.parse(filled)
    assert (parsed.host, parsed.port) == ("warehouse-db", 5432)
