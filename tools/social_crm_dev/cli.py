"""The developer commands of `social-crm` (registered through the `social_crm.cli_plugins`
entry point): demo, simulator, local Airflow, and the embedded warehouse behind
every command that uses the warehouse when `WAREHOUSE_URL` is not set."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from social_crm_dev import settings as dev_settings

# the commands that need no warehouse (command, action); on a developer machine without
# WAREHOUSE_URL every other one uses the embedded warehouse, started if need be, and exports its
# URL to what it runs (dbt, DAG runs, Airflow)
NO_WAREHOUSE = {("simulate", None), ("serve-api", None), ("deliver-webhooks", None)}
NO_WAREHOUSE |= {("sentiment", "score"), ("warehouse", "down")}


def _step(message: str) -> None:
    print(f"==> {message}", flush=True)


def use_embedded_warehouse() -> None:
    """With WAREHOUSE_URL unset, the embedded warehouse, said in one line on stderr (where it
    is, never its password: stdout may be a CSV or a shell's `eval`)."""
    from social_crm import settings
    from social_crm_dev import local_warehouse

    if settings.load().warehouse_url:
        return
    where = local_warehouse.use(start=True)
    assert where is not None  # started
    print(
        f"WAREHOUSE_URL is not set: using the embedded warehouse {where.host}:{where.port}/"
        f"{where.database} (data in {local_warehouse.data_dir()})",
        file=sys.stderr,
        flush=True,
    )


def before_command(args: argparse.Namespace) -> None:
    if (args.command, getattr(args, "action", None)) not in NO_WAREHOUSE:
        use_embedded_warehouse()
    # the local Airflow is the one to check, and holds the connections `make demo` saved
    if args.command in ("doctor", "check-connections"):
        from social_crm_dev import airflow_env

        airflow_env.apply_environment()


def cmd_demo(args: argparse.Namespace) -> int:
    from social_crm_dev import demo

    return demo.run(scale=args.scale, seed=args.seed)


def cmd_bi(args: argparse.Namespace) -> int:
    """`make bi`: Superset with the starter dashboards against the demo's warehouse."""
    from social_crm_dev import bi

    try:
        return bi.run(args.port, args.host)
    except bi.BiError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def cmd_airflow(args: argparse.Namespace) -> int:
    """`airflow standalone` on our dags folder; after a demo, with the demo world's simulator
    running where the connections the demo saved point, and its CRM drop folder, so an
    extraction DAG unpaused in the UI runs."""
    import contextlib

    from social_crm.paths import local_dir
    from social_crm_dev import airflow_env, demo, local_airflow, local_webhooks
    from social_crm_dev.simulator.config import WorldConfig

    os.environ.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin")
    os.environ.update(local_airflow.component_environment(args.host, args.port))
    env = airflow_env.apply_environment()
    airflow_env.migrate_metadata_db()
    passwords = airflow_env.airflow_home() / "simple_auth_manager_passwords.json.generated"
    print(f"Airflow home: {env['AIRFLOW_HOME']}")
    print(f"UI: http://{args.host}:{args.port}  (user: admin; password: in {passwords},")
    print("    written when the API server first starts)")
    if args.host != local_airflow.LOCAL_HOST:
        print(f"    listening on {args.host}: reachable from other machines")
    cli = airflow_env.airflow_cli()
    # the components start their own `airflow ...` processes from PATH: our venv first
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(cli), os.environ.get("PATH", "")])
    world = demo.demo_world()
    with contextlib.ExitStack() as running:
        if world is None:
            print("No demo world yet: `make demo` saves the connections facebook_graph and x_api")
            print("    and then this command runs the simulator they point at.")
        else:
            config = WorldConfig(seed=world["seed"], scale=world["scale"], days=world["days"])
            url = running.enter_context(
                demo.simulator(
                    config,
                    local_dir() / "logs" / "simulator.log",
                    port=dev_settings.load().simulator_port,
                )
            )
            os.environ["CRM_DROP_DIR"] = str(demo.world_dir(config.seed, config.scale) / "crm")
            print(f"Simulator of the demo's world at {url}: the connections facebook_graph and")
            print(f"    x_api point at it; CRM drop folder {os.environ['CRM_DROP_DIR']}")
        hook = running.enter_context(local_webhooks.receiver(local_dir() / "logs" / "webhooks.log"))
        print(f"Webhook receiver at {hook} (docs/webhooks.md; log .local/logs/webhooks.log)")
        if world is not None:
            print(f"    the simulator delivers to it: POST {url}/_admin/webhooks/deliver")
            print(f'    {{"url": "{hook}", "minutes": 60}}')
        return local_airflow.run(cli, args.host, args.port)


def _world(args: argparse.Namespace):
    from social_crm_dev.simulator.config import WorldConfig
    from social_crm_dev.simulator.world import World

    return World(
        WorldConfig(
            seed=args.seed,
            scale=args.scale,
            days=args.days,
            crises=args.crises,
            reply_outages=args.reply_outages,
            real_texts=args.real_texts,
        )
    )


