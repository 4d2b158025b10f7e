"""`make airflow`'s stop, attacked: a task process in a group or session of its own (Airflow's
task supervisor puts each task runner in its own process group; Cosmos starts dbt with
setsid) is a process the components started, and must stop with them."""

import os
import signal
import subprocess
import sys
from pathlib import Path

# a stand-in for the `airflow` command: each component starts a task the way Airflow's task
# supervisor does (os.setpgid(0, 0) in the forked task runner), in a process group of its own
STAND_IN = """#!/bin/sh
"$PYTHON" -c 'import os; os.setpgid(0, 0); os.execvp("sleep", ["sleep", "300"])' &
echo $! >> "$PIDS"
echo $$ >> "$PIDS"
sleep 1  # the task runner has started
echo "$1 started"
exec sleep 300
"""
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


def test_a_stop_signal_ends_every_process_the_components_started(tmp_path):
    cli = tmp_path / "airflow"
    cli.write_text(STAND_IN)
    cli.chmod(0o755)
    pids = tmp_path / "pids"
    env = {**os.environ, "PIDS": str(pids), "PYTHON": sys.executable}
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(cli)], env=env, stdout=subprocess.PIPE, text=True
    )
    started = [runner.stdout.readline() for _ in range(4)]
    runner.send_signal(signal.SIGTERM)
    runner.wait(timeout=60)
    recorded = [int(pid) for pid in pids.read_text().split()]
    left = [pid for pid in recorded if _alive(pid)]
    for pid in left:  # what the stop left behind: ended here, not by the code under test
        os.kill(pid, signal.SIGKILL)
    assert (len(started), len(recorded), left) == (4, 8, [])
