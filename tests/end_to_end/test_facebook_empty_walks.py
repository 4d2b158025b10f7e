"""An empty answer to a post's comments, when the post's count says it has some, is not taken
for a complete read: the comments land in the next run, not at the post's next re-walk point."""

import pytest

from tests.end_to_end.conftest import Pipeline

pytestmark = pytest.mark.integration


def _newest_post_with_comments(sim) -> tuple[str, list[str]]:
    world = sim.world
    with sim.lock:
        for post in reversed(list(world.posts(0, "post"))):
            comments = [c.id for c in world.comments(post.id) or []]
            if comments:
                return post.id, comments
    raise AssertionError("no post with comments in the test world")


def test_comments_an_empty_answer_left_out_land_in_the_next_run(sim, db):
    pipeline = Pipeline(sim, db)
    post_id, comment_ids = _newest_post_with_comments(sim)
    sim.hide(comment_ids)  # the post's comments answer empty, its count stays
    pipeline.facebook.posts_with_activity("posts")
    assert not pipeline.alive("facebook_comments", f"scope_key = '{post_id}'")

    sim.hide(comment_ids, hidden=False)  # the blip is over; the world's clock has not moved
    pipeline.facebook.posts_with_activity("posts")
    assert pipeline.alive("facebook_comments", f"scope_key = '{post_id}'") == set(comment_ids)
