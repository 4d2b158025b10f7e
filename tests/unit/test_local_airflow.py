"""`make airflow` listens on this machine only unless told otherwise, and starts no log server."""

from social_crm_dev.local_airflow import component_commands, component_environment


def test_the_ui_listens_where_it_is_told():
    assert component_commands("airflow", "127.0.0.1", 8080)["api-server"][2:] == [
        "--host",
        "127.0.0.1",
        "--port",
        "8080",
    ]


def test_no_component_starts_a_log_server_on_every_interface():
    commands = component_commands("airflow", "127.0.0.1", 8080)
    assert "--skip-serve-logs" in commands["scheduler"]
    assert "--skip-serve-logs" in commands["triggerer"]


def test_tasks_reach_the_execution_api_on_this_machine_whatever_the_ui_listens_on():
    url = component_environment("0.0.0.0", 8081)["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]  # noqa: S104
    assert url == "http://127.0.0.1:8081/execution/"
