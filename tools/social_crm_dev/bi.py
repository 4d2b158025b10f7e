"""`make bi`: Apache Superset with the starter dashboards, against the demo's warehouse
(docs/bi.md).

Superset runs from its own virtual environment (`.local/bi/venv`, made by `make bi-venv` from
bi/requirements.lock: its pins differ from Airflow's), with its metadata in SQLite under
`.local/bi/`. The slow part of a first start (Superset's metadata migrations and its roles,
2 to 3 minutes here) is done once per lock file and config, by `make bi-venv`, into a template
database that every start copies (`make bi`, the tests). The dashboards are imported through
Superset's REST API as the pipeline imports them anywhere (social_crm.serve.superset),
connected as the BI login.

Secrets made here (Superset's SECRET_KEY, its admin password, the BI login's password) are
generated into `.local/bi/` (mode 600) unless given in the environment, and never printed
except the admin password on the run that generated it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from social_crm import settings, warehouse
from social_crm.paths import local_dir, repo_root
from social_crm.serve import superset
from social_crm.warehouse.bi_login import ensure_login
from social_crm_dev import settings as dev_settings

DEFAULT_BI_USER = "superset_bi"
DEFAULT_ADMIN = "admin"
START_TIMEOUT_S = 300


class BiError(RuntimeError):
    pass


def bi_dir() -> Path:
    """`make bi`'s state: Superset's metadata and the secrets generated for it."""
    return local_dir() / "bi"


def install_dir() -> Path:
    """Where `make bi-venv` installs Superset, and its metadata template: the checkout's
    .local/bi, whatever SOCIAL_CRM_LOCAL_DIR says (the tests point that elsewhere)."""
    return repo_root() / ".local" / "bi"


def venv_bin() -> Path:
    return install_dir() / "venv" / "bin"


def lock_file() -> Path:
    return repo_root() / "bi" / "requirements.lock"


def config_file() -> Path:
    return repo_root() / "bi" / "superset_config.py"


def ensure_venv() -> None:
    """`make bi-venv` (a no-op while its stamp matches the lock file)."""
    if subprocess.run(["make", "-s", "bi-venv"], cwd=repo_root(), check=False).returncode:
        raise BiError("`make bi-venv` failed: Superset's environment is not installed")


def _environment(home: Path, secret_key: str, metadata: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SUPERSET_CONFIG_PATH": str(config_file()),
        "SUPERSET_HOME": str(home),
        "SUPERSET_SECRET_KEY": secret_key,
        "SUPERSET_METADATA_URL": f"sqlite:///{metadata}",
        "FLASK_APP": "superset.app:create_app()",
        "PYTHONWARNINGS": "ignore",
    }


def _superset(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [str(venv_bin() / "superset"), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise BiError(f"`superset {args[0]}` failed:\n{tail}")


def metadata_template() -> Path:
    """Superset's metadata database, migrated and its roles made, once per lock file."""
    digest = hashlib.sha256(lock_file().read_bytes() + config_file().read_bytes()).hexdigest()
    folder = install_dir()
    template = folder / f"metadata-template-{digest[:12]}.db"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers: one makes it, the rest wait
        if not template.exists():
            for old in folder.glob("metadata-template-*.db"):
                old.unlink()
            partial = template.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            home = folder / "template-home"
            home.mkdir(exist_ok=True)
            env = _environment(home, secrets.token_urlsafe(32), partial)
            print("Superset: migrating its metadata database (once, 2 to 3 minutes)...")
            _superset(env, "db", "upgrade")
            _superset(env, "init")
            partial.rename(template)
    return template


def stored_secret(name: str, length: int = 24) -> tuple[str, bool]:
    """A secret kept in .local/bi/<name> (mode 600), made on first use: (value, made now)."""
    path = bi_dir() / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(length)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(value)
    return value, True


@dataclass
class RunningSuperset:
    url: str
    admin_user: str
    admin_password: str
    home: Path
    process: subprocess.Popen


