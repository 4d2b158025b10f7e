"""A post deleted at the source takes its comments and reactions with it: the Graph API serves
neither once the post is gone, so no later walk could confirm them deleted one by one."""

import pytest

from tests.end_to_end.conftest import Pipeline

pytestmark = pytest.mark.integration


def test_a_deleted_visitor_posts_comments_and_reactions_are_tombstoned_with_it(sim, db):
    pipeline = Pipeline(sim, db)
    pipeline.facebook.posts_with_activity("feed")
    post_id = pipeline.scalar(
        "select scope_key from raw.facebook_reactions group by scope_key"
        " order by count(*) desc, scope_key limit 1"
    )
    assert pipeline.alive("facebook_reactions", f"scope_key = '{post_id}'")

    sim.hide([post_id])
    pipeline.facebook.posts_with_activity("feed")
    assert post_id not in pipeline.alive("facebook_visitor_posts")
    assert not pipeline.alive("facebook_reactions", f"scope_key = '{post_id}'")
    assert not pipeline.alive("facebook_comments", f"scope_key = '{post_id}'")
