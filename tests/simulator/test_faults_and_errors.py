"""Each fault is observable by a client; auth errors use each API's own format."""

import json

import pytest
import requests

from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.faults import FaultConfig
from social_crm_dev.simulator.graph_api import page_token
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.simulator.walk import FB_TOKEN, X_HEADERS

PAGE = BRANDS[0].page_id
SEARCH = {"query": "@fjordbrew", "max_results": 10}


@pytest.fixture
def sim():
    with SimulatorServer(World(WorldConfig(seed=5, scale=0.05, days=20))) as running:
        yield running


def _graph(sim, path="", **params):
    """Our Page, with its Page token (the brand's token reads who wrote nothing)."""
    token = page_token(FB_TOKEN, PAGE)
    return requests.get(
        f"{sim.url}/v24.0/{PAGE}{path}", params={"access_token": token, **params}, timeout=10
    )


def _search(sim, **params):
    return requests.get(
        f"{sim.url}/2/tweets/search/recent",
        params={**SEARCH, **params},
        headers=X_HEADERS,
        timeout=10,
    )


def test_graph_auth_errors_use_the_graph_envelope(sim):
    for params in ({"access_token": "wrong"}, {}):
        answer = requests.get(f"{sim.url}/v24.0/{PAGE}", params=params, timeout=10)
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert error["code"] == 190 and error["type"] == "OAuthException"
        assert error["fbtrace_id"]


def test_x_auth_errors_use_x_problem_format(sim):
    answer = requests.get(
        f"{sim.url}/2/tweets/search/recent",
        params=SEARCH,
        headers={"Authorization": "Bearer wrong"},
        timeout=10,
    )
    assert answer.status_code == 401
    assert answer.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }


def test_graph_rate_limits_rotate_the_documented_codes(sim):
    sim.configure_faults(FaultConfig(rate_limit_every=2))
    codes = []
    for _ in range(8):
        answer = _graph(sim)
        if answer.status_code != 200:
            codes.append(answer.json()["error"]["code"])
            assert "call_count" in json.loads(answer.headers["x-app-usage"])
    assert sorted(set(codes)) == [4, 17, 32, 613]


def test_x_rate_limit_is_429_with_a_reset_time_on_the_apis_clock(sim):
    from email.utils import parsedate_to_datetime

    sim.configure_faults(FaultConfig(rate_limit_every=1, rate_limit_reset_seconds=30))
    answer = _search(sim)
    api_now = parsedate_to_datetime(answer.headers["date"]).timestamp()
    assert answer.status_code == 429
    assert answer.headers["x-rate-limit-remaining"] == "0"
    assert api_now + 29 <= int(answer.headers["x-rate-limit-reset"]) <= api_now + 31


def test_an_x_request_window_resets_on_the_apis_clock(sim):
    from email.utils import parsedate_to_datetime

    answer = _search(sim)
    api_now = parsedate_to_datetime(answer.headers["date"]).timestamp()
    assert answer.status_code == 200
    assert api_now <= int(answer.headers["x-rate-limit-reset"]) <= api_now + 900 + 1


def test_server_errors_are_5xx_in_either_api(sim):
    sim.configure_faults(FaultConfig(error_rate=1.0))
    statuses = {_graph(sim).status_code for _ in range(6)} | {
        _search(sim).status_code for _ in range(6)
    }
    assert statuses <= {500, 502, 503} and len(statuses) >= 2


def test_slow_answers_hit_a_client_read_timeout(sim):
    sim.configure_faults(FaultConfig(slow_rate=1.0, slow_seconds=1.0))
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{sim.url}/v24.0/{PAGE}", params={"access_token": FB_TOKEN}, timeout=(5, 0.2))


def test_truncated_bodies_are_invalid_json(sim):
    sim.configure_faults(FaultConfig(truncate_rate=1.0))
    answer = _graph(sim, "/posts")
    assert answer.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.text)


def test_duplicated_items_repeat_across_page_boundaries(sim):
    first = _graph(sim, "/posts", limit=3).json()
    sim.configure_faults(FaultConfig(duplicate_items=True))
    second = requests.get(first["paging"]["next"], timeout=10).json()
    assert second["data"][0]["id"] == first["data"][-1]["id"]

    sim.configure_faults(FaultConfig())
    page1 = _search(sim).json()
    sim.configure_faults(FaultConfig(duplicate_items=True))
    page2 = _search(sim, next_token=page1["meta"]["next_token"]).json()
    assert page2["data"][0]["id"] == page1["data"][-1]["id"]


