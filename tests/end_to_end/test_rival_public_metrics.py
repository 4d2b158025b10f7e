"""What the marts say of the rivals, from what is public (docs/rivals.md): on Facebook their
posts and the counts of comments and reactions on them, per day, against the simulator's world;
nobody who engaged on a rival's Page."""

from __future__ import annotations

from collections import Counter

import pytest

from social_crm_dev.simulator.config import BRANDS, WORLD_START

pytestmark = pytest.mark.integration


def _public_counts(world) -> Counter:
    """(brand key, day) -> comments and reactions on the rivals' posts of that day, as the
    Graph API counts them (everything ever written or given, deleted included)."""
    counts: Counter = Counter()
    for index, brand in enumerate(BRANDS):
        if brand.key == "ours":
            continue
        for post in world.posts(index, "post"):
            full = world.post(post.id)
            day = (WORLD_START.timestamp() + post.created) // 86_400
            written = sum(1 for c in full.comments if c.created <= world.clock)
            given = sum(1 for r in full.reactions if r.at <= world.clock)
            counts[(brand.key, int(day))] += written + given
    return counts


def test_a_rivals_post_engagement_per_day_is_the_public_counts_on_its_posts(built):
    pipeline, _ = built
    rows = pipeline.rows(
        "select brand_key, (extract(epoch from metric_date) / 86400)::int,"
        " post_comments_and_reactions from marts_build.brand_daily_metrics"
        " where brand_key <> 'ours' and page_posts > 0"
    )
    landed = Counter({(brand, day): n for brand, day, n in rows})
    assert landed == _public_counts(pipeline.sim.world)
    assert sum(landed.values()) > 0


def test_shares_of_post_engagement_add_up_to_one_each_day(built):
    pipeline, _ = built
    sums = pipeline.rows(
        "select metric_date, sum(share_of_post_engagement) from marts_build.brand_daily_metrics"
        " group by metric_date having sum(post_comments_and_reactions) > 0"
    )
    assert sums and all(float(total) == pytest.approx(1.0, abs=1e-5) for _, total in sums)


def test_nobody_is_known_to_have_engaged_on_a_rivals_facebook_page(built):
    pipeline, _ = built
    assert not pipeline.rows(
        "select 1 from intermediate.int_engagements_unified"
        " where platform = 'facebook' and brand_key <> 'ours'"
    )