@contextlib.contextmanager
def running(
    home: Path, port: int, admin_password: str, secret_key: str, host: str = "127.0.0.1"
) -> Iterator[RunningSuperset]:
    """Superset served by gunicorn on host:port, its metadata in `home` (copied from the
    template on first use, the admin login created or re-passworded); stopped at the end."""
    ensure_venv()
    home.mkdir(parents=True, exist_ok=True)
    metadata = home / "superset.db"
    new = not metadata.exists()
    if new:
        shutil.copyfile(metadata_template(), metadata)
    env = _environment(home, secret_key, metadata)
    if new:
        _superset(
            env,
            "fab",
            "create-admin",
            "--username",
            DEFAULT_ADMIN,
            "--firstname",
            "Social CRM",
            "--lastname",
            "Admin",
            "--email",
            "admin@localhost",
            "--password",
            admin_password,
        )
    else:  # the password may have changed since (SUPERSET_ADMIN_PASSWORD)
        _superset(
            env, "fab", "reset-password", "--username", DEFAULT_ADMIN, "--password", admin_password
        )
    log = open(home / "superset.log", "ab")
    process = subprocess.Popen(
        [
            str(venv_bin() / "gunicorn"),
            "--bind",
            f"{host}:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--timeout",
            "120",
            "superset.app:create_app()",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise BiError(
                    f"Superset stopped at start (exit {process.returncode}); see {log.name}"
                )
            try:
                superset.wait_until_healthy(url, timeout_s=0, every_s=0)
                break
            except superset.SupersetError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        yield RunningSuperset(url, DEFAULT_ADMIN, admin_password, home, process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def bi_login(conn: psycopg.Connection) -> tuple[str, str]:
    """The BI login Superset uses: BI_READER_USER/PASSWORD if set, else `superset_bi` with a
    password generated into .local/bi/; created or re-passworded in role bi_reader."""
    loaded = settings.load()
    if loaded.bi_reader_user and loaded.bi_reader_password:
        user, password = loaded.bi_reader_user, loaded.bi_reader_password
    else:
        user, password = DEFAULT_BI_USER, stored_secret("bi_reader_password")[0]
    ensure_login(conn, user, password)
    return user, password


def published_marts(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts'"
    ).fetchone()
    return int(row[0]) if row else 0


def provision(
    server: RunningSuperset, url: warehouse.WarehouseUrl, bi_user: str, bi_password: str
) -> list[superset.Dashboard]:
    loaded = settings.load()
    return superset.provision(
        superset.SupersetSettings(
            url=server.url,
            admin_user=server.admin_user,
            admin_password=server.admin_password,
            warehouse=url,
            bi_user=bi_user,
            bi_password=bi_password,
            bundle_dir=loaded.superset_bundle_dir,
            dbt_project_dir=loaded.dbt_project_dir,
        )
    )


def run(port: int, host: str = "127.0.0.1") -> int:
    """`make bi`: Superset on `port` with the dashboards, until Ctrl-C."""
    from social_crm_dev import local_warehouse

    if not settings.load().warehouse_url and not local_warehouse.data_dir().exists():
        raise BiError(f"no demo warehouse ({local_warehouse.data_dir()}): run `make demo` first")
    url = local_warehouse.use(start=True)
    if url is None:
        raise BiError("no demo warehouse: run `make demo` first")
    with warehouse.connect() as conn:
        if not published_marts(conn):
            raise BiError(f"no published marts in {url}: run `make demo` first")
        bi_user, bi_password = bi_login(conn)
    given = settings.load().superset_admin_password
    admin_password, made = (given, False) if given else stored_secret("admin_password")
    given_key = dev_settings.load().superset_secret_key
    secret_key = given_key or stored_secret("secret_key", 48)[0]
    with running(bi_dir() / "home", port, admin_password, secret_key, host) as server:
        dashboards = provision(server, url, bi_user, bi_password)
        print(f"Superset at {server.url} (log: {server.home / 'superset.log'})")
        if made:
            print(f"  admin login: {DEFAULT_ADMIN} / {admin_password} (saved in {bi_dir()})")
        elif given:
            print(f"  admin login: {DEFAULT_ADMIN} (password: SUPERSET_ADMIN_PASSWORD)")
        else:
            print(f"  admin login: {DEFAULT_ADMIN} (password in {bi_dir() / 'admin_password'})")
        for dashboard in dashboards:
            print(f"  {dashboard.title:<14} {dashboard.url}")
        print("Ctrl-C stops it.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.process.wait()
    return 0


if __name__ == "__main__":
    sys.exit(run(int(sys.argv[1]) if len(sys.argv) > 1 else 8088))