def test_schema_drift_adds_a_field_and_drops_optional_ones(sim):
    sim.configure_faults(FaultConfig(schema_drift=True))
    post = _graph(sim, "/posts").json()["data"][0]
    assert post["is_simulated_drift"] is True and "updated_time" not in post
    tweet = _search(sim, **{"tweet.fields": "lang,created_at"}).json()["data"][0]
    assert "lang" not in tweet and "created_at" in tweet


def test_faults_and_clock_are_set_through_the_admin_endpoint(sim):
    answer = requests.post(f"{sim.url}/_admin/faults", json={"rate_limit_every": 1}, timeout=10)
    assert answer.json()["faults"]["rate_limit_every"] == 1
    assert _graph(sim).status_code in (400, 403)  # Graph throttles with either
    bad = requests.post(f"{sim.url}/_admin/faults", json={"nonsense": 1}, timeout=10)
    assert bad.status_code == 400 and "nonsense" in bad.json()["error"]
    state = requests.get(f"{sim.url}/_admin/state", timeout=10).json()
    assert state["injected"]["rate_limit"] >= 1


def test_advancing_the_clock_brings_new_items_edits_and_deletions(sim):
    def comments_now():
        found = {}
        for post in _graph(sim, "/posts", limit=100).json()["data"]:
            for c in requests.get(
                f"{sim.url}/v24.0/{post['id']}/comments",
                params={
                    "access_token": page_token(FB_TOKEN, PAGE),
                    "filter": "stream",
                    "limit": 100,
                },
                timeout=10,
            ).json()["data"]:
                found[c["id"]] = c["message"]
        return found

    before_posts = {p["id"] for p in _graph(sim, "/posts", limit=100).json()["data"]}
    before = comments_now()
    requests.post(f"{sim.url}/_admin/advance", json={"days": 14}, timeout=10).raise_for_status()
    after_posts = {p["id"] for p in _graph(sim, "/posts", limit=100).json()["data"]}
    after = comments_now()

    assert before_posts < after_posts
    assert set(after) - set(before), "new comments appear"
    assert set(before) - set(after), "some comments were deleted"
    assert any(after[c] != before[c] for c in set(before) & set(after)), "some were edited"


def test_bad_requests_answer_in_the_api_format(sim):
    assert _search(sim, max_results=5).status_code == 400
    assert "not between 10 and 100" in _search(sim, max_results=5).json()["errors"][0]["message"]
    missing = requests.get(
        f"{sim.url}/v24.0/999/comments", params={"access_token": FB_TOKEN}, timeout=10
    ).json()
    assert missing["error"]["code"] == 100 and missing["error"]["error_subcode"] == 33
    wide = _graph(
        sim, "/insights", metric="page_follows", since="2026-01-01", until="2026-06-01"
    ).json()
    assert "93 days" in wide["error"]["message"]


def test_the_simulator_counts_requests_by_endpoint_and_x_posts_read(sim):
    _graph(sim, "/posts", limit=5)
    _graph(sim, "/posts", limit=5)
    _graph(sim, fields="name")
    found = _search(sim).json()
    state = requests.get(f"{sim.url}/_admin/state", timeout=10).json()
    assert state["requests"] == {
        "graph:/{id}/posts": 2,
        "graph:/{id}": 1,
        "x:search_recent": 1,
    }
    assert state["x_posts_read"] == len(found["data"])


def test_a_post_listing_reports_comment_and_reaction_counts(sim):
    listed = _graph(
        sim,
        "/posts",
        limit=5,
        fields="id,comments.filter(stream).limit(0).summary(true),"
        "reactions.limit(0).summary(total_count)",
    ).json()["data"]
    for post in listed:
        walked = requests.get(
            f"{sim.url}/v24.0/{post['id']}/comments",
            params={
                "access_token": page_token(FB_TOKEN, PAGE),
                "filter": "stream",
                "limit": 100,
            },
            timeout=10,
        ).json()["data"]
        assert post["comments"]["data"] == []
        # counts include nothing hidden here, so they equal a walk (when under 100)
        if len(walked) < 100:
            assert post["comments"]["summary"]["total_count"] >= len(walked)
        assert isinstance(post["reactions"]["summary"]["total_count"], int)
    assert any(post["comments"]["summary"]["total_count"] > 0 for post in listed)


def test_an_expansion_the_simulator_does_not_serve_is_refused(sim):
    answer = _graph(sim, "/posts", fields="id,comments.limit(5)")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 100
