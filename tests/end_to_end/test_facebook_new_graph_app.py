"""An app created today (Graph v27, no multi-ID requests) still finds deletions: posts and
comments missing from a walk are confirmed gone by batch requests, never by `?ids=`."""

import pytest

from tests.end_to_end.conftest import Pipeline

pytestmark = pytest.mark.integration


def test_deletions_are_confirmed_by_batch_requests_without_multi_id_requests(sim, db):
    pipeline = Pipeline(sim, db, recheck_hours=0)  # every run walks every post
    pipeline.facebook.posts_with_activity("posts")
    comments = sorted(pipeline.alive("facebook_comments"))
    posts = sorted(pipeline.alive("facebook_posts"))
    gone_comments, gone_post = comments[:60], posts[-1]  # more than one batch of lookups
    kept_comments = pipeline.alive("facebook_comments", f"scope_key <> '{gone_post}'")
    kept_comments -= set(gone_comments)
    batches_before = sim.requests["graph:batch"]

    sim.hide([*gone_comments, gone_post])
    pipeline.facebook.posts_with_activity("posts")

    assert gone_post not in pipeline.alive("facebook_posts")
    assert not set(gone_comments) & pipeline.alive("facebook_comments")
    assert kept_comments <= pipeline.alive("facebook_comments")
    assert sim.requests.get("graph:?ids=", 0) == 0
    assert sim.requests["graph:batch"] - batches_before >= 2
