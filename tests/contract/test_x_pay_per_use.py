"""Contract tests of X pay-per-use: answers written by hand from the documentation and field
reports (`payloads/x_pay_per_use/*.json`, each naming its source), never produced by our
simulator. The client reads each as documented (a credits-spent or capped answer ends reading,
both documented shapes of the usage answer are read, a documented page costs what the price
list says) and the simulator, asked the same, answers with the same status, keys and types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from social_crm.check_connections import usage_summary
from social_crm.extract import x_cost
from social_crm.extract.http import UsageCapExceeded
from social_crm.settings import X_PRICES_USD
from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from social_crm_dev.simulator.x_api import XProfile
from social_crm_dev.simulator.x_billing import XBilling
from tests.contract.test_contracts import _shape_mismatches, _x
from tests.contract.test_contracts import load as load_documented

FOLDER = Path(__file__).parent / "payloads" / "x_pay_per_use"
PAYLOADS = {path.stem: path for path in sorted(FOLDER.glob("*.json"))}


def load(name: str) -> dict:
    return json.loads(PAYLOADS[name].read_text(encoding="utf-8"))


def test_every_pay_per_use_payload_names_its_public_source():
    assert len(PAYLOADS) == 4
    for name, path in PAYLOADS.items():
        case = json.loads(path.read_text(encoding="utf-8"))
        assert case["source"].startswith("https://"), name
        assert "simulator" not in case["source"].lower(), name


def test_documented_spent_credits_end_reading_naming_the_credits(canned):
    with pytest.raises(UsageCapExceeded, match="credits are spent or its spending limit"):
        canned("x_credits_depleted").answer()


def test_documented_pay_per_use_cap_ends_reading_as_the_monthly_cap(canned):
    with pytest.raises(UsageCapExceeded, match="monthly Post cap"):
        canned("x_usage_capped_pay_per_use").answer()


@pytest.mark.parametrize(
    ("name", "read"),
    [("x_usage_tweets", (16400, "3000000")), ("x_usage_tweets_docs_example", (15420, "10000000"))],
)
def test_both_documented_shapes_of_the_usage_answer_are_read(canned, name, read):
    assert usage_summary(canned(name).answer()) == read


def test_a_documented_search_page_costs_its_posts_and_their_authors():
    """docs.x.com/x-api/getting-started/pricing: per resource returned, the expansions too."""
    page = load_documented("x_search_recent")
    body, path = page["body"], "/2/" + page["call"]["path"]
    posts, authors = len(body["data"]), len(body["includes"]["users"])
    cost = sum(X_PRICES_USD[c.price] for c in x_cost.charges(path, body, ()))
    assert (posts, authors) == (2, 2)
    assert cost == pytest.approx(2 * 0.005 + 2 * 0.010)


# --- the simulator answers the same calls with the same shapes ------------------------------


@pytest.fixture(scope="module")
def sim():
    world = World(WorldConfig(seed=4, scale=0.05, days=30))
    with SimulatorServer(world, x_profile=XProfile(window_seconds=0)) as server:
        yield server


PROFILES = {
    "x_credits_depleted": lambda: XProfile(
        tier="pay_per_use", window_seconds=0, billing=XBilling(spending_limit_usd=0.0)
    ),
    "x_usage_capped_pay_per_use": lambda: XProfile(
        tier="pay_per_use", window_seconds=0, monthly_posts=0
    ),
    "x_usage_tweets": lambda: XProfile(tier="pay_per_use", window_seconds=0),
}


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_simulator_answers_pay_per_use_calls_with_the_documented_status_keys_and_types(sim, name):
    documented = load(name)
    kept, sim.x_profile = sim.x_profile, PROFILES[name]()
    try:
        answer = _x(sim, documented["call"]["path"], **documented["call"]["params"])
    finally:
        sim.x_profile = kept
    body = answer.json()
    assert answer.status_code == documented["status"], body
    assert _shape_mismatches(documented["body"], body) == []
