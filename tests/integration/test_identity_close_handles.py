"""An Instagram username close to the customer's X handle (the same with an ending added, or but
for its periods and underscores: "annaberg84_ig" for "annaberg84") is evidence for them; one with
the same letters and other digits ("annaberg85") is a namesake's handle, and no evidence. The
model trained as the `match_identities` step trains it (model.train) on a simulated population
(bench.linking_inputs), the customers carrying the X handles the CRM knows for them (run.CUSTOMERS),
Instagram profiles added whose usernames are their owners' X handles with an ending."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.identity import model
from social_crm_dev.bench import linking_inputs

pytestmark = pytest.mark.integration

ENDINGS = ("_ig", "x", "_official", ".photo", "7", "_", "2024")
CLOSE = "close to their handle on the other platform"


def _instagram(usernames: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "profile_key": [f"instagram:{u.lower()}" for u in usernames],
            "platform": "instagram",
            "display_name": None,
            "handle": usernames,
            "location": None,
        }
    )


@pytest.fixture(scope="module")
def world():
    profiles, customers, truth, known = linking_inputs(300, 500)
    x_profiles = profiles[profiles["platform"] == "x"]
    owned = [
        (h.lower(), truth[k])
        for k, h in zip(x_profiles["profile_key"], x_profiles["handle"], strict=True)
        if truth[k]
    ]
    handles = {c: h for h, c in owned}
    customers = customers.assign(
        x_handle=[handles.get(c) for c in customers["customer_id"]], instagram_username=None
    )
    rng = np.random.default_rng(3)
    usernames = [h + ENDINGS[int(rng.integers(len(ENDINGS)))] for h, _ in owned]
    instagram = _instagram(usernames)
    ig_truth = dict(zip(instagram["profile_key"], [c for _, c in owned], strict=True))
    # the CRM knows half of them (the m probabilities are counted on those)
    ig_known = dict(list(ig_truth.items())[: len(ig_truth) // 2])
    scored = model.score(
        pd.concat([profiles, instagram], ignore_index=True), customers, known | ig_known
    )
    assert scored is not None
    unknown = {k: c for k, c in ig_truth.items() if k not in ig_known}
    return scored, unknown, handles


def _other_handle(pairs: pd.DataFrame, key: str, customer: str) -> dict | None:
    mine = pairs[(pairs["profile_key"] == key) & (pairs["customer_id"] == customer)]
    return json.loads(mine["evidence"].iloc[0])["other_handle"] if len(mine) else None


def _joined(handle: str) -> str:
    return re.sub(r"[._]", "", handle)


def test_a_username_that_is_the_x_handle_with_an_ending_weighs_for_its_customer(world):
    scored, unknown, handles = world
    close = {
        k: c
        for k, c in unknown.items()
        if len(_joined(handles[c])) >= model.CLOSE_HANDLE_CHARACTERS
    }
    evidence = {k: _other_handle(scored.pairs, k, c) for k, c in close.items()}
    weak = {k: e for k, e in evidence.items() if e is None or e["match_weight"] <= 0}
    assert close and not weak, f"{len(weak)} of {len(close)}: {list(weak.items())[:3]}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_username_with_the_x_handles_letters_and_other_digits_is_no_evidence(world, data):
    scored, _, handles = world
    with_digits = sorted(
        (h, c)
        for c, h in handles.items()
        if re.search(r"\d+$", h) and len(re.sub(r"\d+$", "", _joined(h))) >= 6
    )
    handle, customer = data.draw(st.sampled_from(with_digits))
    stem = re.sub(r"\d+$", "", handle)
    digits = data.draw(st.integers(0, 9999).map(str).filter(lambda d: d != handle[len(stem) :]))
    username = stem + digits
    # "annaberg1" against "annaberg12": one is the other with an ending, not a namesake's
    if handle.startswith(username) or username.startswith(handle):
        return
    profile = scored.model.profile_rows(_instagram([username]))
    right = scored.customer_rows[scored.customer_rows["unique_id"] == customer]
    pairs = model.predict(scored.model, profile, right, keep_probability=0.0)
    evidence = _other_handle(pairs, f"instagram:{username}", customer)
    assert evidence is None or evidence["match_weight"] < 0, (username, handle, evidence)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_ending_or_separator_change_keeps_the_username_close(world, data):
    scored, _, handles = world
    long_enough = sorted(
        (h, c) for c, h in handles.items() if len(_joined(h)) >= model.CLOSE_HANDLE_CHARACTERS
    )
    handle, customer = data.draw(st.sampled_from(long_enough))
    ending = data.draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=8))
    username = (handle.replace("_", ".") + ending)[:30]
    if username == handle:
        return
    profile = scored.model.profile_rows(_instagram([username]))
    right = scored.customer_rows[scored.customer_rows["unique_id"] == customer]
    pairs = model.predict(scored.model, profile, right, keep_probability=0.0)
    evidence = _other_handle(pairs, f"instagram:{username}", customer)
    assert evidence is not None and evidence["level"] == CLOSE, (username, handle, evidence)
