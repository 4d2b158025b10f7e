"""'Messages to the brand' with a second brand in the world: a post on X that mentions our brand
and a rival. The extractor walks the feeds brand by brand (ours first: XSettings.feeds_of) and
lands each post as a raw version keyed by its id alone with the feed's `brand_handle`; the
rival's search lands it after our mentions timeline and its version is the one staged. The
brands a post mentions are read from its own text (its @handles) as well, so a customer's
complaint '@fjordbrew @kaffeklubben ...' is an engagement of each brand."""

from __future__ import annotations

import pytest

from tests.end_to_end.conftest import copy_of, nightly_build, world_now

pytestmark = [pytest.mark.end_to_end, pytest.mark.integration]

TEXT = "@fjordbrew @kaffeklubben you are both terrible, cold coffee and rude staff. Never again."
# X reads the full-width at sign as an at sign (twitter-text's atSigns, `[@＠]`): a post the
# rival's search found names our brand with it
FULL_WIDTH = "＠fjordbrew is the only place open after ten in town, thanks"


@pytest.fixture(scope="module")
def mention_of_two_brands(built, warehouse_url, tmp_path_factory):
    """A copy of the build where a customer's post mentioning our brand and a rival is found by
    both walks of one X extraction run (our mentions, then the rival's search), landed by the
    extractor's own record function, and the nightly build run again: the post's engagements
    (brand_key, engagement_type, sentiment)."""
    from social_crm.extract.x_streams import tweet_record
    from social_crm.load.landing import LandingBatch

    folder = tmp_path_factory.mktemp("two_brands") / "built"
    with copy_of(built, warehouse_url, folder) as (pipeline, _truth):
        ours, rival = pipeline.rows(
            "select (select x_handle from staging.brands where is_ours),"
            " (select x_handle from staging.brands where not is_ours order by brand_key limit 1)"
        )[0]
        template_id, template = pipeline.rows(
            "select v.natural_key, v.payload from (select distinct on (natural_key) *"
            " from raw.x_tweets order by natural_key, ingest_seq desc) v"
            " join marts.engagements e on e.message_id = v.natural_key and e.brand_key = 'ours'"
            " where not v.is_deleted and e.engagement_type = 'mention'"
            " order by v.natural_key limit 1"
        )[0]
        tweet_id = str(int(template_id) + 7_777_777)
        item = {k: v for k, v in template.items() if k != "brand_handle"}
        text = TEXT.replace("fjordbrew", ours).replace("kaffeklubben", rival)
        item.update(id=tweet_id, text=text, lang="en")  # as X tags an English post
        for handle in (ours, rival):  # the order of XSettings.feeds_of: brand by brand
            with pipeline.connect() as conn, LandingBatch(conn, "x", "tweets") as batch:
                batch.add(tweet_record(item, handle))
        full_width_id = str(int(template_id) + 8_888_888)
        full_width = {**item, "id": full_width_id, "text": FULL_WIDTH.replace("fjordbrew", ours)}
        with pipeline.connect() as conn, LandingBatch(conn, "x", "tweets") as batch:
            batch.add(tweet_record(full_width, rival))  # found by the rival's search alone
        nightly_build(as_of=world_now(pipeline.sim))
        return {
            post: pipeline.rows(
                "select brand_key, engagement_type, sentiment from marts.engagements"
                " where message_id = %s order by 1",
                post_id,
            )
            for post, post_id in (("two_brands", tweet_id), ("full_width", full_width_id))
        }


def test_a_post_mentioning_our_brand_and_a_rival_counts_for_our_brand(mention_of_two_brands):
    rows = mention_of_two_brands["two_brands"]
    assert [r for r in rows if r[0] == "ours"], rows


def test_a_post_mentioning_two_tracked_brands_is_one_mention_of_each(mention_of_two_brands):
    rows = mention_of_two_brands["two_brands"]
    assert sorted(r[0] for r in rows) == ["ours", "rival_a"], rows


def test_a_full_width_at_sign_names_a_brand_as_x_reads_it(mention_of_two_brands):
    rows = mention_of_two_brands["full_width"]
    assert [r for r in rows if r[0] == "ours" and r[1] == "mention"], rows
