"""The simulated app's webhook sender is as unkind as Meta (docs/real-apis.md, "Meta
webhooks"): it batches up to 1,000 changes a delivery when many are due, sends some Instagram
deliveries in the array shape of Meta's Instagram examples, and every change it sends reads
back as the change it was, in either shape."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from social_crm.receive.changes import Refused, change_key, read_delivery
from social_crm_dev.simulator.webhooks import BATCH_MAX, build_deliveries

SEEDS = st.integers(0, 2**32 - 1)


def _changes(n: int, obj: str = "instagram") -> list[tuple]:
    if obj == "page":
        return [
            (
                "page",
                "100000000000001",
                "feed",
                {
                    "item": "comment",
                    "verb": "add",
                    "comment_id": f"555_{i}",
                    "post_id": "100000000000001_555",
                    "created_time": 1_765_000_000 + i,
                },
                1_765_000_000 + i,
            )
            for i in range(n)
        ]
    return [
        (
            "instagram",
            "17841400000000001",
            "comments",
            {"id": f"1790{i:011d}", "text": "Nå 😍", "media": {"id": "17900000000000001"}},
            1_765_000_000 + i,
        )
        for i in range(n)
    ]


def _sizes(bodies: list[bytes]) -> list[int]:
    return [len(read_delivery(json.loads(body))) for body in bodies]


@settings(max_examples=5, deadline=None)
@given(seed=SEEDS)
def test_many_due_changes_go_in_batches_of_up_to_a_thousand(seed):
    bodies, _ = build_deliveries(_changes(5_000, "page"), seed, duplicate_rate=0.0)
    sizes = _sizes(bodies)
    assert max(sizes) <= BATCH_MAX and max(sizes) > 100, sizes


@settings(max_examples=10, deadline=None)
@given(seed=SEEDS)
def test_some_instagram_deliveries_come_in_the_array_shape(seed):
    bodies, _ = build_deliveries(_changes(400), seed, batch_max=3)
    shapes = {type(json.loads(body)).__name__ for body in bodies}
    assert shapes == {"list", "dict"}


@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, obj=st.sampled_from(["instagram", "page"]))
def test_every_change_sent_reads_back_as_itself(seed, obj):
    changes = _changes(300, obj)
    bodies, _ = build_deliveries(changes, seed, duplicate_rate=0.2)
    found = [r for body in bodies for r in read_delivery(json.loads(body))]
    assert not [f for f in found if isinstance(f, Refused)]
    assert {r.natural_key for r in found} == {change_key(*c[:4]) for c in changes}
