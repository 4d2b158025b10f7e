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
    from social_crm import demo

    return demo.run(scale=args.scale, seed=args.seed)


def cmd_metabase_connect(args: argparse.Namespace) -> int:
    from social_crm import metabase

    print(metabase.connect(metabase.MetabaseSettings.from_env()))
    return 0


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


def _world(args: argparse.Namespace):  # noqa: ANN202
    from social_crm.simulator.config import WorldConfig
    from social_crm.simulator.world import World

    return World(WorldConfig(seed=args.seed, scale=args.scale, days=args.days))


def cmd_simulate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from social_crm.simulator.truth import write_world

    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"    [{time.monotonic() - started:6.1f}s] {message}", flush=True)

    _step(f"building world seed={args.seed} scale={args.scale} days={args.days}")
    world = _world(args)
    _step(f"writing CRM export and ground truth to {args.out}")
    summary = write_world(world, Path(args.out), progress)
    for name, rows in summary["rows"].items():
        print(f"    {name:<12} {rows:>10,}")
    print(f"done in {time.monotonic() - started:.1f}s; see {Path(args.out) / 'README.md'}")
    return 0


def cmd_serve_api(args: argparse.Namespace) -> int:
    from social_crm.simulator.faults import FaultConfig
    from social_crm.simulator.server import SimulatorServer

    faults = FaultConfig(
        rate_limit_every=args.rate_limit_every,
        error_rate=args.error_rate,
        slow_rate=args.slow_rate,
        truncate_rate=args.truncate_rate,
        duplicate_items=args.duplicate_items,
        schema_drift=args.schema_drift,
        seed=args.seed,
    )
    server = SimulatorServer(
        _world(args),
        port=args.port,
        fb_token=os.environ.get("SIM_FACEBOOK_TOKEN", "sim-facebook-token"),
        x_token=os.environ.get("SIM_X_TOKEN", "sim-x-bearer-token"),
        faults=faults,
    )
    print(f"simulator listening on {server.url}", flush=True)
    print(f"    Graph API: {server.url}/v21.0/   X API v2: {server.url}/2/", flush=True)
    print(f"    admin: GET {server.url}/_admin/state, POST /_admin/faults, POST /_admin/advance")
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


def _add_world_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="1.0 = ~2,000 customers and ~200k engagement events",
    )
    parser.add_argument("--days", type=int, default=90, help="days of history at the clock")


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
    dm = sub.add_parser("demo", help="set up and run the pipeline end to end")
    dm.add_argument("--scale", type=float, default=float(os.environ.get("DEMO_SCALE", "1.0")))
    dm.add_argument("--seed", type=int, default=42)
    dm.set_defaults(func=cmd_demo)
    sim = sub.add_parser("simulate", help="write a simulated CRM export and its ground truth")
    _add_world_args(sim)
    sim.add_argument("--out", required=True, help="output folder")
    sim.set_defaults(func=cmd_simulate)

    api = sub.add_parser("serve-api", help="serve the simulated Graph and X APIs on 127.0.0.1")
    _add_world_args(api)
    api.add_argument("--port", type=int, default=8765)
    api.add_argument("--rate-limit-every", type=int, default=0, metavar="N")
    api.add_argument("--error-rate", type=float, default=0.0)
    api.add_argument("--slow-rate", type=float, default=0.0)
    api.add_argument("--truncate-rate", type=float, default=0.0)
    api.add_argument("--duplicate-items", action="store_true")
    api.add_argument("--schema-drift", action="store_true")
    api.set_defaults(func=cmd_serve_api)

    sub.add_parser(
        "metabase-connect",
        help="add or update the marts connection in Metabase, as the bi_reader login (env vars)",
    ).set_defaults(func=cmd_metabase_connect)

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
