"""Extraction mapped per brand: two brands' tasks reading at once never spend the month's X
read budget twice. Attacked against the simulator with the connection's monthly Post cap
(`monthly_read_cap`) nearly spent: two brands' mapped tasks (each its own process in Airflow:
here its own thread, `ApiClient` and `XExtractor` with `brand_key`) read their searches at
the same time, their page requests answered together (the simulator's search waits, up to a
second, for the other brand's request: the lock-step two workers fall into on a busy
machine).

One run alone may pass the cap by less than a page: it checks what is left before each page
(`ReadBudget.check`) and counts the page after. Two tasks each check the same total before
either counts its page, so each spends what is left: the month ends at the cap plus two pages
(plus one per further brand), the same reads spent once per brand."""

from __future__ import annotations

import threading

import pytest

from social_crm.extract import brands
from social_crm.extract.http import ApiClient
from social_crm.extract.x import XExtractor, XSettings
from social_crm.extract.x_policy import XPolicy
from social_crm_dev.simulator import x_api
from tests.attack_engine.conftest import at_once
from tests.end_to_end.conftest import FAST_RETRY

pytestmark = pytest.mark.integration

CAP = 25  # Posts a month (the connection's monthly_read_cap)
PAGE = 10  # Posts a page: full-archive search's smallest max_results
BRANDS = ("rival_a", "rival_b")


def _extractor(pipeline, key: str) -> XExtractor:
    brand = next(b for b in brands.load() if b.key == key)
    client = ApiClient(
        "x_api",
        pipeline.sim.url,
        pipeline.sim.x_token,
        policy=XPolicy(full_archive_spacing=0.0),
        api_version="2",
        retry=FAST_RETRY,
    )
    return XExtractor(
        client,
        pipeline.connect,
        XSettings(
            (brand.x_handle,),
            (brand.x_user_id,),
            lookback_days=60,
            page_size=PAGE,
            tier="pay_per_use",
            monthly_read_cap=CAP,
            full_archive=True,
            recheck_hours=0,
            brand_key=key,
        ),
    )


@pytest.fixture
def searches_in_step(monkeypatch):
    """Each search request waits (up to a second) for another to arrive, then both answer."""
    barrier = threading.Barrier(len(BRANDS), timeout=1.0)
    original = x_api.XApi._search

    def in_step(self, params, *, archive):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            barrier.reset()  # the other brand is done: answer alone
        return original(self, params, archive=archive)

    monkeypatch.setattr(x_api.XApi, "_search", in_step)


def test_two_brands_at_once_spend_the_months_reads_once(pipeline, searches_in_step):
    at_once(XExtractor.tweets, [_extractor(pipeline, key) for key in BRANDS], timeout=300)
    used = pipeline.scalar("select sum(reads_used) from meta.api_read_budget")
    # one run alone stops within a page of the cap
    assert used < CAP + PAGE, f"{used} Posts read this month against a cap of {CAP}"


def test_two_brands_one_after_the_other_spend_the_months_reads_once(pipeline):
    """The control: the same two tasks, one after the other."""
    for key in BRANDS:
        _extractor(pipeline, key).tweets()
    used = pipeline.scalar("select sum(reads_used) from meta.api_read_budget")
    assert used < CAP + PAGE, f"{used} Posts read this month against a cap of {CAP}"
