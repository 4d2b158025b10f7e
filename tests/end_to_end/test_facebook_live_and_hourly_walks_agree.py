"""The live walk (social_crm_live, every 10 minutes: posts of the last SOCIAL_CRM_LIVE_POST_DAYS
days and their comments) and the hourly extract_facebook walk land an unchanged post as the same
record: in a world standing still neither lands a new version after the other, and so neither
announces a raw table (docs/operating.md, "When the marts are built"). Real simulator, real
warehouse."""

from __future__ import annotations

import pytest

from social_crm.orchestration.extraction import Landed
from tests.end_to_end.conftest import built_world

pytestmark = pytest.mark.integration


def hourly_extraction(facebook) -> Landed:
    """extract_facebook's tasks (page, posts, feed): what they land and announce."""
    return Landed(
        [facebook.page_snapshots(), facebook.insights()]
        + facebook.posts_with_activity("posts")
        + facebook.posts_with_activity("feed")
    )


def live_walk(facebook) -> Landed:
    """social_crm_live's Facebook walk (run_facebook_live, without the webhook reads)."""
    return Landed(
        facebook.posts_with_activity("posts", 3) + facebook.posts_with_activity("feed", 3)
    )


def test_an_hourly_extraction_after_a_live_cycle_in_a_still_world_announces_nothing(
    built_once, warehouse_url, tmp_path_factory
):
    with built_world(built_once, warehouse_url, tmp_path_factory) as (pipeline, *_):
        facebook = pipeline.facebook
        hourly_extraction(facebook)  # caught up: the world's clock does not move from here
        assert hourly_extraction(facebook).tables == frozenset()  # nothing new: nothing announced
        live_walk(facebook)
        hourly = hourly_extraction(facebook)
        churned = pipeline.rows(
            "select natural_key, count(*) from raw.facebook_posts group by 1"
            " having count(*) > 2 order by 1 limit 3"
        )
        assert hourly.tables == frozenset(), (
            f"nothing happened in the world, yet the hourly extraction announced"
            f" {sorted(hourly.tables)} ({[line for line in hourly if ' 0 new' not in line]});"
            f" posts with many versions: {churned}"
        )


def test_a_live_cycle_after_an_hourly_extraction_in_a_still_world_lands_nothing(
    built_once, warehouse_url, tmp_path_factory
):
    """The same churn seen from raw: versions of posts that did not change."""
    with built_world(built_once, warehouse_url, tmp_path_factory) as (pipeline, *_):
        facebook = pipeline.facebook
        hourly_extraction(facebook)
        live = live_walk(facebook)
        assert live.tables == frozenset(), [line for line in live if " 0 new" not in line]
