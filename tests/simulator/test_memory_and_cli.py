"""Generation memory stays flat as events grow; the CLI commands work end to end."""

import json
import subprocess
import sys

import pytest
import requests

MEASURE = """
import json, sys
from pathlib import Path
from social_crm_dev.process_memory import peak_rss_mb
from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.truth import write_world
from social_crm_dev.simulator.world import World
summary = write_world(World(WorldConfig(seed=9, scale=1.0, days=int(sys.argv[1]))),
                      Path(sys.argv[2]), progress=lambda _: None)
print(json.dumps({"rss_mb": peak_rss_mb(),
                  "messages": summary["rows"]["messages"]}))
"""


def _measure(days, out):
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(days), str(out)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # two worlds simulated in subprocesses
def test_peak_memory_stays_flat_when_events_quadruple(tmp_path):
    small = _measure(15, tmp_path / "small")
    large = _measure(60, tmp_path / "large")
    print(
        f"peak RSS {small['rss_mb']:.0f} MB for {small['messages']:,} messages, "
        f"{large['rss_mb']:.0f} MB for {large['messages']:,} messages"
    )
    assert large["messages"] > 3.5 * small["messages"]
    assert large["rss_mb"] < 1.2 * small["rss_mb"]


def test_simulate_command_writes_documented_files(tmp_path):
    out = tmp_path / "world"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "social_crm.cli",
            "simulate",
            "--seed",
            "2",
            "--scale",
            "0.02",
            "--days",
            "10",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    for name in (
        "crm/customers.csv",
        "crm/orders.csv",
        "crm/erasure_requests.csv",
        "truth/profiles.csv",
        "truth/engagements.csv",
        "truth/messages.csv",
        "truth/idea_sales.csv",
        "truth/fan_counts.csv",
        "truth/deletions.csv",
        "truth/edits.csv",
        "truth/erasures.csv",
        "truth/clv_parameters.json",
        "truth/world.json",
        "README.md",
    ):
        assert (out / name).is_file(), name
        if name != "README.md":
            assert name.split("/")[-1] in (out / "README.md").read_text(), "undocumented"
    assert "customers" in proc.stdout and "messages" in proc.stdout


def test_serve_api_command_serves_both_apis(tmp_path):
    from social_crm_dev.demo import simulator
    from social_crm_dev.simulator.config import WorldConfig

    with simulator(WorldConfig(seed=1, scale=0.02, days=10), tmp_path / "sim.log") as base:
        page = requests.get(
            f"{base}/v24.0/104000000000001",
            params={"access_token": "sim-facebook-token", "fields": "name,fan_count"},
            timeout=5,
        ).json()
        assert page["name"] == "Fjordbrew Coffee" and page["fan_count"] > 0
        search = requests.get(
            f"{base}/2/tweets/search/recent",
            timeout=5,
            params={"query": "@fjordbrew", "max_results": 10},
            headers={"Authorization": "Bearer sim-x-bearer-token"},
        )
        assert search.status_code == 200 and search.json()["meta"]["result_count"] == 10
    assert "simulator listening on" in (tmp_path / "sim.log").read_text()


def test_serve_api_command_plans_the_incidents_it_is_asked_for(tmp_path):
    from social_crm_dev.demo import simulator
    from social_crm_dev.simulator.config import WorldConfig

    world = WorldConfig(seed=1, scale=0.02, days=40, crises=2, reply_outages=1)
    with simulator(world, tmp_path / "sim.log") as base:
        state = requests.get(f"{base}/_admin/state", timeout=5).json()
    assert state["incidents"] == {"crises": 2, "reply_outages": 1}
