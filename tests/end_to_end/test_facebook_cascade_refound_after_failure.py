"""A post deleted at the source takes its comments and reactions with it
(`Engine.cascade`), but the cascade runs after the posts batch committed the post's tombstone,
in batches of its own. If it cannot run then (a live walk landing comments holds the comments
batch's lock, the worker is killed, the database connection drops), no later run ever
cascades that post again: only parents tombstoned by *this* run's batch are looked at, and the
post, already tombstoned, is no candidate again. Its comments and reactions stay alive in raw,
and in the marts, for good."""

import psycopg
import pytest

from social_crm.load.landing import BatchBusy
from tests.end_to_end.conftest import Pipeline

pytestmark = pytest.mark.integration


def test_a_deleted_posts_comments_are_tombstoned_even_when_the_first_cascade_failed(sim, db):
    pipeline = Pipeline(sim, db)
    pipeline.facebook.posts_with_activity("feed")
    post_id = pipeline.scalar(
        "select r.scope_key from raw.facebook_reactions r"
        " join raw.facebook_comments c on c.scope_key = r.scope_key"
        " group by r.scope_key order by count(*) desc, r.scope_key limit 1"
    )
    assert pipeline.alive("facebook_comments", f"scope_key = '{post_id}'")

    sim.hide([post_id])
    # a live walk starts landing comments while the posts batch looks up the missing post
    live = psycopg.connect(db.libpq(), autocommit=True)
    gone_nodes = pipeline.facebook._gone_nodes

    def looked_up_while_the_live_walk_starts(missing):
        if any(m.natural_key == post_id for m in missing):
            live.execute("select pg_advisory_lock(hashtext('landing:facebook:comments'))")
        return gone_nodes(missing)

    pipeline.facebook._gone_nodes = looked_up_while_the_live_walk_starts
    try:
        with pytest.raises(BatchBusy, match="facebook/comments"):
            pipeline.facebook.posts_with_activity("feed")
    finally:
        pipeline.facebook._gone_nodes = gone_nodes
        live.execute("select pg_advisory_unlock_all()")
        live.close()
    assert post_id not in pipeline.alive("facebook_visitor_posts")  # the tombstone committed

    # the next runs, with nothing in the way
    pipeline.facebook.posts_with_activity("feed")
    pipeline.facebook.posts_with_activity("feed")
    assert not pipeline.alive("facebook_comments", f"scope_key = '{post_id}'")
    assert not pipeline.alive("facebook_reactions", f"scope_key = '{post_id}'")


def test_once_a_deleted_posts_children_are_tombstoned_later_runs_open_no_cascade_batch(sim, db):
    pipeline = Pipeline(sim, db)
    pipeline.facebook.posts_with_activity("feed")
    post_id = pipeline.scalar(
        "select scope_key from raw.facebook_comments group by scope_key"
        " order by count(*) desc, scope_key limit 1"
    )
    sim.hide([post_id])
    pipeline.facebook.posts_with_activity("feed")
    assert not pipeline.alive("facebook_comments", f"scope_key = '{post_id}'")

    results = pipeline.facebook.posts_with_activity("feed")
    # the walk's own batches, the users': no second comments (or reactions) batch
    assert sorted(r.entity for r in results) == ["comments", "reactions", "users", "visitor_posts"]
