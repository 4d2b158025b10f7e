"""`docker compose --profile demo up`: the pipeline against the API simulator's world, inside
compose, without a real token (docs/compose.md).

Two commands, each a compose service of the demo image (Dockerfile target `demo`):

- `simulator`: the simulator of the demo's world on every interface of its container, its
  paging links naming it as the other containers reach it (`http://simulator:8799`);
- `setup` (one-shot, after airflow-init): the world's CRM export into the CRM drop folder
  (unless an export is already there), the connections `facebook_graph`, `instagram_graph` and
  `x_api` pointing at the simulator, created in Airflow's database where none of that id
  exists (one saved before, real or edited, is kept and named), and the simulator's Instagram
  call limit lifted as `make demo` lifts it.

The world is `make demo`'s: seed 42, 90 days, `DEMO_SCALE` customers (1.0: about 2,000).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from social_crm_dev import settings as dev_settings
from social_crm_dev.simulator.config import WorldConfig

SEED, DAYS = 42, 90  # `make demo`'s world (demo.run)
PORT = 8799
SERVICE_URL = f"http://simulator:{PORT}"  # the compose service, as the other containers reach it


def world_config() -> WorldConfig:
    return WorldConfig(seed=SEED, scale=dev_settings.load().demo_scale, days=DAYS)


def serve(host: str, port: int, public_url: str) -> int:
    from social_crm_dev.simulator.server import SimulatorServer
    from social_crm_dev.simulator.world import World
    from social_crm_dev.simulator.x_api import XProfile

    tokens = dev_settings.load()
    server = SimulatorServer(
        World(world_config()),
        host=host,
        port=port,
        public_url=public_url,
        fb_token=tokens.sim_facebook_token,
        x_token=tokens.sim_x_token,
        # `make demo`'s X project: pay-per-use, 15-minute windows lasting a second
        x_profile=XProfile(tier="pay_per_use", window_seconds=1.0),
    )
    print(f"simulator of the demo world listening on {host}:{port}, as {server.url}", flush=True)
    try:
        server.httpd.serve_forever()
    finally:
        server.httpd.server_close()
    return 0


def drop_crm_export(drop_dir: Path) -> bool:
    """The world's CRM export into `drop_dir`, unless the folder holds an export already (new
    or landed: `processed/`); whether it was dropped."""
    if any(drop_dir.glob("*.csv")) or (drop_dir / "processed").exists():
        return False
    from social_crm_dev.simulator.truth import write_world
    from social_crm_dev.simulator.world import World

    with tempfile.TemporaryDirectory() as folder:
        write_world(World(world_config()), Path(folder), progress=lambda _: None)
        for file in sorted((Path(folder) / "crm").iterdir()):
            shutil.copy2(file, drop_dir / file.name)
    return True


def demo_connections(simulator_url: str) -> list:
    """`make demo`'s connections (demo.connection_env), pointing at `simulator_url`."""
    from social_crm.extract.credentials import ApiCredentials
    from social_crm_dev.demo import connection_env

    found = []
    for name, value in connection_env(simulator_url, DAYS).items():
        spec = json.loads(value)
        conn_id = name.removeprefix("AIRFLOW_CONN_").lower()
        found.append(ApiCredentials(conn_id, spec["host"], spec["password"], spec["extra"]))
    return found


def setup(simulator_url: str, drop_dir: Path) -> int:
    from social_crm.orchestration.connection_setup import create_missing
    from social_crm_dev.demo import lift_instagram_call_limit

    if drop_crm_export(drop_dir):
        print(f"CRM export of the demo world dropped in {drop_dir}")
    else:
        print(f"CRM export: {drop_dir} holds one already, left as it is")
    for conn_id, created in create_missing(demo_connections(simulator_url)).items():
        if created:
            print(f"connection {conn_id}: created, pointing at {simulator_url}")
        else:
            print(f"connection {conn_id}: exists, kept as it is (it may not be the simulator's)")
    lift_instagram_call_limit(simulator_url)
    print("the demo world is ready: unpause the DAGs in the Airflow UI (docs/compose.md)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m social_crm_dev.compose_demo")
    commands = parser.add_subparsers(dest="command", required=True)
    sim = commands.add_parser("simulator", help="serve the demo world's APIs")
    sim.add_argument("--host", default="0.0.0.0")
    sim.add_argument("--port", type=int, default=PORT)
    sim.add_argument("--public-url", default=SERVICE_URL)
    ready = commands.add_parser("setup", help="CRM export and connections of the demo world")
    ready.add_argument("--simulator", default=SERVICE_URL)
    ready.add_argument("--drop-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "simulator":
        return serve(args.host, args.port, args.public_url)
    return setup(args.simulator, args.drop_dir)


if __name__ == "__main__":
    sys.exit(main())
