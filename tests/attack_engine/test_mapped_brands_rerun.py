"""Extraction mapped per brand: a rerun never duplicates, whatever the brands' Posts share.

On X a Post that @mentions two tracked brands (a customer comparing a brand with its rival:
"@kaffeklubben is better than @beanandco") matches both brands' searches (recent and
full-archive search match a mention operator against the Post's text,
docs.x.com/x-api/posts/search/integrate/build-a-query). The simulator gives each Post one
brand; here its search answers, for rival_b's query, also every seventh of rival_a's Posts,
as the real search does for a Post naming both.

Mapped per brand, each brand's task lands the Post with its own `brand_handle` and
`scope_key` (x_streams.tweet_record): a version that differs from the other brand's. So each
brand's batch finds the latest version is "another payload" and lands a new one: the same
Post, unchanged at the source, is landed again by every run, twice a run, for ever. Before
the mapping one batch of every brand kept the last row of the run, the same each time.

Run here as the mapped tasks run, one `XExtractor` a brand (`XSettings.brand_key`), each
brand's extraction run twice over the same world and clock (`recheck_hours` 0: every run
walks the whole look-back window, as a backfill or a cleared watermark does)."""

from __future__ import annotations

import heapq

import pytest

from social_crm.extract import brands
from social_crm.extract.x import XExtractor, XSettings
from social_crm_dev.simulator import x_api

pytestmark = pytest.mark.integration

SHARED_EVERY = 7  # every seventh Post of rival_a also @mentions rival_b


def _brand(key: str):
    return next(b for b in brands.load() if b.key == key)


def _extractor(pipeline, key: str) -> XExtractor:
    brand = _brand(key)
    return XExtractor(
        pipeline.x_client,
        pipeline.connect,
        XSettings(
            (brand.x_handle,),
            (brand.x_user_id,),
            lookback_days=60,
            page_size=50,
            tier="pay_per_use",
            full_archive=True,
            recheck_hours=0,
            brand_key=key,
        ),
    )


@pytest.fixture
def shared_mentions(monkeypatch) -> set[str]:
    """rival_b's searches also answer every seventh of rival_a's Posts (their ids: the set
    this fixture yields, filled as the searches answer them)."""
    a, b = _brand("rival_a").x_handle, _brand("rival_b").x_handle
    original = x_api.XApi._matching
    answered: set[str] = set()

    def matching(self, params, archive, before_id=None):
        found = original(self, params, archive, before_id)
        if f"@{b}".lower() not in params.get("query", "").lower():
            yield from found
            return
        theirs = (
            t
            for t in original(self, {**params, "query": f"@{a}"}, archive, before_id)
            if int(t.id) % SHARED_EVERY == 0
        )
        for mine, tweet in heapq.merge(
            ((True, t) for t in found),
            ((False, t) for t in theirs),
            key=lambda pair: -int(pair[1].id),
        ):
            if not mine:
                answered.add(str(tweet.id))
            yield tweet

    monkeypatch.setattr(x_api.XApi, "_matching", matching)
    return answered


def _rows(pipeline) -> int:
    return pipeline.scalar("select count(*) from raw.x_tweets")


def test_a_rerun_of_every_brand_lands_no_post_again(pipeline, shared_mentions):
    tasks = [_extractor(pipeline, key) for key in ("rival_a", "rival_b")]
    for task in tasks:
        task.tweets()
    first = _rows(pipeline)
    # rival_b's search answered Posts that rival_a's walk landed: both brands read them
    shared = pipeline.scalar(
        "select count(distinct natural_key) from raw.x_tweets where natural_key = any(%s)",
        sorted(shared_mentions),
    )
    assert shared, "no Post was read by both brands: the attack did not happen"
    for task in tasks:
        task.tweets()
    assert _rows(pipeline) == first, f"{_rows(pipeline) - first} rows landed again by a rerun"


def test_a_rerun_of_both_brands_in_one_extraction_lands_no_post_again(pipeline, shared_mentions):
    """The control: the same world, both brands in one extraction (as before the mapping)."""
    both = [_brand(key) for key in ("rival_a", "rival_b")]
    task = XExtractor(
        pipeline.x_client,
        pipeline.connect,
        XSettings(
            tuple(b.x_handle for b in both),
            tuple(b.x_user_id for b in both),
            lookback_days=60,
            page_size=50,
            tier="pay_per_use",
            full_archive=True,
            recheck_hours=0,
        ),
    )
    task.tweets()
    first = _rows(pipeline)
    task.tweets()
    assert _rows(pipeline) == first, f"{_rows(pipeline) - first} rows landed again by a rerun"
