"""Instagram in the marts: one small world (the simulator's Facebook and X, and a hand-written
Instagram world landed through the landing code) built by the nightly run once per module;
every Instagram figure compared with the truth computed from the same records."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from social_crm.orchestration import nightly
from tests.end_to_end.conftest import (
    extracted_world,
    land_crm_export,
    left_unchanged,
    world_now,
)
from tests.end_to_end.instagram_world import small_world

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def instagram_built(warehouse_url, tmp_path_factory):
    """(pipeline, truth, instagram world), built and published once."""
    with extracted_world(warehouse_url, tmp_path_factory) as (pipeline, truth, patch):
        now = world_now(pipeline.sim)
        world = small_world(now.replace(minute=0, second=0, microsecond=0) - timedelta(days=2))
        land_crm_export(pipeline.connect, truth)
        world.land(pipeline.connect)
        patch.setenv("WAREHOUSE_URL", pipeline.db.libpq())
        patch.setenv("CRM_DROP_DIR", str(truth.folder / "crm_drop"))
        nightly.run_all(as_of=now)
        with left_unchanged(pipeline):
            yield pipeline, truth, world


def test_instagram_engagements_per_profile_equal_the_truth(instagram_built):
    pipeline, _, world = instagram_built
    rows = pipeline.rows(
        "select profile_id, engagement_type, count(*) from intermediate.int_engagements_unified"
        " where platform = 'instagram' and brand_key = 'ours' group by 1, 2"
    )
    assert Counter({(p, t): n for p, t, n in rows}) == world.engagements_per_profile()


def test_instagram_response_times_equal_the_truth(instagram_built):
    pipeline, _, world = instagram_built
    rows = pipeline.rows(
        "select message_id, first_response_seconds from intermediate.int_messages_answered"
        " where platform = 'instagram'"
    )
    assert dict(rows) == world.response_seconds()


def test_open_conversations_hold_the_unanswered_instagram_messages(instagram_built):
    pipeline, _, world = instagram_built
    waiting = {k for k, v in world.response_seconds().items() if v is None}
    rows = pipeline.rows(
        "select message_id from marts.open_conversations where channel = 'instagram'"
    )
    assert {r[0] for r in rows} == waiting


@pytest.mark.parametrize(
    ("message_id", "url"),
    [
        ("17900000000000002", "https://www.instagram.com/p/S000001/c/17900000000000002/"),
        (
            "17900000000000003",
            "https://www.instagram.com/p/S000001/c/17900000000000002/r/17900000000000003/",
        ),
        ("18000000000000005", "https://www.instagram.com/p/S000005/"),
        ("17900000000000005", "https://www.instagram.com/p/Other/c/17900000000000005/"),
    ],
)
def test_an_open_instagram_message_links_to_it_as_instagram_forms_links(
    instagram_built, message_id, url
):
    pipeline, _, _ = instagram_built
    found = pipeline.scalar(
        "select message_url from marts.open_conversations where message_id = %s", message_id
    )
    assert found == url


def test_instagram_messages_are_measured_per_day_in_response_times_daily(instagram_built):
    pipeline, _, world = instagram_built
    measured = pipeline.scalar(
        "select sum(messages) from marts.brand_response_times_daily"
        " where channel = 'instagram' and brand_key = 'ours'"
    )
    assert measured == len(world.response_seconds())


def test_instagram_followers_per_day_equal_the_truth(instagram_built):
    pipeline, _, world = instagram_built
    rows = pipeline.rows(
        "select brand_key, metric_date::text, instagram_followers from marts.brand_daily_metrics"
        " where instagram_followers is not null"
    )
    assert {(b, d): n for b, d, n in rows} == world.followers()


def test_instagram_share_of_voice_per_day_equals_the_truth(instagram_built):
    pipeline, _, world = instagram_built
    rows = pipeline.rows(
        "select brand_key, metric_date::text, instagram_share_of_voice::float"
        " from marts.brand_daily_metrics where instagram_share_of_voice is not null"
    )
    assert {(b, d): s for b, d, s in rows} == world.share_of_voice()
