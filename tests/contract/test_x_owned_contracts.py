"""Contract tests of our account's mentions timeline (`GET /2/users/:id/mentions`): answers
written by hand from docs.x.com (`payloads/x_owned/*.json`, each naming its source), never
produced by our simulator. The extractor lands them as the documentation says; the simulator,
asked the same call, answers with the same status, keys and JSON types."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import pytest
import requests

from social_crm.extract import x_streams
from social_crm.extract.http import ApiError, Page
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from social_crm_dev.simulator.x_api import MENTIONS_HORIZON, XProfile
from tests.contract.test_contracts import _shape_mismatches, _x

PAYLOADS = {
    path.stem: path
    for path in sorted((Path(__file__).parent / "payloads" / "x_owned").glob("*.json"))
}
MENTIONS = f"users/{BRANDS[0].x_user_id}/mentions"


def load(name: str) -> dict:
    return json.loads(PAYLOADS[name].read_text(encoding="utf-8"))


def test_every_mentions_payload_names_its_public_source():
    assert len(PAYLOADS) == 4
    for name, path in PAYLOADS.items():
        source = json.loads(path.read_text(encoding="utf-8"))["source"]
        assert source.startswith("https://docs.x.com/"), name


# --- the extractor reads the documented answers ------------------------------------------


def test_a_documented_mentions_page_lands_its_mentions_and_skips_the_repost(canned):
    body = canned("x_mentions_page").answer()
    items = x_streams.MENTIONS.select(Page(body["data"], body, 1))
    records = [x_streams.tweet_record(item, "fjordbrew") for item in items]
    assert [r.natural_key for r in records] == ["2013435000000000002", "2013422922629382147"]
    assert {u["id"] for u in x_streams.included_users(body)} == {
        "1600000000000000123",
        "1600000000000000456",
    }


def test_the_next_mentions_page_is_asked_with_pagination_token(canned):
    api = canned("x_mentions_page")
    call = api.case["call"]
    pages = api.client().token_pages(call["path"], dict(call["params"]), "pagination_token")
    assert len(list(islice(pages, 2))) == 2
    token = api.case["body"]["meta"]["next_token"]
    assert f"pagination_token={token}" in api.requests[1]
    assert "next_token=" not in api.requests[1]


def test_the_documented_last_mentions_page_ends_the_walk(canned):
    api = canned("x_mentions_last_page")
    call = api.case["call"]
    pages = list(api.client().token_pages(call["path"], dict(call["params"]), "pagination_token"))
    assert [len(page.items) for page in pages] == [2]


def test_a_documented_answer_beyond_the_horizon_holds_no_post(canned):
    body = canned("x_mentions_beyond_horizon").answer()
    assert Page(body.get("data") or [], body, 1).items == []


def test_a_documented_invalid_max_results_is_a_request_error(canned):
    with pytest.raises(ApiError) as failure:
        canned("x_mentions_invalid_max_results").answer()
    assert failure.value.status == 400


# --- the simulator answers the same calls with the same shapes ------------------------------


@pytest.fixture(scope="module")
def sim():
    """More mentions of our brand than its timeline reaches."""
    world = World(WorldConfig(seed=4, scale=1.0, days=6))
    with SimulatorServer(world, x_profile=XProfile(window_seconds=0)) as server:
        yield server


def _walk(sim, **params) -> list[requests.Response]:
    """Every answer of a walk of our mentions timeline, 100 a page."""
    answers, token = [], None
    while True:
        extra = {"pagination_token": token} if token else {}
        answers.append(_x(sim, MENTIONS, max_results="100", **params, **extra))
        token = answers[-1].json().get("meta", {}).get("next_token")
        if not token:
            return answers


def _same_call(name: str):
    def call(sim) -> requests.Response:
        params = dict(load(name)["call"]["params"])
        params.pop("pagination_token", None)
        return _x(sim, MENTIONS, **params)

    return call


def _last_page(sim) -> requests.Response:
    params = {k: v for k, v in load("x_mentions_last_page")["call"]["params"].items()}
    params.pop("pagination_token")
    params.pop("max_results")
    return _walk(sim, **params)[-1]


def _beyond_horizon(sim) -> requests.Response:
    oldest = _walk(sim)[-1].json()["meta"]["oldest_id"]
    return _x(sim, MENTIONS, until_id=oldest, max_results="5")


SIMULATOR_CALLS = {
    "x_mentions_page": _same_call("x_mentions_page"),
    "x_mentions_last_page": _last_page,
    "x_mentions_beyond_horizon": _beyond_horizon,
    "x_mentions_invalid_max_results": _same_call("x_mentions_invalid_max_results"),
}


def test_every_mentions_payload_is_compared_with_the_simulator():
    assert set(SIMULATOR_CALLS) == set(PAYLOADS)


@pytest.mark.parametrize("name", sorted(SIMULATOR_CALLS))
def test_simulator_mentions_answer_the_documented_status_keys_and_types(sim, name):
    documented = load(name)
    answer = SIMULATOR_CALLS[name](sim)
    assert answer.status_code == documented["status"], answer.json()
    assert _shape_mismatches(documented["body"], answer.json()) == []


def test_simulator_mentions_timeline_reaches_the_800_most_recent_only(sim):
    walked = [t for answer in _walk(sim) for t in answer.json().get("data", [])]
    older = sum(1 for t in sim.world.tweets(0) if t.person is not None) + sum(
        1 for _ in sim.world.reposts(0)
    )
    assert older > MENTIONS_HORIZON, "the world holds more mentions than the horizon"
    assert len(walked) == MENTIONS_HORIZON


@pytest.mark.parametrize("name", ["next_token", "exclude"])
def test_simulator_mentions_refuse_an_undocumented_parameter(sim, name):
    answer = _x(sim, MENTIONS, **{name: "retweets"})
    assert answer.status_code == 400
    assert name in answer.json()["errors"][0]["parameters"]
