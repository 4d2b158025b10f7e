"""Contract tests for Graph as an app created since 2026-11-04 sees it: the refusal of
multi-ID requests and their replacement, the synchronous batch request
(`payloads/graph_v27/*.json`, each naming its public source, never produced by our simulator).

For each one: the extractor handles it as the documentation says (served by a real local HTTP
server, through the real client), and the simulator, asked the same call as a new app on
v27.0, answers with the same status, keys and JSON types.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import requests

from social_crm.extract import graph_batch, graph_metrics
from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import ApiClient, ApiError, RetryPolicy
from social_crm.orchestration.extraction import GRAPH_API_VERSION
from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.graph_api import INSIGHT_METRICS, RETIRED_METRICS
from social_crm_dev.simulator.server import DEFAULT_FB_TOKEN, SimulatorServer
from social_crm_dev.simulator.world import World
from tests.contract.test_contracts import _shape_mismatches
from tests.graph_people import our_page_token, people_of_our_page

PAYLOADS = {
    p.stem: p for p in sorted((Path(__file__).parent / "payloads/graph_v27").glob("*.json"))
}


def load(name: str) -> dict:
    return json.loads(PAYLOADS[name].read_text(encoding="utf-8"))


class CannedGraph:
    """A real local HTTP server answering one documented payload to GET and POST alike; it
    keeps what it was asked (method, path, query and form)."""

    def __init__(self, case: dict) -> None:
        self.asked: list[tuple[str, str, dict]] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode())) if length else {}
                canned.asked.append((self.command, self.path, form))
                payload = json.dumps(case["body"]).encode()
                self.send_response(case["status"])
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.client = ApiClient(
            "facebook_graph",
            f"http://127.0.0.1:{self.httpd.server_address[1]}",
            "contract-token",
            policy=GraphPolicy(),
            api_version=GRAPH_API_VERSION,
            retry=RetryPolicy(max_attempts=2, backoff_base=0.001),
            sleep=lambda _: None,
        )

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def canned():
    servers: list[CannedGraph] = []

    def start(name: str) -> CannedGraph:
        servers.append(CannedGraph(load(name)))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="module")
def sim():
    """The simulator as an app created today (its default)."""
    with SimulatorServer(World(WorldConfig(seed=7, scale=0.05, days=20))) as running:
        yield running


def test_every_payload_names_its_public_source():
    assert set(PAYLOADS) == {
        "graph_ids_refused_new_app",
        "graph_batch_lookup",
        "graph_batch_too_many",
    }
    for name in PAYLOADS:
        source = load(name)["source"]
        assert source.startswith("https://"), name
        assert "simulator" not in source.lower(), name


# --- the extractor handles the documented answers ------------------------------------------


def test_a_documented_batch_answer_gives_the_nodes_that_exist(canned):
    server = canned("graph_batch_lookup")
    found = graph_batch.read_nodes(server.client, ["1000123456789", "10001901_999"], "id,name")
    assert found == {"1000123456789": {"id": "1000123456789", "name": "Kari Nordmann"}}


def test_the_lookup_sends_the_documented_batch_request(canned):
    server = canned("graph_batch_lookup")
    graph_batch.read_nodes(server.client, ["1000123456789", "10001901_999"], "id,name")
    ((method, path, form),) = server.asked
    assert (method, path) == ("POST", f"/{GRAPH_API_VERSION}/")
    documented = json.loads(load("graph_batch_lookup")["call"]["form"]["batch"])
    assert json.loads(form["batch"]) == documented
    assert "ids" not in form and "ids=" not in path


def test_a_refused_multi_id_request_is_an_error_and_never_a_deletion(canned):
    server = canned("graph_ids_refused_new_app")
    with pytest.raises(ApiError) as refused:
        server.client.get_json("", dict(load("graph_ids_refused_new_app")["call"]["params"]))
    assert refused.value.error_code == 12
    assert not graph_batch.is_missing_node(refused.value)


def test_a_refused_batch_fails_the_lookup(canned):
    server = canned("graph_batch_too_many")
    with pytest.raises(ApiError, match="Maximum batch size is 50"):
        graph_batch.read_nodes(server.client, ["1000123456789"], "id")


# --- the simulator answers the same calls alike --------------------------------------------


def _ask(sim, case: dict) -> requests.Response:
    call = case["call"]
    url = f"{sim.url}/{GRAPH_API_VERSION}/{call['path']}"
    if call["method"] == "POST":
        return requests.post(
            url, data={"access_token": DEFAULT_FB_TOKEN, **call["form"]}, timeout=10
        )
    return requests.get(
        url, params={"access_token": DEFAULT_FB_TOKEN, **call["params"]}, timeout=10
    )


def _batch_mismatches(documented: list, got: list) -> list[str]:
    """Each answer of a batch, and the JSON in its body, shaped as documented."""
    problems = _shape_mismatches(documented, got)
    if len(got) != len(documented):
        problems.append(f"{len(got)} answers, {len(documented)} requests")
    for n, (doc, answer) in enumerate(zip(documented, got, strict=False)):
        if isinstance(answer, dict) and isinstance(answer.get("body"), str):
            body = json.loads(answer["body"])
            problems += _shape_mismatches(json.loads(doc["body"]), body, f"[{n}].body")
            if answer.get("code") != doc["code"]:
                problems.append(f"[{n}].code: {answer.get('code')}, documented {doc['code']}")
    return problems


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_simulator_answers_with_the_documented_status_keys_and_types(sim, name):
    documented = load(name)
    call = documented["call"]
    if name == "graph_batch_lookup":  # a person who engaged with our Page, with its token
        (person,) = people_of_our_page(sim, 1)
        call["form"]["batch"] = call["form"]["batch"].replace("1000123456789", person)
        call["form"]["access_token"] = our_page_token(sim)
    answer = _ask(sim, documented)
    body = answer.json()
    if isinstance(documented["body"], list):
        problems = _batch_mismatches(documented["body"], body)
    else:
        problems = _shape_mismatches(documented["body"], body)
    assert answer.status_code == documented["status"], body
    assert problems == [], problems


# --- Page Insights after the 2026 waves ------------------------------------------------------


def test_the_registry_asks_for_no_metric_meta_retired():
    asked = set(graph_metrics.to_request(graph_metrics.CHECKED_ON, set()))
    assert asked and not asked & RETIRED_METRICS
    assert asked <= set(INSIGHT_METRICS)  # what the simulator has numbers for


def test_every_metric_the_registry_calls_retired_is_refused_by_the_simulator():
    retired = {m.name for m in graph_metrics.METRICS if m.retired_on is not None}
    assert retired <= RETIRED_METRICS
    assert all(
        m.retired_on <= graph_metrics.CHECKED_ON for m in graph_metrics.METRICS if m.retired_on
    )
