"""A small Airflow 3 deployment with the CeleryExecutor, as docker-compose.yaml runs it, in
processes on this machine: Redis (Debian's `redis-server`, on a free port, no daemon), the API
server (its execution API is what workers report to), a DAG processor, a scheduler and Celery
workers with distinct node names. Each process has a session (process group) of its own, so
stopping it stops what it started (a worker's pool and task processes); `stop()` leaves none.

Airflow's metadata: a copy of the test session's migrated SQLite database (pools included), so
nothing the cluster writes reaches other tests. The DAG folder holds only the DAGs a test names.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from social_crm.paths import dags_dir
from social_crm.query_results import one_row
from social_crm_dev import airflow_env

REDIS_SERVER = shutil.which("redis-server") or "redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, deadline: float, what: str, log: Path) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"{what} did not listen on port {port}; its log:\n{_tail(log)}")


def _wait_for_http(url: str, deadline: float, what: str, log: Path) -> None:
    """Until `url` answers 200: a listening port is not enough (uvicorn binds it before the
    application has started)."""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not answer {url}; its log:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    if not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path


@dataclass
class CeleryCluster:
    folder: Path
    dag_ids: tuple[str, ...]
    wiring: dict[str, str]
    workers: tuple[str, ...] = ("w1", "w2")
    # DAGs kept paused until `release` (the scheduler starts none of their runs before)
    held: tuple[str, ...] = ()
    processes: list[Process] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.home = self.folder / "airflow"
        self.redis_port, self.api_port = free_port(), free_port()
        self.database = self.home / "airflow.db"
        self.runs_after = 0  # the newest run id in the copied database
        self.jwt_secret = secrets.token_urlsafe(64)

    # --- set-up --------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        dags = self.folder / "dags"
        return {
            **os.environ,
            **self.wiring,
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.database}",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            # Airflow 3: a worker runs a task through the API server's execution API
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": (
                f"http://127.0.0.1:{self.api_port}/execution/"
            ),
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__WORKERS": "1",
            # a task's calls to the execution API wait longer than the default before failing:
            # under `make test` the API server shares two cores with the suite (the setting's
            # documented remedy for timeouts under load)
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
            "AIRFLOW__API_AUTH__JWT_SECRET": self.jwt_secret,
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"redis://127.0.0.1:{self.redis_port}/1",
            # one task at a time per worker: a second task waiting goes to the other worker
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
            # each DAG file parsed once: re-parsing every 30 s only costs the shared cores
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        }

    def start(self) -> None:
        if not shutil.which(REDIS_SERVER):
            raise RuntimeError(
                "redis-server not found: install Debian's package (apt-get install redis-server;"
                " .ci/run does it when missing)"
            )
        self.home.mkdir(parents=True)
        _copy_database(airflow_env.airflow_home() / "airflow.db", self.database)
        # the session's database holds the runs earlier tests made (of these DAGs too): only
        # the runs started after this copy are this deployment's
        self.runs_after = self._query("select coalesce(max(id), 0) from dag_run")[0][0]
        # ... and may hold these DAGs paused (synced by an earlier test): a deployment that
        # turns them on
        self._set_paused(self.dag_ids, paused=False)
        self._set_paused(self.held, paused=True)
        (self.folder / "dags").mkdir()
        for dag_id in self.dag_ids:
            shutil.copy(dags_dir() / f"{dag_id}.py", self.folder / "dags")
        # the start-up of the API server and the workers (minutes at a load of 20 on 2 cores)
        deadline = time.monotonic() + 300
        redis = self._spawn(
            "redis",
            [REDIS_SERVER, "--port", str(self.redis_port), "--bind", "127.0.0.1"]
            + ["--dir", str(self.folder), "--save", "", "--appendonly", "no"],
        )
        _wait_for_port(self.redis_port, deadline, "redis-server", redis.log)
        api = self._spawn("api-server", ["api-server", "--port", str(self.api_port)])
        for name in self.workers:
            # no log server: two on one host would want the same port (a worker serves its
            # task logs to the UI; these runs' logs stay in files)
            self._spawn(
                f"worker-{name}",
                ["celery", "worker", "--celery-hostname", f"{name}@%h", "--skip-serve-logs"],
            )
        self._spawn("dag-processor", ["dag-processor"])
        # the scheduler once the execution API answers: a task queued before that fails
        health = f"http://127.0.0.1:{self.api_port}/execution/health"
        _wait_for_http(health, deadline, "the API server", api.log)
        if self.held:  # parsed (unpaused at creation), then paused before the scheduler runs
            self.wait_for_dags(timeout=max(1.0, deadline - time.monotonic()), dag_ids=self.held)
            self._set_paused(self.held, paused=True)
        self._spawn("scheduler", ["scheduler"])

    def release(self, dag_id: str) -> None:
        """Unpause a held DAG: the scheduler starts its run of its latest interval."""
        self._set_paused((dag_id,), paused=False)

    def _set_paused(self, dag_ids: tuple[str, ...], *, paused: bool) -> None:
        with sqlite3.connect(self.database, timeout=30) as conn:
            conn.executemany(
                "update dag set is_paused = ? where dag_id = ?", [(paused, d) for d in dag_ids]
            )

    def _spawn(self, name: str, command: list[str]) -> Process:
        log = self.folder / f"{name}.log"
        argv = command if command[0] == REDIS_SERVER else [airflow_env.airflow_cli(), *command]
        with log.open("wb") as out:
            popen = subprocess.Popen(
                argv,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    # --- stopping -----------------------------------------------------------------------
    def stop(self, grace: float = 20.0) -> list[int]:
        """SIGTERM to each process group (newest first), SIGKILL to what remains after `grace`
        seconds; returns the ids of processes still alive in those groups (none expected)."""
        groups = [p.popen.pid for p in self.processes]
        for process in reversed(self.processes):
            _signal_group(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and processes_in_groups(groups):
            for process in self.processes:
                process.popen.poll()
            time.sleep(0.2)
        for group in groups:
            _signal_group(group, signal.SIGKILL)
        for process in self.processes:
            try:
                process.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        time.sleep(0.2)
        return processes_in_groups(groups)

    # --- runs ---------------------------------------------------------------------------
    def wait_for_dags(self, timeout: float, dag_ids: tuple[str, ...] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            found = {row[0] for row in self._query("select dag_id from serialized_dag")}
            if set(dag_ids or self.dag_ids) <= found:
                return
            time.sleep(1)
        raise TimeoutError(f"DAGs not parsed in {timeout:.0f} s:\n{self.log_tails()}")

    def wait_for_runs(
        self, timeout: float, dag_ids: tuple[str, ...] | None = None
    ) -> dict[str, tuple[str, str]]:
        """Each DAG's first run (of `dag_ids`, default all) as (run_id, state), once every
        DAG has one and none of them is queued or running (or at `timeout`). The DAGs are
        unpaused at creation: the scheduler starts each one's run of its latest interval
        (catchup is off), as a deployment does for a new DAG; an hour that ends meanwhile
        starts another run, which is not waited for."""
        wanted = dag_ids or self.dag_ids
        deadline = time.monotonic() + timeout
        first: dict[str, tuple[str, str]] = {}
        while time.monotonic() < deadline:
            self._check_alive()
            first = {}
            for dag_id, run_id, state in self._query(
                "select dag_id, run_id, state from dag_run where id > ? order by id",
                (self.runs_after,),
            ):
                if dag_id in wanted:
                    first.setdefault(dag_id, (run_id, state))
            states = {state for _, state in first.values()}
            if set(first) >= set(wanted) and not {"queued", "running"} & states:
                break
            time.sleep(2)
        return first

    def task_states(self, runs: dict[str, tuple[str, str]]) -> dict[tuple[str, str, int], str]:
        """(dag_id, task_id, map_index): state, of the task instances of these runs (one a
        DAG; map_index -1 for a task that is not mapped, one a brand for a mapped one)."""
        rows = self._query("select dag_id, run_id, task_id, map_index, state from task_instance")
        return {
            (dag_id, task_id, map_index): state
            for dag_id, run_id, task_id, map_index, state in rows
            if runs.get(dag_id, ("",))[0] == run_id
        }

    def operators(self, runs: dict[str, tuple[str, str]]) -> dict[tuple[str, str, int], str]:
        """(dag_id, task_id, map_index): the operator class of the task instances of these
        runs."""
        rows = self._query("select dag_id, run_id, task_id, map_index, operator from task_instance")
        return {
            (dag_id, task_id, map_index): operator
            for dag_id, run_id, task_id, map_index, operator in rows
            if runs.get(dag_id, ("",))[0] == run_id
        }

    def mapped_names(self, runs: dict[str, tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
        """(dag_id, task_id): the names of its mapped instances (`map_index_template`)."""
        rows = self._query(
            "select dag_id, run_id, task_id, rendered_map_index from task_instance"
            " where map_index >= 0"
        )
        names: dict[tuple[str, str], set[str]] = {}
        for dag_id, run_id, task_id, name in rows:
            if runs.get(dag_id, ("",))[0] == run_id:
                names.setdefault((dag_id, task_id), set()).add(name)
        return names

    def tasks_run_by(
        self, worker: str, runs: dict[str, tuple[str, str]]
    ) -> list[tuple[str, str, int]]:
        """(dag_id, task_id, map_index) of each task instance of these runs the worker's log
        says it executed, once for each time it did."""
        log = next(p for p in self.processes if p.name == f"worker-{worker}").log
        return [
            (dag_id, task_id, map_index)
            for dag_id, run_id, task_id, map_index in _workloads(log.read_text(errors="replace"))
            if runs.get(dag_id, ("",))[0] == run_id
        ]

    def log_tails(self) -> str:
        return "\n".join(f"--- {p.name}\n{_tail(p.log)}" for p in self.processes)

    def _check_alive(self) -> None:
        for process in self.processes:
            if process.popen.poll() is not None:
                raise RuntimeError(
                    f"{process.name} exited ({process.popen.returncode}):\n{_tail(process.log)}"
                )

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute(sql, params).fetchall()


def _copy_database(source: Path, copy: Path) -> None:
    """A consistent copy of a SQLite database through SQLite's backup API. Airflow keeps its
    database in WAL mode: the newest pages (a fresh migration's tables) may still be in
    `airflow.db-wal`, and a copy of the main file alone has no `dag_run` table."""
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)) as src:
        with closing(sqlite3.connect(copy)) as dst:
            src.backup(dst)


_WORKLOAD = re.compile(r"Executing workload in Celery: .*")
_FIELD = re.compile(r"\b(dag_id|run_id|task_id)='([^']*)'")
_MAP_INDEX = re.compile(r"\bmap_index=(-?\d+)")


def _workloads(log: str) -> list[tuple[str, str, str, int]]:
    """(dag_id, run_id, task_id, map_index) of each workload a worker's log says it executed
    (Celery's provider logs "Executing workload in Celery: ..." with the task instance's
    fields)."""
    found = []
    for line in _WORKLOAD.findall(log):
        fields = dict(_FIELD.findall(line))
        index = _MAP_INDEX.search(line)
        found.append(
            (
                fields.get("dag_id", ""),
                fields.get("run_id", ""),
                fields.get("task_id", ""),
                int(index.group(1)) if index else -1,
            )
        )
    return found


def _signal_group(group: int, sig: signal.Signals) -> None:
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        pass


def processes_in_groups(groups: list[int]) -> list[int]:
    """Ids of live (not zombie) processes whose process group is one of `groups`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgid = fields[0], int(fields[2])
        if pgid in groups and state != "Z":
            found.append(int(entry.name))
    return found


Task = tuple[str, str, int]  # dag_id, task_id, map_index (-1: not mapped)


@dataclass
class Outcome:
    """What one deployment did, read once it was stopped."""

    runs: dict[str, tuple[str, str]]
    tasks: dict[Task, str]
    operators: dict[Task, str]
    mapped: dict[tuple[str, str], set[str]]
    by_worker: dict[str, list[Task]]
    committed_batches: int
    published_people: int
    left_running: list[int]
    seconds: float
    logs: str


def deploy(
    warehouse_url: str, folder: Path, extraction: tuple[str, ...], nightly: str | None = None
) -> Outcome:
    """A deployment on a scratch warehouse database and the DAG tests' world (`wired_world`):
    the `extraction` DAGs unpaused at once (the scheduler starts a run of each, per-brand
    tasks mapped over the world's brands), then, once they have landed, `nightly` (held
    paused until then) released: the scheduler starts its run of the latest night on what
    they landed. Stopped before it returns."""
    from social_crm.transform.dbt_manifest import ensure_manifest
    from tests.dags.conftest import wired_world
    from tests.databases import new_database

    started = time.monotonic()
    held = (nightly,) if nightly else ()
    if nightly:
        ensure_manifest()  # the nightly's Cosmos groups render from it when its file is parsed
    with new_database(warehouse_url) as database, wired_world(database, folder) as wiring:
        cluster = CeleryCluster(folder, (*extraction, *held), wiring, held=held)
        try:
            cluster.start()
            cluster.wait_for_dags(timeout=180)
            runs = cluster.wait_for_runs(timeout=300, dag_ids=extraction)
            for dag_id in held:
                cluster.release(dag_id)  # its run of the latest night, on what they landed
                runs |= cluster.wait_for_runs(timeout=1000, dag_ids=(dag_id,))
            tasks = cluster.task_states(runs)
            operators = cluster.operators(runs)
            mapped = cluster.mapped_names(runs)
            by_worker = {name: cluster.tasks_run_by(name, runs) for name in cluster.workers}
            logs = cluster.log_tails()
        finally:
            left_running = cluster.stop()
        with psycopg.connect(database.libpq()) as conn:
            (committed,) = one_row(
                conn.execute("select count(*) from meta.load_batches where status = 'committed'")
            )
            # nothing published (no nightly, or it failed or did not end in time): no marts
            published = one_row(conn.execute("select to_regclass('marts.people')"))[0]
            (people,) = (
                one_row(conn.execute("select count(*) from marts.people")) if published else (0,)
            )
    return Outcome(
        runs,
        tasks,
        operators,
        mapped,
        by_worker,
        committed,
        people,
        left_running,
        time.monotonic() - started,
        logs,
    )
