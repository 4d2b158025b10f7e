"""The embedded warehouse: a real PostgreSQL from the `pgserver` wheel, data kept in `.local/`.

pgserver ships PostgreSQL binaries; its own launcher listens on a unix socket only, which some
clients (Great Expectations' `add_postgres`, Superset, Airflow Connections) cannot use. So we
drive the same binaries ourselves and listen on 127.0.0.1 as well as on a socket. The server
keeps running after the process that started it exits; any later process reuses it.

Every login needs its password (scram-sha-256, over TCP and the socket alike): on a shared
machine another user cannot log in as the superuser or as `bi_reader` without theirs. The
superuser's password is generated at the first start and kept beside the data folder
(`.local/pgdata.password`, readable by its owner only); the URL this module hands out carries
it. A data folder made before passwords were required is switched over at its next start.
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger(__name__)

DEFAULT_PORT = 54329
SERVICE_USER = "pgserver"  # PostgreSQL refuses to run as root; this system user runs it instead
SUPERUSER = "postgres"
DATABASE = "social_crm"
AUTH = "scram-sha-256"  # every login, over TCP and the socket, needs its password


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL could not be initialised, started or stopped."""


@dataclass(frozen=True)
class RunningServer:
    pid: int
    port: int
    host: str
    data_dir: Path

    @property
    def password(self) -> str:
        return read_password(self.data_dir)

    @property
    def url(self) -> str:
        """A libpq URL (psql, psycopg and SQLAlchemy accept it), with the password."""
        auth = SUPERUSER + (f":{quote(self.password, safe='')}" if self.password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{DATABASE}"


def password_file(data_dir: Path) -> Path:
    """The superuser's password, beside the data folder, readable by its owner only."""
    return data_dir.with_name(f"{data_dir.name}.password")


def read_password(data_dir: Path) -> str:
    try:
        return password_file(data_dir).read_text().strip()
    except FileNotFoundError:
        return ""


def _new_password(data_dir: Path) -> str:
    """A generated password, written owner-only (created so: never readable by others)."""
    path = password_file(data_dir)
    path.unlink(missing_ok=True)
    password = secrets.token_urlsafe(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password + "\n")
    return password


def _bin_dir() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        raise EmbeddedPostgresError("the pgserver package is not installed; run `make install`")
    return Path(spec.origin).resolve().parent / "pginstall" / "bin"


def _run_as_service_user() -> str | None:
    return SERVICE_USER if os.geteuid() == 0 else None


def _prepare_for_service_user(data_dir: Path) -> None:
    """As root, create the service user and let it reach the binaries and the data folder."""
    import pwd
    import stat
    import warnings

    with warnings.catch_warnings():  # pgserver warns about XDG_RUNTIME_DIR at import; unused here
        warnings.simplefilter("ignore")
        from pgserver.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

    ensure_user_exists(SERVICE_USER)
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(_bin_dir())
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(_bin_dir(), readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(_bin_dir().parent / "lib", readable)
    entry = pwd.getpwnam(SERVICE_USER)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    data_dir.chmod(0o700)


def _pg(command: str, *args: str, timeout: float = 60) -> str:
    proc = subprocess.run(
        [str(_bin_dir() / command), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        user=_run_as_service_user(),
        check=False,
    )
    if proc.returncode != 0:
        raise EmbeddedPostgresError(
            f"{command} {' '.join(args)} failed (exit {proc.returncode}): "
            f"{proc.stderr.strip() or proc.stdout.strip()}"
        )
    return proc.stdout


def read_running(data_dir: Path) -> RunningServer | None:
    """The server running on `data_dir`, from its postmaster.pid, or None."""
    pid_file = data_dir / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 8 or lines[7].strip() != "ready":
        return None
    pid, port, host = int(lines[0]), int(lines[3]), lines[5].strip() or "127.0.0.1"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by the service user
    return RunningServer(pid=pid, port=port, host=host.split(",")[0], data_dir=data_dir)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _choose_port() -> int:
    from social_crm_dev import settings as dev_settings

    wanted = dev_settings.load().pg_port
    if wanted:
        if not _port_is_free(wanted):
            raise EmbeddedPostgresError(
                f"SOCIAL_CRM_PG_PORT={wanted} is already in use on 127.0.0.1; "
                "choose another port or unset it to pick a free one"
            )
        return wanted
    for port in range(DEFAULT_PORT, DEFAULT_PORT + 100):
        if _port_is_free(port):
            return port
    raise EmbeddedPostgresError(f"no free TCP port in {DEFAULT_PORT}-{DEFAULT_PORT + 99}")


def _socket_dir(data_dir: Path) -> Path:
    # unix socket paths are limited to ~107 bytes; fall back to /tmp for deep checkouts
    if len(str(data_dir / ".s.PGSQL.65535")) < 100:
        return data_dir
    return Path("/tmp")


# PostgreSQL's defaults (128 MB buffers, 4 MB per sort) suit a small OLTP box; the warehouse
# sorts and hashes whole raw tables (latest versions, identity joins, window functions). Sized
# for a 2-core developer machine or CI runner, still durable (fsync, synchronous commit on).
SERVER_SETTINGS = {
    "shared_buffers": "512MB",
    "work_mem": "64MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "4GB",  # bulk landing without a checkpoint every few hundred MB
    "effective_cache_size": "4GB",
    # local disk (SSD) and a page cache that holds the hot indexes: a random page costs little
    # more than a sequential one. With the default 4 the planner scans a 10M-row table to join
    # a day's few thousand merged rows instead of looking them up by index.
    "random_page_cost": "1.1",
}


@contextmanager
def _file_lock(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _start_lock(data_dir: Path) -> AbstractContextManager[None]:
    """One start or stop at a time per data dir."""
    return _file_lock(data_dir.parent / f".{data_dir.name}.lock")


def _port_lock() -> AbstractContextManager[None]:
    """One port choice at a time on this machine: servers of two checkouts (or two test
    workers) starting together would otherwise both take the first free port."""
    return _file_lock(Path(tempfile.gettempdir()) / "social_crm_embedded_postgres_port.lock")


def ensure_running(data_dir: Path) -> RunningServer:
    """Start the embedded server on `data_dir` (initialising it on first use), or reuse it."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with _start_lock(data_dir):
        running = read_running(data_dir)
        if running:
            _require_passwords(running)
            return running
        data_dir.mkdir(exist_ok=True)
        if _run_as_service_user():
            _prepare_for_service_user(data_dir)
        if not (data_dir / "PG_VERSION").exists():
            log.info("initialising embedded PostgreSQL in %s", data_dir)
            with _password_for_initdb(_new_password(data_dir)) as pwfile:
                _pg(
                    "initdb",
                    "-D",
                    str(data_dir),
                    f"--auth-host={AUTH}",
                    f"--auth-local={AUTH}",
                    f"--pwfile={pwfile}",
                    "--encoding=UTF8",
                    "--no-locale",
                    "-U",
                    SUPERUSER,
                )
        with _port_lock():  # held until the server listens on the port it chose
            port = _choose_port()
            settings = " ".join(f"-c {name}={value}" for name, value in SERVER_SETTINGS.items())
            options = f"-h 127.0.0.1 -p {port} -k {_socket_dir(data_dir)} {settings}"
            log.info("starting embedded PostgreSQL on 127.0.0.1:%s", port)
            _pg(
                "pg_ctl",
                "-D",
                str(data_dir),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "-l",
                str(data_dir / "server.log"),
                "start",
                timeout=90,
            )
        deadline = time.monotonic() + 30
        while (running := read_running(data_dir)) is None:
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(
                    f"PostgreSQL did not become ready; see {data_dir / 'server.log'}"
                )
            time.sleep(0.2)
        _require_passwords(running)
        _ensure_database(running)
        return running


@contextmanager
def _password_for_initdb(password: str) -> Iterator[Path]:
    """The password in a file initdb (run as the service user) can read, removed after."""
    descriptor, name = tempfile.mkstemp(prefix="pgserver-pw-")
    path = Path(name)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(password + "\n")
        user = _run_as_service_user()
        if user:
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        yield path
    finally:
        path.unlink(missing_ok=True)


def _require_passwords(server: RunningServer) -> None:
    """A data folder made before passwords were required (every local login trusted): give
    the superuser a password, require passwords (scram-sha-256) for every login, reload."""
    hba = server.data_dir / "pg_hba.conf"
    lines = hba.read_text().splitlines()
    rules = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not any(line.split()[-1] == "trust" for line in rules):
        return
    import psycopg
    from psycopg import sql

    password = read_password(server.data_dir) or _new_password(server.data_dir)
    trusted = f"postgresql://{SUPERUSER}@{server.host}:{server.port}/postgres"
    with psycopg.connect(trusted, autocommit=True) as conn:
        conn.execute(
            sql.SQL("alter role {} password {}").format(
                sql.Identifier(SUPERUSER), sql.Literal(password)
            )
        )
    hba.write_text(
        "\n".join(
            line.rsplit("trust", 1)[0] + AUTH
            if line in rules and line.split()[-1] == "trust"
            else line
            for line in lines
        )
        + "\n"
    )
    _pg("pg_ctl", "-D", str(server.data_dir), "reload")
    log.info("embedded PostgreSQL: passwords now required (%s)", AUTH)


def _ensure_database(server: RunningServer) -> None:
    import psycopg

    admin = server.url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (DATABASE,)
        ).fetchone()
        if not exists:
            conn.execute(f'create database "{DATABASE}"')


def stop(data_dir: Path) -> bool:
    """Stop the server on `data_dir`; False if none was running."""
    with _start_lock(data_dir):
        if read_running(data_dir) is None:
            return False
        _pg("pg_ctl", "-D", str(data_dir), "-w", "-m", "fast", "stop", timeout=90)
        return True