def cmd_simulate(args: argparse.Namespace) -> int:
    from social_crm_dev.simulator.truth import write_world

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
    from social_crm_dev.simulator.config import GRAPH_API_VERSION
    from social_crm_dev.simulator.faults import FaultConfig
    from social_crm_dev.simulator.server import SimulatorServer

    faults = FaultConfig(
        rate_limit_every=args.rate_limit_every,
        error_rate=args.error_rate,
        slow_rate=args.slow_rate,
        truncate_rate=args.truncate_rate,
        duplicate_items=args.duplicate_items,
        schema_drift=args.schema_drift,
        seed=args.seed,
    )
    from social_crm_dev.simulator.x_api import XProfile

    tokens = dev_settings.load()
    server = SimulatorServer(
        _world(args),
        port=args.port,
        fb_token=tokens.sim_facebook_token,
        x_token=tokens.sim_x_token,
        faults=faults,
        graph_legacy_app=args.graph_legacy_app,
        x_profile=XProfile(
            tier=args.x_tier,
            window_seconds=args.x_window_seconds,
            monthly_posts=args.x_monthly_posts,
        ),
    )
    print(f"simulator listening on {server.url}", flush=True)
    print(
        f"    Graph API: {server.url}/{GRAPH_API_VERSION}/   X API v2: {server.url}/2/", flush=True
    )
    print(f"    admin: GET {server.url}/_admin/state, POST /_admin/faults, POST /_admin/advance")
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


def cmd_deliver_webhooks(args: argparse.Namespace) -> int:
    """Ask a running simulator to deliver its world's webhook changes of the last minutes."""
    import requests

    answer = requests.post(
        f"{args.simulator.rstrip('/')}/_admin/webhooks/deliver",
        json={"url": args.url, "minutes": args.minutes, "seed": args.seed},
        timeout=600,
    )
    print(answer.text)
    return 0 if answer.ok else 1


def cmd_warehouse_down(args: argparse.Namespace) -> int:
    from social_crm import settings
    from social_crm_dev import local_warehouse

    if settings.load().warehouse_url:
        print("WAREHOUSE_URL is set: that server is not ours to stop")
        return 0
    stopped = local_warehouse.stop()
    print("embedded warehouse stopped" if stopped else "embedded warehouse was not running")
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
    parser.add_argument(
        "--crises", type=int, default=0, help="X mention crises planned in the history"
    )
    parser.add_argument(
        "--reply-outages", type=int, default=0, help="spans in which a brand answers nobody"
    )
    parser.add_argument(
        "--real-texts",
        action="store_true",
        help="messages' texts from the shared labelled train splits (as varied and long as"
        " real posts), not the templates",
    )


def add_commands(
    sub: argparse._SubParsersAction, warehouse_sub: argparse._SubParsersAction
) -> None:
    warehouse_sub.add_parser("down", help="stop the embedded warehouse").set_defaults(
        func=cmd_warehouse_down
    )
    dev = dev_settings.load()  # the commands' defaults, read (and checked) once
    dm = sub.add_parser("demo", help="set up and run the pipeline end to end")
    dm.add_argument("--scale", type=float, default=dev.demo_scale)
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
    api.add_argument(
        "--graph-legacy-app",
        action="store_true",
        help="serve a Graph app created before 2026-11-04 (?ids= on v24/v25); default: a new app",
    )
    api.add_argument(
        "--x-tier",
        choices=("pay_per_use", "free", "basic", "pro"),
        default="pay_per_use",
        help="the X access model (pay-per-use: what a new developer gets)",
    )
    api.add_argument(
        "--x-window-seconds",
        type=float,
        default=900.0,
        help="length of X's 15-minute request windows (shorter: time passes faster)",
    )
    api.add_argument(
        "--x-monthly-posts", type=int, default=None, help="monthly Post cap (default: the tier's)"
    )
    api.set_defaults(func=cmd_serve_api)

    hook = sub.add_parser(
        "deliver-webhooks",
        help="have a running simulator sign and send its world's webhook changes to a receiver",
    )
    hook.add_argument("--simulator", required=True, help="the simulator's base URL")
    hook.add_argument("--url", required=True, help="the receiver's callback URL")
    hook.add_argument("--minutes", type=int, default=60, help="the last minutes of the world")
    hook.add_argument("--seed", type=int, default=0, help="batching and duplicates (seeded)")
    hook.set_defaults(func=cmd_deliver_webhooks)

    af = sub.add_parser("airflow", help="run the local Airflow (as `airflow standalone`)")
    af.add_argument(
        "--port",
        type=int,
        default=dev.airflow_port,
        help="the UI's and API's port (default AIRFLOW__API__PORT, else 8080)",
    )
    af.add_argument(
        "--host",
        default=dev.airflow_host,
        help="where the UI listens (default AIRFLOW__API__HOST, else 127.0.0.1: this machine"
        " only; 0.0.0.0: every one)",
    )
    af.set_defaults(func=cmd_airflow)

    bi = sub.add_parser("bi", help="Superset with the starter dashboards (docs/bi.md)")
    bi.add_argument(
        "--port",
        type=int,
        default=dev.bi_port,
        help="Superset's port (default SOCIAL_CRM_BI_PORT, else 8088)",
    )
    bi.add_argument("--host", default="127.0.0.1", help="where it listens (default 127.0.0.1)")
    bi.set_defaults(func=cmd_bi)
