"""Reading nodes by id through Graph batch requests (`graph_batch.read_nodes`), against the
real simulator as an app created today: what exists comes back, what does not is left out,
throttled or failed requests inside a batch are asked again, and no `?ids=` is ever sent.
People are read with our Page's token (the only one that reads who engaged with it)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.extract import graph_batch
from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import ApiAuthError, ApiClient, ApiError, RetryPolicy
from social_crm.orchestration.extraction import GRAPH_API_VERSION
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.faults import Decision, FaultConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.graph_people import our_page_token, people_of_our_page

pytestmark = pytest.mark.integration

WORLD = WorldConfig(seed=6, scale=0.05, days=20)
FAST = RetryPolicy(max_attempts=6, backoff_base=0.001, backoff_cap=0.01, rate_limit_wait=0.01)


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(World(WORLD)) as running:
        yield running


def _client(sim, token: str | None = None) -> ApiClient:
    return ApiClient(
        "facebook_graph",
        sim.url,
        token or our_page_token(sim),
        policy=GraphPolicy(),
        api_version=GRAPH_API_VERSION,
        retry=FAST,
        sleep=lambda _: None,
    )


_PEOPLE: dict[int, list[str]] = {}


def _people(sim) -> list[str]:
    """People who reacted to our Page's posts (read once per simulator, before any fault)."""
    if id(sim) not in _PEOPLE:
        _PEOPLE[id(sim)] = people_of_our_page(sim, 101)
    return _PEOPLE[id(sim)]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    present=st.integers(min_value=0, max_value=70),
    missing=st.sets(st.integers(min_value=1, max_value=10**9), max_size=40),
)
def test_reads_every_node_that_exists_and_leaves_out_the_rest(sim, present, missing):
    people = _people(sim)[:present]
    ghosts = [f"77{n:012d}" for n in missing]
    before = sim.requests.get("graph:?ids=", 0)
    found = graph_batch.read_nodes(_client(sim), [*ghosts, *people], "id,name")
    assert sorted(found) == sorted(people)
    assert all(found[p]["id"] == p and found[p]["name"] for p in people)
    assert sim.requests.get("graph:?ids=", 0) == before  # never a multi-ID request


def test_a_batch_holds_at_most_fifty_reads(sim):
    before = sim.requests.get("graph:batch", 0)
    ids = [*_people(sim), *(f"77{n:012d}" for n in range(101))][:101]  # people, then ghosts
    graph_batch.read_nodes(_client(sim), ids, "id")
    assert sim.requests["graph:batch"] - before == 3  # 50 + 50 + 1


@pytest.mark.parametrize(
    "inside",
    [Decision(rate_limited=True), Decision(server_error=500)],
    ids=["throttled", "timed_out"],
)
def test_reads_throttled_or_failed_inside_a_batch_are_asked_again(inside):
    with SimulatorServer(World(WORLD)) as sim:
        people = _people(sim)[:4]
        # the first batch's second and third reads fail; then no faults
        decisions = iter([Decision(), inside, inside, Decision()])
        sim.faults.decide = lambda request=None: next(decisions, Decision())
        client = _client(sim)
        found = graph_batch.read_nodes(client, people, "id,name")
        assert sorted(found) == sorted(people)
        assert sim.requests["graph:batch"] == 2
        assert len(client.waits) == 1


def test_reads_failing_every_time_fail_the_lookup_instead_of_calling_them_gone():
    with SimulatorServer(World(WORLD)) as sim:
        person = _people(sim)[:1]
        decisions = iter([Decision(server_error=503)] * 100)
        sim.faults.decide = lambda request=None: next(decisions)
        with pytest.raises(ApiError, match="still failing after 6 attempts"):
            graph_batch.read_nodes(_client(sim), person, "id")


def test_reads_under_a_throttling_schedule_all_come_back(sim):
    people = _people(sim)[:8]
    sim.configure_faults(FaultConfig(rate_limit_every=3))  # every third call, in a batch too
    try:
        client = _client(sim)
        found = graph_batch.read_nodes(client, people, "id")
    finally:
        sim.configure_faults(FaultConfig())
    assert len(found) == 8
    assert client.waits  # the throttled reads were waited for, then asked again


def test_the_usage_headers_of_a_batch_pace_the_next_calls(sim):
    people = _people(sim)[:3]
    sim.configure_faults(FaultConfig(graph_usage_percent=90.0))
    try:
        client = _client(sim)
        graph_batch.read_nodes(client, people, "id")
    finally:
        sim.configure_faults(FaultConfig())
    assert client.usage["x-app-usage:call_count"] == 90
    assert [reason for reason, _ in client.waits] == ["usage near limit"]


def test_a_refused_token_fails_the_lookup_naming_the_connection(sim):
    with pytest.raises(ApiAuthError, match="facebook_graph"):
        graph_batch.read_nodes(_client(sim, "not-the-token"), _people(sim)[:2], "id")


def test_an_id_that_is_not_a_plain_id_is_refused_before_anything_is_sent(sim):
    before = sim.requests.get("graph:batch", 0)
    with pytest.raises(ApiError, match="plain id"):
        graph_batch.read_nodes(_client(sim), [BRANDS[0].page_id, "1/../me"], "id")
    assert sim.requests.get("graph:batch", 0) == before
