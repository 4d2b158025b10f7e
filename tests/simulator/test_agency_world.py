"""An agency world's brands (`config.agency_brands`): the three of brands.csv first, then rivals
with ids of their own; an X id names its brand and second for every brand an agency world can
hold, and the first four brands' ids are those they always were."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm_dev.simulator.activity import tweet_id
from social_crm_dev.simulator.config import (
    MAX_BRANDS,
    SEED_BRANDS,
    agency_brands,
    agency_seed,
)
from social_crm_dev.simulator.x_api import tweet_brand, tweet_created

DAYS = 400


@given(
    brand=st.integers(0, MAX_BRANDS - 1),
    created=st.integers(0, DAYS * 86_400 - 1),
    seq=st.integers(0, (1 << 18) - 1),
)
def test_an_x_id_names_its_brand_and_second(brand, created, seq):
    minted = int(tweet_id(created, brand, created // 86_400, seq))
    assert (tweet_brand(minted), tweet_created(minted)) == (brand, created)


@given(
    created=st.integers(0, DAYS * 86_400 - 1),
    seq=st.integers(0, (1 << 18) - 1),
)
def test_x_ids_of_different_brands_never_collide(created, seq):
    day = created // 86_400
    ids = {tweet_id(created, brand, day, seq) for brand in range(MAX_BRANDS)}
    assert len(ids) == MAX_BRANDS


def test_the_first_brands_ids_are_unchanged():
    """A brand of brands.csv's id as the two-bit layout minted it (milliseconds untouched)."""
    from social_crm_dev.simulator.activity import TWEPOCH_MS, WORLD_START_MS

    created, brand, seq = 3 * 86_400 + 17, 2, 5
    expected = ((WORLD_START_MS + created * 1000 - TWEPOCH_MS) << 22) | (3 << 20) | (2 << 18) | 5
    assert int(tweet_id(created, brand, 3, seq)) == expected


@pytest.mark.parametrize("count", [3, 10, 50, MAX_BRANDS])
def test_an_agency_world_has_distinct_keys_and_accounts(count):
    brands = agency_brands(count)
    columns = [
        [b.key for b in brands],
        [b.page_id for b in brands],
        [b.x_user_id for b in brands],
        [b.x_handle for b in brands],
    ]
    assert [len(set(c)) for c in columns] == [count] * 4


def test_an_agency_world_starts_with_the_brands_of_brands_csv():
    assert agency_brands(25)[: len(SEED_BRANDS)] == SEED_BRANDS


def test_an_agency_seed_lists_the_brands_as_brands_csv_does():
    brands = agency_brands(10)
    rows = list(csv.DictReader(io.StringIO(agency_seed(brands))))
    assert [(r["brand_key"], r["is_ours"], r["facebook_page_id"]) for r in rows] == [
        (b.key, "true" if i == 0 else "false", b.page_id) for i, b in enumerate(brands)
    ]


@pytest.mark.parametrize("count", [2, MAX_BRANDS + 1])
def test_an_agency_world_outside_its_range_is_refused(count):
    with pytest.raises(ValueError, match="brands"):
        agency_brands(count)
