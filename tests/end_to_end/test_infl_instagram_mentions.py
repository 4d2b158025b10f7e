"""Outside attack of Instagram influence (docs/data-model.md#influence): an @mention is an
interaction a person draws from another. int_interactions reads, in a caption, any known
profile's username "as a word, `@` or not" (the API leaves the `@` out of captions not the
brand's). An attacker who takes a username equal to the brand's campaign hashtag, or to an
everyday word, is credited with a mention by every caption that uses the hashtag or the word.

One copy of the built test world (real embedded PostgreSQL, the nightly build) gets media
landed through the Instagram extractor's own record builder (media_record) and landing
batches, as the tags/mentions walks land them: the squatters' own media (so that they are
known profiles), and fans' media whose captions use the hashtag and the word and @mention
nobody but the brand. The nightly build runs once; each test checks one property."""

from __future__ import annotations

from datetime import timedelta

import pytest

from social_crm.extract.instagram_streams import media_record
from social_crm.load.landing import LandingBatch
from tests.end_to_end.conftest import copy_of, nightly_build, world_now

pytestmark = [pytest.mark.integration, pytest.mark.end_to_end]

OUR_IG = "17841400000000001"
HASHTAG_SQUATTER = "fjordbrewmoments"  # the campaign hashtag, taken as a username
WORD_SQUATTER = "sunday"  # an everyday word, taken as a username
FANS = 15


def _media(media_id: str, username: str, caption: str, at) -> dict:
    return {
        "id": media_id,
        "caption": caption,
        "media_type": "IMAGE",
        "media_product_type": "FEED",
        "permalink": f"https://www.instagram.com/p/{media_id}/",
        "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "username": username,
        "like_count": 3,
        "comments_count": 0,
    }


@pytest.fixture(scope="module")
def attacked(built, warehouse_url, tmp_path_factory):
    with copy_of(built, warehouse_url, tmp_path_factory.mktemp("ig") / "w") as (pipeline, truth):
        now = world_now(pipeline.sim)
        ago = now - timedelta(days=3)
        items = [
            _media("18000000000000901", HASHTAG_SQUATTER, "new beans today", ago),
            _media("18000000000000902", WORD_SQUATTER, "my first post", ago),
        ] + [
            _media(
                f"180000000000010{n:02d}",
                f"coffee_fan_{n:02d}",
                f"Sunday ritual #{HASHTAG_SQUATTER} with @fjordbrew",
                now - timedelta(days=2, hours=n),
            )
            for n in range(FANS)
        ]
        with pipeline.connect() as conn, LandingBatch(conn, "instagram", "media") as batch:
            for item in items:
                batch.add(media_record(item, f"tags:{OUR_IG}"))
        nightly_build(as_of=world_now(pipeline.sim))
        yield pipeline


def _mentions_of(pipeline, username: str) -> list[tuple]:
    return pipeline.rows(
        "select source_profile_id, interaction_id from intermediate.int_interactions"
        " where platform = 'instagram' and interaction_type = 'mention'"
        " and target_profile_id = %s order by 1",
        username,
    )


def test_infl_fans_media_landed_as_known_profiles(attacked):
    """Control: the landed media made the squatters and the fans known Instagram profiles."""
    known = {
        p
        for (p,) in attacked.rows(
            "select profile_id from intermediate.int_social_profiles where platform = 'instagram'"
        )
    }
    assert {HASHTAG_SQUATTER, WORD_SQUATTER, "coffee_fan_00"} <= known


def test_infl_a_hashtag_is_not_a_mention_of_the_username_it_spells(attacked):
    """`#fjordbrewmoments` in a caption names a hashtag, not the person whose username it is."""
    found = _mentions_of(attacked, HASHTAG_SQUATTER)
    assert found == [], f"{len(found)} captions' hashtag credited @{HASHTAG_SQUATTER}: {found[:3]}"


def test_infl_an_everyday_word_is_not_a_mention_of_the_username_it_spells(attacked):
    """`Sunday ritual ...` does not mention the person whose username is `sunday`."""
    found = _mentions_of(attacked, WORD_SQUATTER)
    assert found == [], f"{len(found)} captions' word credited @{WORD_SQUATTER}: {found[:3]}"


def test_infl_squatters_draw_no_influence_from_captions_that_never_named_them(attacked):
    """The squatters' media drew no comment, reply or mention from anyone: their interactions
    received stay 0 and their influence does not exceed every fan's."""
    rows = dict(
        attacked.rows(
            "select profile_id, interactions_received from scoring.influence"
            " where platform = 'instagram' and profile_id = any(%s)",
            [HASHTAG_SQUATTER, WORD_SQUATTER],
        )
    )
    assert rows.get(HASHTAG_SQUATTER, 0) == 0 and rows.get(WORD_SQUATTER, 0) == 0, rows
