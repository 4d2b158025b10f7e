"""Outsider attack (attack7b) on Instagram in the marts: the simulator's small world extracted
(Instagram through its extractor, as tests/end_to_end/test_instagram_marts.py does), built by
the nightly run; then one thing the real API does that the simulator's world never does, and
the nightly run again."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.orchestration import nightly
from tests.end_to_end.conftest import extracted_world, land_crm_export, world_now
from tests.end_to_end.test_instagram_marts import extract_instagram, land_webhook_changes

pytestmark = pytest.mark.integration

OURS, OUR_IG = "fjordbrew", "17841400000000001"


def test_a_persons_reply_the_brand_answers_in_its_thread_is_answered(
    warehouse_url, tmp_path_factory
):
    """Instagram threads are one level deep: "You can only reply to top-level comments;
    replies to a reply will be added to the top-level comment" (developers.facebook.com/docs/
    instagram-platform/instagram-graph-api/reference/ig-comment/replies). A person replies in a
    thread; the brand answers them there, as everyone does: `@<them> ...`, whose `parent_id` is
    the thread's top-level comment. The simulator's brand answers top-level comments only
    (kinder). int_messages_answered reads an answer's parent as what it answers: the person's
    reply stays unanswered (in the open conversations queue, without a response time)."""
    with extracted_world(warehouse_url, tmp_path_factory) as (pipeline, truth, patch):
        land_webhook_changes(pipeline, 0, pipeline.sim.world.clock + 1)
        extract_instagram(pipeline)
        land_crm_export(pipeline.connect, truth)
        patch.setenv("WAREHOUSE_URL", pipeline.db.libpq())
        patch.setenv("CRM_DROP_DIR", str(truth.folder / "crm_drop"))
        as_of = world_now(pipeline.sim)
        nightly.run_all(as_of=as_of)
        # a person's reply in a thread, in the engagements (so: a message of a person in view)
        reply, author, top, media, at = pipeline.rows(
            "select c.comment_id, c.author_username, c.parent_comment_id, c.media_id,"
            " c.created_at from staging.stg_instagram__comments c"
            " join intermediate.int_messages_answered a on a.message_id = c.comment_id"
            " where c.parent_comment_id is not null and not c.is_by_brand"
            " and a.answered_at is null and c.created_at < %s"
            " order by c.created_at desc limit 1",
            as_of - timedelta(hours=2),
        )[0]
        answer_at: datetime = at + timedelta(minutes=20)
        answer = "18999999999999999"
        with pipeline.connect() as conn, LandingBatch(conn, "instagram", "comments") as batch:
            batch.add(
                RawRecord(
                    answer,
                    {
                        "id": answer,
                        "text": f"@{author} thanks, we'll send you a new one!",
                        "timestamp": answer_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                        "username": OURS,
                        "from": {"id": OUR_IG, "username": OURS},
                        "like_count": 0,
                        "parent_id": top,  # the API's: the thread's top-level comment
                        "hidden": False,
                        "media_id": media,
                    },
                    media,
                    answer_at,
                )
            )
        nightly.run_all(as_of=as_of)
        # the brand's answer is staged as the brand's, in the person's thread
        assert pipeline.rows(
            "select is_by_brand, parent_comment_id from staging.stg_instagram__comments"
            " where comment_id = %s",
            answer,
        ) == [(True, top)]
        ((answered,),) = pipeline.rows(
            "select answered_at from intermediate.int_messages_answered where message_id = %s",
            reply,
        )
        assert answered == answer_at


def test_an_opted_out_customer_who_renamed_stays_out_of_the_detail_marts(
    warehouse_url, tmp_path_factory
):
    """A customer the CRM knows on Instagram opts out of profiling; later they rename their
    account (Instagram lets anyone, the IGSID stays: docs/real-apis.md; the simulator's worlds
    have no renames) and comment again. Erasure follows the IGSID to the new username
    (privacy/erasure.py); the opt-out does not: their new comment is in marts.engagements.
    (A new name like `<old>.new` is caught by the record linkage model's name similarity; a
    new name with nothing of the old one is not.)"""
    from tests.end_to_end.test_instagram_people import _rewrite, _two_known_commenters

    with extracted_world(warehouse_url, tmp_path_factory) as (pipeline, truth, patch):
        land_webhook_changes(pipeline, 0, pipeline.sim.world.clock + 1)
        extract_instagram(pipeline)
        _, opted_out = _two_known_commenters(truth)
        old = opted_out["profile_id"]
        igsid, media, at = pipeline.rows(
            "select payload -> 'from' ->> 'id', scope_key, event_at from raw.instagram_comments"
            " where lower(payload ->> 'username') = %s and payload ? 'from'"
            " order by event_at desc limit 1",
            old,
        )[0]
        new = "qwxz_8842"  # a new name with nothing of the old one
        _rewrite(
            truth.folder / "crm" / "customers.csv",
            lambda f, rows: (
                f,
                [
                    r | {"profiling_opt_out": "true"}
                    if r["customer_id"] == opted_out["customer_id"]
                    else r
                    for r in rows
                ],
            ),
        )
        comment = "18999999999999998"
        later = at + timedelta(minutes=5)
        with pipeline.connect() as conn, LandingBatch(conn, "instagram", "comments") as batch:
            batch.add(
                RawRecord(
                    comment,
                    {
                        "id": comment,
                        "text": "still my favourite roast",
                        "timestamp": later.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                        "username": new,
                        "from": {"id": igsid, "username": new},
                        "like_count": 0,
                        "hidden": False,
                    },
                    media,
                    later,
                )
            )
        land_crm_export(pipeline.connect, truth)
        patch.setenv("WAREHOUSE_URL", pipeline.db.libpq())
        patch.setenv("CRM_DROP_DIR", str(truth.folder / "crm_drop"))
        nightly.run_all(as_of=world_now(pipeline.sim))
        in_details = {
            e
            for (e,) in pipeline.rows(
                "select e.engagement_id from marts.engagements e"
                " join staging.stg_instagram__comments c on c.comment_id = e.engagement_id"
                " where c.ig_scoped_id = %s",
                igsid,
            )
        }
        # their comments under the old username are out (the opt-out works) ...
        assert (
            pipeline.rows(
                "select count(*) from staging.stg_instagram__comments where ig_scoped_id = %s",
                igsid,
            )[0][0]
            > 1
        )
        # ... and so must be the one under their new username
        assert in_details == set()
