"""What one marts build costs, for choosing how often to build (docs/operating.md, "When the
marts are built"): `make bench`'s world and pieces at EVENTS engagement events, extracted
over HTTP, then `nightly.run_all()` in a process of its own after the full load, after each
of two simulated hours extracted, and with nothing new. Prints one line per measure and
writes them as JSON to OUT.

    .venv/bin/python -m social_crm_dev.bench_schedule 100000 .local/schedule.json
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import requests

from social_crm.extract.x import TIER_POST_CAPS
from social_crm.paths import repo_root
from social_crm.warehouse import migrations
from social_crm_dev import local_warehouse
from social_crm_dev.bench import (
    EVENTS_PER_SCALE,
    bench_world,
    create_database,
    drop_database,
    extract_in_child,
    nightly_in_child,
)
from social_crm_dev.demo import connection_env, lift_instagram_call_limit, simulator
from social_crm_dev.simulator.truth import write_world
from social_crm_dev.simulator.world import World

HOURS = 2


def build() -> dict:
    """One `run_all()`: its seconds, step seconds, and the CPU seconds of its process (the
    warehouse server's are not counted)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    built = nightly_in_child()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    built.pop("dbt_node_seconds", None)
    built["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return built


def run(events: int, out: Path) -> dict:
    started = time.monotonic()
    results: dict = {"events_target": events}

    def note(name: str, value: dict) -> None:
        results[name] = value
        out.write_text(json.dumps(results, indent=1))
        print(f"[{time.monotonic() - started:7.1f}s] {name}: {value['seconds']:.1f} s", flush=True)

    scale = max(0.05, events / EVENTS_PER_SCALE)
    config = bench_world(scale)
    server = local_warehouse.use(start=True)
    db = create_database(server, f"schedule_{uuid.uuid4().hex[:8]}")
    os.environ["WAREHOUSE_URL"] = db.libpq()
    try:
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        world_dir = Path(tempfile.mkdtemp(prefix="schedule-world-"))
        write_world(World(config), world_dir, progress=lambda _: None)
        from social_crm.orchestration import extraction

        extraction.run_crm(folder=world_dir / "crm")
        log_file = repo_root() / ".local" / "logs" / "schedule-simulator.log"
        cap = TIER_POST_CAPS["enterprise"]  # as make bench: the pipeline, not the tier
        with simulator(config, log_file, x_window_seconds=0, x_monthly_posts=cap) as url:
            lift_instagram_call_limit(url)  # as make bench's (bench.served_world)
            os.environ.update(connection_env(url, config.days, x_read_cap=cap, x_paced=False))
            note("extraction", extract_in_child())
            note("full", build())
            note("noop_after_full", build())
            for hour in range(HOURS):
                requests.post(f"{url}/_admin/advance", json={"minutes": 60}, timeout=30)
                note(f"hour{hour}_extraction", extract_in_child())
                note(f"hour{hour}_build", build())
            note("noop", build())
    finally:
        drop_database(server, db)
    return results


if __name__ == "__main__":
    run(int(sys.argv[1]), Path(sys.argv[2]))
