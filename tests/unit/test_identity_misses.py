"""The quick identity measure (social_crm_dev.identity_misses): its replay of
int_identity_links' model tier and its kinds of Instagram username."""

from __future__ import annotations

import pandas as pd
import pytest

from social_crm_dev.identity_misses import KINDS, auto_links, username_kind

PLATFORMS = {"instagram:a": "instagram", "instagram:b": "instagram", "x:1": "x"}


def _pairs(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["profile_key", "customer_id", "match_probability"])


def test_a_sure_profile_with_one_likely_customer_is_linked():
    assert auto_links(_pairs(("instagram:a", "C1", 0.95)), PLATFORMS, set(), 0.9, 0.5) == {
        "instagram:a": "C1"
    }


def test_a_profile_with_a_second_candidate_in_the_review_band_is_not_linked():
    pairs = _pairs(("instagram:a", "C1", 0.95), ("instagram:a", "C2", 0.6))
    assert auto_links(pairs, PLATFORMS, set(), 0.9, 0.5) == {}


def test_two_profiles_on_one_platform_claiming_one_customer_link_neither():
    pairs = _pairs(("instagram:a", "C1", 0.95), ("instagram:b", "C1", 0.99), ("x:1", "C1", 0.99))
    assert auto_links(pairs, PLATFORMS, set(), 0.9, 0.5) == {"x:1": "C1"}


def test_a_customer_with_a_known_account_on_the_platform_takes_no_model_link():
    pairs = _pairs(("instagram:a", "C1", 0.99), ("instagram:a", "C2", 0.4))
    assert auto_links(pairs, PLATFORMS, {("C1", "instagram")}, 0.9, 0.5) == {}


@pytest.mark.parametrize(
    ("username", "x_handle", "linked", "kind"),
    [
        ("annaberg84", "annaberg84", True, KINDS[0]),
        ("annaberg84", "annaberg84", False, KINDS[1]),
        ("annaberg84_ig", "annaberg84", True, KINDS[2]),
        ("annaberg84_ig", "annaberg84", False, KINDS[3]),
        ("anna_berg12", None, False, KINDS[4]),
        ("mocha.anna", None, False, KINDS[5]),
        ("sunny_wander1", None, False, KINDS[6]),
    ],
)
def test_a_username_is_sorted_by_what_it_shows(username, x_handle, linked, kind):
    assert username_kind(username, x_handle, linked, "Anna", "Bergström") == kind
