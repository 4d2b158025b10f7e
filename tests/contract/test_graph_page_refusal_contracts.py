"""Contract tests for the ways Graph refuses a Page, or cannot load it
(`payloads/graph_page_tokens/*.json`, each naming its public source, never produced by our
simulator): a New Pages Experience Page read without its Page token, a Page restricted or
out of the token's reach. The extractor reads each as the documentation and the reports say
(served by a real local HTTP server, through the real client); the simulator answers our
Page's content to the brand's user token with the same status, keys and JSON types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from social_crm.extract import graph_batch
from social_crm.extract.graph_policy import PageTokenRequired, cannot_load
from social_crm.extract.http import ApiAccessError, ApiAuthError, ApiError
from social_crm.orchestration.extraction import GRAPH_API_VERSION
from social_crm_dev.simulator.config import OUR_BRAND, WorldConfig
from social_crm_dev.simulator.server import DEFAULT_FB_TOKEN, SimulatorServer
from social_crm_dev.simulator.world import World
from tests.contract.test_contracts import _shape_mismatches
from tests.contract.test_graph_v27_contracts import CannedGraph

PAYLOADS = {
    p.stem: p for p in sorted((Path(__file__).parent / "payloads/graph_page_tokens").glob("*.json"))
}
NEEDS_PAGE_TOKEN = ["graph_page_token_required", "graph_npe_not_supported"]
CANNOT_LOAD = ["graph_restricted_page", "graph_missing_permission_or_feature"]


def load(name: str) -> dict:
    return json.loads(PAYLOADS[name].read_text(encoding="utf-8"))


def _refusal(case: dict) -> ApiError:
    server = CannedGraph(case)
    try:
        with pytest.raises(ApiError) as refused:
            server.client.get_json(case["call"]["path"], dict(case["call"]["params"]))
    finally:
        server.close()
    return refused.value


def test_every_payload_names_its_public_source():
    assert set(PAYLOADS) == {*NEEDS_PAGE_TOKEN, *CANNOT_LOAD}
    for name in PAYLOADS:
        source = load(name)["source"]
        assert source.startswith("https://"), name
        assert "simulator" not in source.lower(), name


@pytest.mark.parametrize("name", NEEDS_PAGE_TOKEN)
def test_a_page_token_refusal_says_to_read_the_page_with_its_token(name):
    error = _refusal(load(name))
    assert isinstance(error, PageTokenRequired) and not isinstance(error, ApiAuthError)
    assert "its Page token" in str(error)
    assert "Update the token" not in str(error)


@pytest.mark.parametrize("name", CANNOT_LOAD)
def test_a_page_graph_cannot_load_is_told_apart_and_is_no_deletion(name):
    error = _refusal(load(name))
    assert cannot_load(error.detail)
    assert not graph_batch.is_missing_node(error)  # no subcode 33: never a tombstone


@settings(max_examples=25, deadline=None)
@given(code=st.integers(200, 299).filter(lambda c: c != 200))
def test_a_permission_error_200_to_299_never_asks_for_a_new_token(code):
    """Codes 200-299 are "API Permission: Permission is either not granted or has been
    removed" (developers.facebook.com/docs/graph-api/guides/error-handling), not a token to
    replace."""
    case = load("graph_npe_not_supported")
    case["body"]["error"] = {"message": f"(#{code}) Permissions error", "code": code}
    error = _refusal(case)
    assert isinstance(error, ApiAccessError) and not isinstance(error, ApiAuthError)
    assert "Update the token" not in str(error)


def test_simulator_refuses_our_pages_content_to_the_brands_token_as_reported():
    documented = load("graph_page_token_required")
    with SimulatorServer(World(WorldConfig(seed=7, scale=0.01, days=5))) as sim:
        post = next(iter(sim.world.posts(0, "post"))).id
        assert post.startswith(OUR_BRAND.page_id)
        answer = requests.get(
            f"{sim.url}/{GRAPH_API_VERSION}/{post}",
            params={"access_token": DEFAULT_FB_TOKEN, "fields": "id"},
            timeout=10,
        )
    assert answer.status_code == documented["status"]
    assert _shape_mismatches(documented["body"], answer.json()) == []
    assert answer.json()["error"]["message"] == documented["body"]["error"]["message"]
