"""`make airflow` listens on this machine only unless told otherwise, and starts no log server."""

import contextlib
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    url = component_environment("0.0.0.0", 8081)["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
    assert url == "http://127.0.0.1:8081/execution/"


# a stand-in for the `airflow` command: each component starts a task (as the scheduler starts
# its executor's workers, and Airflow's task supervisor a task runner in a process group of its
# own, and Cosmos dbt in a session of its own) and records both process ids
STAND_IN = """#!/bin/sh
$TASK &
echo $! >> "$PIDS"
echo $$ >> "$PIDS"
sleep 0.5  # the task has started
echo "$1 started"
exec sleep 300
"""
TASKS = {
    "same group": "sleep 300",
    "own group": '$PYTHON -c \'import os; os.setpgid(0, 0); os.execvp("sleep", ["sleep", "300"])\'',
    "own session": "setsid sleep 300",
}
RUNNER = (
    "import sys; from social_crm_dev import local_airflow;"
    " local_airflow.run(sys.argv[1], '127.0.0.1', 1)"
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize("task", sorted(TASKS))
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_ends_every_component_and_what_it_started(tmp_path, stop, task):
    cli = tmp_path / "airflow"
    cli.write_text(STAND_IN.replace("$TASK", TASKS[task]))
    cli.chmod(0o755)
    pids = tmp_path / "pids"
    env = {**os.environ, "PIDS": str(pids), "PYTHON": sys.executable}
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(cli)], env=env, stdout=subprocess.PIPE, text=True
    )
    started = [runner.stdout.readline() for _ in range(4)]  # every component has started
    runner.send_signal(stop)
    runner.wait(timeout=60)
    recorded = [int(pid) for pid in pids.read_text().split()]
    left = [pid for pid in recorded if _alive(pid)]
    for pid in left:  # what the stop left behind, ended here
        os.kill(pid, signal.SIGKILL)
    assert (len(started), len(recorded), left) == (4, 8, [])


def _airflow_args(env: dict[str, str], argv: list[str]):
    """`social-crm airflow <argv>` parsed with `env` in the environment (as `make airflow`)."""
    from social_crm.cli import _plugins, build_parser

    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return build_parser(_plugins()).parse_args(["airflow", *argv])


@settings(max_examples=20, deadline=None)
@given(port=st.integers(1, 65535))
def test_make_airflow_listens_on_the_port_setting(port):
    assert _airflow_args({"AIRFLOW__API__PORT": str(port)}, []).port == port


@settings(max_examples=20, deadline=None)
@given(setting=st.integers(1, 65535), flag=st.integers(1, 65535))
def test_the_port_flag_wins_over_the_port_setting(setting, flag):
    args = _airflow_args({"AIRFLOW__API__PORT": str(setting)}, ["--port", str(flag)])
    assert args.port == flag


@settings(max_examples=20, deadline=None)
@given(
    value=st.one_of(
        st.integers(max_value=0).map(str),
        st.integers(min_value=65536).map(str),
        st.text(st.characters(categories=["L", "P"]), min_size=1).filter(str.strip),
    )
)
def test_a_port_setting_that_is_no_port_is_refused_naming_it(value):
    from social_crm.cli import main

    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(io.StringIO()) as out:
        patch.setenv("AIRFLOW__API__PORT", value)
        code = main(["airflow", "--help"])
    err = out.getvalue()
    assert code == 2 and err.startswith("error: AIRFLOW__API__PORT ") and "Traceback" not in err
