"""A comment the Graph API gives without `from` (it gives the author only to the owning Page's
token: developers.facebook.com/docs/graph-api/reference/comment) lands with its author unknown,
never in quarantine, is counted in every aggregate and linked to nobody."""

from __future__ import annotations

import pytest

from social_crm.extract.facebook_streams import COMMENTS
from tests.end_to_end.conftest import copy_of, nightly_build, world_now

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def authorless(built, warehouse_url, tmp_path_factory):
    """The built world's copy in which a comment on our Page came without its `from` (a copy
    of a person's comment, with an id of its own), and the nightly build run again: (pipeline,
    its id, its day, customer messages of that day before, its landing batch)."""

    folder = tmp_path_factory.mktemp("authorless") / "copy"
    with copy_of(built, warehouse_url, folder) as (pipeline, _):
        comment_id, post_id, payload, day = pipeline.rows(
            "select natural_key, scope_key, payload, event_at::date from raw.facebook_comments"
            " where payload->'from'->>'id' <> split_part(scope_key, '_', 1)"
            " and scope_key like '104000000000001_%%' and not is_deleted"
            " order by natural_key limit 1"
        )[0]
        before = pipeline.scalar(
            "select customer_messages from marts.brand_daily_metrics"
            " where brand_key = 'ours' and metric_date = %s",
            day,
        )
        item = {k: v for k, v in payload.items() if k not in ("from", "post_id")}
        comment_id = item["id"] = f"{comment_id}901"
        engine = pipeline.facebook.engine
        with pipeline.connect() as conn, engine.batch(conn, COMMENTS) as batch:
            engine.land(COMMENTS, [item], batch, post_id)
        nightly_build(as_of=world_now(pipeline.sim))
        yield pipeline, comment_id, day, before, batch.result


def test_a_comment_without_from_lands_and_is_not_quarantined(authorless):
    pipeline, comment_id, _, _, result = authorless
    assert (result.landed, result.quarantined) == (1, 0)
    assert pipeline.scalar(
        "select not payload ? 'from' from raw.facebook_comments where natural_key = %s"
        " order by ingest_seq desc limit 1",
        comment_id,
    )


def test_a_comment_without_from_is_still_counted_in_the_days_aggregates(authorless):
    pipeline, _, day, before, _ = authorless
    after = pipeline.scalar(
        "select customer_messages from marts.brand_daily_metrics"
        " where brand_key = 'ours' and metric_date = %s",
        day,
    )
    assert after == before + 1


def test_a_comment_without_from_is_an_engagement_of_nobody(authorless):
    pipeline, comment_id, _, _, _ = authorless
    unified = pipeline.rows(
        "select profile_id from intermediate.int_engagements_unified where engagement_id = %s",
        comment_id,
    )
    assert unified == [(None,)]  # counted, with no profile
    assert not pipeline.rows(
        "select 1 from marts.engagements where engagement_id = %s", comment_id
    )  # the person-level fact table: nobody's
    assert not pipeline.rows(
        "select 1 from intermediate.int_interactions where interaction_id = %s"
        " or source_profile_id is null or target_profile_id is null",
        comment_id,
    )
