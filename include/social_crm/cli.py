"""`social-crm`: the project's command line (warehouse, doctor, demo, local Airflow)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Sequence

from social_crm import __version__


def _step(message: str) -> None:
    print(f"==> {message}", flush=True)


def cmd_warehouse_up(args: argparse.Namespace) -> int:
    from social_crm import warehouse

    where = warehouse.resolve()
    applied = warehouse.bootstrap()
    print(f"warehouse: {where}{' (embedded)' if where.embedded else ''}")
    print(f"migrations applied now: {', '.join(applied) if applied else 'none (up to date)'}")
    return 0


def cmd_warehouse_url(args: argparse.Namespace) -> int:
    from social_crm import warehouse

    print(warehouse.resolve().libpq(hide_password=not args.show_password))
    return 0


def cmd_warehouse_env(args: argparse.Namespace) -> int:
    from social_crm import warehouse

    for key, value in warehouse.resolve().dbt_env().items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def cmd_warehouse_down(args: argparse.Namespace) -> int:
    from social_crm import warehouse

    if os.environ.get(warehouse.URL_ENV):
        print("WAREHOUSE_URL is set: that server is not ours to stop")
        return 0
    stopped = warehouse.stop_embedded()
    print("embedded warehouse stopped" if stopped else "embedded warehouse was not running")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from social_crm import doctor

    checks = doctor.run_checks()
    for check in checks:
        print(f"[{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    return 0 if all(check.ok for check in checks) else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from social_crm import airflow_env, dag_runs, warehouse
    from social_crm.paths import local_dir

    started = time.monotonic()
    _step("warehouse")
    where = warehouse.resolve()
    applied = warehouse.bootstrap()
    print(f"    url: {where}{' (embedded, data in .local/pgdata)' if where.embedded else ''}")
    print(f"    migrations applied now: {', '.join(applied) or 'none (up to date)'}")

    _step(f"airflow metadata database in {airflow_env.airflow_home()}")
    airflow_env.migrate_metadata_db()

    dag_id = "social_crm_nightly"
    log_file = local_dir() / "logs" / f"demo-{dag_id}.log"
    _step(f"running DAG {dag_id} with dag.test() (full log: {log_file})")
    outcome = dag_runs.run_isolated(dag_id, log_file)
    for task_id, state in outcome.tasks.items():
        print(f"    {task_id:<24} {state}")
    print(f"    DAG run: {outcome.state}")

    print(f"demo finished in {time.monotonic() - started:.0f}s; warehouse: {where}")
    return 0 if outcome.succeeded else 1


def cmd_airflow(args: argparse.Namespace) -> int:
    from social_crm import airflow_env

    os.environ.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin")
    os.environ["AIRFLOW__API__PORT"] = str(args.port)
    env = airflow_env.apply_environment()
    airflow_env.migrate_metadata_db()
    passwords = airflow_env.airflow_home() / "simple_auth_manager_passwords.json.generated"
    print(f"Airflow home: {env['AIRFLOW_HOME']}")
    print(f"UI: http://localhost:{args.port}  (user: admin; password: in {passwords},")
    print("    written at first start and also printed below by `airflow standalone`)")
    cli = airflow_env.airflow_cli()
    # standalone starts its components as `airflow ...` from PATH: put our venv first
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(cli), os.environ.get("PATH", "")])
    os.execv(cli, [cli, "standalone"])
    return 0  # not reached


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="social-crm", description="Social CRM data pipeline: warehouse, demo, local Airflow."
    )
    parser.add_argument("--version", action="version", version=f"social-crm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    wh = sub.add_parser("warehouse", help="the PostgreSQL warehouse (embedded or WAREHOUSE_URL)")
    wh_sub = wh.add_subparsers(dest="action", required=True)
    wh_sub.add_parser("up", help="start (embedded) and bootstrap schemas").set_defaults(
        func=cmd_warehouse_up
    )
    url = wh_sub.add_parser("url", help="print a URL psql and SQLAlchemy accept")
    url.add_argument("--show-password", action="store_true", help="print the password too")
    url.set_defaults(func=cmd_warehouse_url)
    wh_sub.add_parser("env", help="print shell exports for dbt's profile").set_defaults(
        func=cmd_warehouse_env
    )
    wh_sub.add_parser("down", help="stop the embedded warehouse").set_defaults(
        func=cmd_warehouse_down
    )

    sub.add_parser("doctor", help="check versions, warehouse, Airflow home, dbt").set_defaults(
        func=cmd_doctor
    )
    sub.add_parser("demo", help="set up and run the pipeline end to end").set_defaults(
        func=cmd_demo
    )
    af = sub.add_parser("airflow", help="run `airflow standalone` on our dags folder")
    af.add_argument("--port", type=int, default=8080)
    af.set_defaults(func=cmd_airflow)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        if os.environ.get("SOCIAL_CRM_DEBUG"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        print("(set SOCIAL_CRM_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
