"""Graph API for an app created since 2026-11-04: no multi-ID requests (`?ids=`), aliases or
method override on any version, `?ids=` gone from v26.0 for every app; synchronous batch
requests served to all, each request answering for itself (graph_api.py, server.py)."""

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.faults import Decision
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.graph_people import our_page_token, people_of_our_page
from tests.simulator.walk import FB_TOKEN

PAGE = BRANDS[0].page_id
WORLD = WorldConfig(seed=4, scale=0.05, days=20)


@pytest.fixture(scope="module")
def new_app():
    with SimulatorServer(World(WORLD)) as running:
        yield running


@pytest.fixture(scope="module")
def old_app():
    with SimulatorServer(World(WORLD), graph_legacy_app=True) as running:
        yield running


def _get(sim, version: str, path: str = "", **params) -> requests.Response:
    return requests.get(
        f"{sim.url}/{version}/{path}", params={"access_token": FB_TOKEN, **params}, timeout=10
    )


def _batch(
    sim, relative_urls: list[str], version: str = "v27.0", token: str = FB_TOKEN, **form
) -> requests.Response:
    batch = [{"method": "GET", "relative_url": url} for url in relative_urls]
    return requests.post(
        f"{sim.url}/{version}/",
        data={"access_token": token, "batch": json.dumps(batch), **form},
        timeout=10,
    )


def _people(sim, n: int) -> list[str]:
    """The ids of `n` people who engaged with our Page (read with its token: see `_batch`)."""
    return people_of_our_page(sim, n)


@pytest.mark.parametrize("version", ["v24.0", "v25.0", "v27.0"])
def test_a_new_app_is_refused_multi_id_requests_on_every_version(new_app, version):
    answer = _get(new_app, version, ids=",".join(_people(new_app, 2)), fields="id,name")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["code"], error["type"]) == (12, "OAuthException")
    assert "Multi-ID" in error["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"fields": "id,name.as(who)"},
        {"method": "delete"},
        {"date_format": "U"},
        {"callback": "f"},
    ],
    ids=["alias", "method_override", "date_format", "jsonp"],
)
def test_a_new_app_is_refused_the_other_legacy_features(new_app, params):
    answer = _get(new_app, "v27.0", PAGE, **params)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, 12)


def test_an_existing_app_keeps_multi_id_requests_on_v24_only(old_app):
    ids = _people(old_app, 2)
    token = our_page_token(old_app)  # who engaged with our Page: its token reads them
    served = _get(old_app, "v24.0", ids=",".join(ids), fields="id,name", access_token=token)
    assert served.status_code == 200 and sorted(served.json()) == sorted(ids)
    gone = _get(old_app, "v26.0", ids=",".join(ids), fields="id,name")
    assert (gone.status_code, gone.json()["error"]["code"]) == (400, 12)


def test_an_existing_app_keeps_method_override(old_app):
    assert _get(old_app, "v24.0", PAGE, method="get").status_code == 200


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kinds=st.lists(st.sampled_from(["person", "missing", "page", "post_missing"]), max_size=50))
def test_a_batch_answers_each_request_in_order_and_alone(new_app, kinds):
    people = iter(_people(new_app, 60))
    urls = []
    for n, kind in enumerate(kinds):
        node = {
            "person": next(people),
            "missing": f"99{n:011d}",
            "page": PAGE,
            "post_missing": f"{PAGE}_9{n:05d}",
        }[kind]
        urls.append(f"{node}?fields=id,name" if kind != "post_missing" else f"{node}?fields=id")
    answer = _batch(new_app, urls, include_headers="false", token=our_page_token(new_app))
    assert answer.status_code == 200
    results = answer.json()
    assert len(results) == len(kinds)
    for url, kind, result in zip(urls, kinds, results, strict=True):
        assert set(result) == {"code", "body"}  # include_headers=false
        body = json.loads(result["body"])
        if kind in ("person", "page"):
            assert result["code"] == 200 and body["id"] == url.split("?")[0]
        else:
            assert result["code"] == 400
            assert (body["error"]["code"], body["error"]["error_subcode"]) == (100, 33)


def test_a_batch_gives_each_answer_its_headers_unless_told_not_to(new_app):
    (result,) = _batch(new_app, [f"{PAGE}?fields=id"]).json()
    assert {"name": "Content-Type", "value": "text/javascript; charset=UTF-8"} in result["headers"]


def test_a_batch_of_more_than_fifty_requests_is_refused_whole(new_app):
    answer = _batch(new_app, [f"{PAGE}?fields=id"] * 51)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "GraphBatchException"
    assert "Maximum batch size is 50" in error["message"]


def test_a_batch_may_not_smuggle_a_multi_id_request(new_app):
    (result,) = _batch(new_app, [f"?ids={PAGE}&fields=id"]).json()
    assert (result["code"], json.loads(result["body"])["error"]["code"]) == (400, 12)


def test_a_batch_counts_as_one_post_and_each_request_as_a_call(new_app):
    before = dict(new_app.requests)
    _batch(new_app, [f"{PAGE}?fields=id", f"{PAGE}/posts?limit=1"])
    after = new_app.requests
    grown = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    assert grown == {"graph:batch": 1, "graph:/{id}": 1, "graph:/{id}/posts": 1}


def test_a_request_that_fails_on_the_server_inside_a_batch_answers_null():
    with SimulatorServer(World(WORLD)) as sim:
        # each request in the batch fails on the server
        decisions = iter([Decision(server_error=500), Decision(server_error=503)])
        sim.faults.decide = lambda request=None: next(decisions)
        results = _batch(sim, [f"{PAGE}?fields=id", f"{PAGE}?fields=name"]).json()
    assert results == [None, None]
