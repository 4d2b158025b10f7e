"""Fault draws belong to the request, not to the order requests arrive in: a replayed schedule
whose walks run ahead on threads meets the same faults."""

import json

from hypothesis import given
from hypothesis import strategies as st

from social_crm_dev.simulator.faults import FaultConfig, FaultInjector

MIX = FaultConfig(
    error_rate=0.2, truncate_rate=0.2, malformed_rate=0.3, empty_rate=0.3, cut_walk_rate=0.3
)
requests_ = st.lists(
    st.from_regex(r"/v24\.0/[0-9]{3}_[0-9]{2}/comments\?after=[a-z]{1,4}", fullmatch=True),
    min_size=1,
    max_size=12,
    unique=True,
)


def _faults(order: list[str], seed: int) -> dict[str, str]:
    """What each request met: its decision and its answer as damaged."""
    injector = FaultInjector(FaultConfig(**{**MIX.as_dict(), "seed": seed}))
    met = {}
    for request in order:
        decision = injector.decide(request)
        body = {
            "data": [{"id": str(n), "created_time": "2026-01-01T00:00:00+0000"} for n in range(5)],
            "paging": {"next": "more"},
        }
        injector.corrupt_items(body["data"], ("id", "created_time"), decision)
        injector.damage_listing(body, decision)
        met[request] = json.dumps([decision.server_error, decision.truncate, body])
    return met


@given(requests_, st.randoms(use_true_random=False), st.integers(0, 1_000))
def test_a_request_meets_the_same_faults_in_any_order(requests, shuffler, seed):
    shuffled = list(requests)
    shuffler.shuffle(shuffled)
    assert _faults(shuffled, seed) == _faults(requests, seed)
