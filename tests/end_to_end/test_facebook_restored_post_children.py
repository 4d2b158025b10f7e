"""A post the Page hid (deleted at the source, for now) and then restored.
The cascade tombstones its comments and reactions with it; once the post is back and alive
again, they must be alive again too, or its engagements vanish for good."""

import pytest

from tests.end_to_end.conftest import Pipeline

pytestmark = pytest.mark.integration


def test_a_restored_posts_comments_and_reactions_come_back_with_it(sim, db):
    pipeline = Pipeline(sim, db)
    pipeline.facebook.posts_with_activity("feed")
    post_id = pipeline.scalar(
        "select r.scope_key from raw.facebook_reactions r"
        " join raw.facebook_comments c on c.scope_key = r.scope_key"
        " group by r.scope_key order by count(*) desc, r.scope_key limit 1"
    )
    comments = pipeline.alive("facebook_comments", f"scope_key = '{post_id}'")
    reactions = pipeline.alive("facebook_reactions", f"scope_key = '{post_id}'")
    assert comments and reactions

    sim.hide([post_id])
    pipeline.facebook.posts_with_activity("feed")
    assert post_id not in pipeline.alive("facebook_visitor_posts")

    sim.hide([post_id], hidden=False)
    pipeline.facebook.posts_with_activity("feed")
    assert post_id in pipeline.alive("facebook_visitor_posts")
    lost_comments = comments - pipeline.alive("facebook_comments", f"scope_key = '{post_id}'")
    lost_reactions = reactions - pipeline.alive("facebook_reactions", f"scope_key = '{post_id}'")
    assert (lost_comments, lost_reactions) == (set(), set())
