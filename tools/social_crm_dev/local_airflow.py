"""`make airflow`: the local Airflow's components, as `airflow standalone` starts them, but
reachable from this machine only: the UI and API listen on 127.0.0.1 unless told otherwise
(`--host`, or `AIRFLOW__API__HOST`), and the scheduler and triggerer start no log server (it
would listen on every interface, ports 8793 and 8794): tasks run here and the UI reads their
log files from disk. Each component's output is printed with its name; Ctrl-C, SIGTERM or
SIGHUP stops them all, with every process each of them started (its whole process group).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time

LOCAL_HOST = "127.0.0.1"
STOP_WAIT_S = 30
# Ctrl-C, kill, a closed terminal: each only sets a flag the main loop reads, so no exception
# lands at an arbitrary point (inside Popen or a lock) and leaves the stop half done
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def component_commands(cli: str, host: str, port: int) -> dict[str, list[str]]:
    return {
        "api-server": [cli, "api-server", "--host", host, "--port", str(port)],
        "scheduler": [cli, "scheduler", "--skip-serve-logs"],
        "dag-processor": [cli, "dag-processor"],
        "triggerer": [cli, "triggerer", "--skip-serve-logs"],
    }


def component_environment(host: str, port: int) -> dict[str, str]:
    """The components' settings: where the API listens, and where task processes reach its
    execution API (this machine, whatever interface the API listens on)."""
    return {
        "AIRFLOW__API__HOST": host,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{LOCAL_HOST}:{port}/execution/",
    }


def run(cli: str, host: str, port: int) -> int:
    """Start every component, print their output until one ends or Ctrl-C, stop the rest.
    Returns the exit code of the first to end (0 after Ctrl-C)."""
    env = {**os.environ, **component_environment(host, port)}
    started: dict[str, subprocess.Popen] = {}
    stop: list[str] = []  # the stop signal's name, once one arrived
    woken = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.append(signal.Signals(signum).name)
        woken.set()

    previous = {signum: signal.signal(signum, request_stop) for signum in STOP_SIGNALS}
    code = 0
    try:
        for name, command in component_commands(cli, host, port).items():
            if stop:
                break
            process = subprocess.Popen(
                command,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                start_new_session=True,  # Ctrl-C reaches us; we stop each component ourselves
            )
            started[name] = process
            threading.Thread(target=_print_lines, args=(name, process), daemon=True).start()
        while not stop and all(p.poll() is None for p in started.values()):
            woken.wait(0.5)
        if stop:
            print(f"{stop[0]}: stopping the Airflow components", flush=True)
        else:
            ended = next(name for name, p in started.items() if p.poll() is not None)
            code = started[ended].returncode
            print(f"{ended} ended (exit {code}); stopping the other components", flush=True)
    finally:
        for signum in STOP_SIGNALS:  # a second signal does not cut the stop short
            signal.signal(signum, signal.SIG_IGN)
        stop_processes(started.values())
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code


def _print_lines(name: str, process: subprocess.Popen) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        print(f"{name:>13} | {line.rstrip()}", flush=True)


def stop_processes(processes) -> None:  # Popen objects
    """SIGTERM to each process's group and to every group its processes started
    (Airflow's task supervisor puts each task runner in a group of its own; dbt may run in a
    session of its own), SIGKILL to whatever of them is left after STOP_WAIT_S."""
    import psutil

    tree = _processes_below([process.pid for process in processes])
    for group in {_group_of(pid) for pid in tree} - {None}:
        _signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT_S
    while time.monotonic() < deadline:
        alive = [pid for pid in tree if _running(pid)]
        if not alive:
            break
        tree |= _processes_below(alive)  # what a process started while stopping
        time.sleep(0.2)
    for pid in tree:
        if _running(pid):
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()
    for process in processes:
        process.wait()


def _processes_below(pids: list[int]) -> set[int]:
    """`pids` and every process they started that is still running."""
    import psutil

    found = set(pids)
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            found |= {child.pid for child in psutil.Process(pid).children(recursive=True)}
    return found


def _running(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signum)
