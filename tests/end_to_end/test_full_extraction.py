"""A full extraction equals the simulator's truth; reruns land nothing; the world advancing
lands only new and edited records and tombstones for deletions."""

import dataclasses
from datetime import timedelta
from types import SimpleNamespace

import pytest

from social_crm_dev.simulator.config import WORLD_START
from social_crm_dev.simulator.faults import FaultConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import migrated_database
from tests.end_to_end.conftest import (
    PAGE_IDS,
    TRUTH_CHECKS,
    WORLD,
    Pipeline,
    assert_matches_truth,
    test_x_profile,
    truth_mismatch,
    truth_of,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def extracted_twice(warehouse_url, tmp_path_factory):
    """The test world extracted in full, then again with nothing changed: the checks against
    the truth after the first run, and what each run did."""
    with (
        SimulatorServer(World(WORLD), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        pipeline = Pipeline(sim, db)
        first = pipeline.run()
        truth = truth_of(sim, tmp_path_factory.mktemp("truth"))
        checks = {name: check(pipeline, truth) for name, check in TRUTH_CHECKS.items()}
        rows_before = pipeline.scalar("select count(*) from raw.facebook_comments")
        requests_before = dict(sim.requests)
        second = pipeline.run()
        yield SimpleNamespace(
            checks=checks,
            first=first,
            second=second,
            rows_before=rows_before,
            rows_after=pipeline.scalar("select count(*) from raw.facebook_comments"),
            requests=dict(sim.requests),
            walked_again={
                edge: sim.requests[edge] - requests_before.get(edge, 0)
                for edge in ("graph:/{id}/comments", "graph:/{id}/reactions")
            },
        )


@pytest.mark.parametrize("entity", TRUTH_CHECKS)
def test_a_full_extraction_lands_the_truth(extracted_twice, entity):
    assert truth_mismatch(*extracted_twice.checks[entity]) == {}


def test_a_full_extraction_commits_every_batch_and_quarantines_nothing_valid(extracted_twice):
    first = extracted_twice.first
    assert all(r.status == "committed" for r in first)
    assert sum(r.landed for r in first) > 1000
    assert sum(r.quarantined for r in first) == 0  # nothing valid is quarantined


def test_a_full_extraction_as_a_new_graph_app_sends_no_multi_id_request(extracted_twice):
    """An app created today may not send `?ids=`: people are looked up by batch requests."""
    requests = extracted_twice.requests
    assert requests.get("graph:?ids=", 0) == 0
    assert requests["graph:batch"] > 0


def test_a_rerun_with_nothing_changed_lands_nothing(extracted_twice):
    second = extracted_twice.second
    landed_again = {f"{r.source}/{r.entity}": r.landed for r in second if r.landed}
    # the page snapshot is keyed on the run; x users carry follower counts: both unchanged
    assert landed_again == {}
    assert extracted_twice.rows_after == extracted_twice.rows_before
    assert sum(r.duplicate for r in second) > 100  # the posts listed again


def test_a_rerun_with_nothing_changed_walks_no_post_again(extracted_twice):
    """No post's count moved and none is due for its periodic re-walk."""
    assert extracted_twice.walked_again == {"graph:/{id}/comments": 0, "graph:/{id}/reactions": 0}


def test_advancing_world_lands_new_and_edited_records_and_tombstones(sim, db, tmp_path):
    # every run walks every post and window: every change lands at once (with re-walk points,
    # a change no count shows lands at the post's next one)
    pipeline = Pipeline(sim, db, recheck_hours=0)
    pipeline.run()
    before = truth_of(sim, tmp_path / "before")
    sim.world.advance(4)
    results: dict[str, list] = {}
    for r in pipeline.run():
        results.setdefault(f"{r.source}/{r.entity}", []).append(r)
    comment_batches = [r.batch_id for r in results["facebook/comments"]]
    after = truth_of(sim, tmp_path / "after")
    assert_matches_truth(pipeline, after)

    # comments: what landed now is exactly the new ones plus the edited ones
    new_ids = after.messages("facebook", {"comment", "reply"}) - before.messages(
        "facebook", {"comment", "reply"}
    )
    landed_now = pipeline.scalar(
        "select count(*) from raw.facebook_comments c join meta.load_batches b using (batch_id)"
        " where b.batch_id = any(%s::uuid[]) and not c.is_deleted",
        comment_batches,
    )
    edits_before = {e["item_id"] for e in before.rows("edits.csv")}
    newly_edited = {e["item_id"] for e in after.rows("edits.csv")} - edits_before
    brand_answers_new = after.answers("facebook") - before.answers("facebook")
    # comments and replies edited (edits.csv lists visitor posts too: they land elsewhere)
    edited_existing = (newly_edited & after.messages("facebook", {"comment", "reply"})) - new_ids
    assert landed_now >= len(new_ids) + len(edited_existing)
    assert landed_now <= len(new_ids) + len(edited_existing) + len(brand_answers_new) + 50
    edited_rows = pipeline.scalar(
        "select count(*) from raw.facebook_comments c where c.batch_id = any(%s::uuid[]) and"
        " c.payload->>'message' like '%%(edited)' and exists (select 1 from"
        " raw.facebook_comments p where p.natural_key = c.natural_key"
        " and p.ingest_seq < c.ingest_seq)",
        comment_batches,
    )
    assert edited_rows == len(edited_existing)

    # deletions arrive as tombstones, one per deleted item
    deleted_now = {
        d["item_id"]
        for d in after.rows("deletions.csv")
        if d["kind"] in ("comment", "reply", "brand_reply")
    } - {d["item_id"] for d in before.rows("deletions.csv")}
    tombstones = pipeline.scalar(
        "select count(*) from raw.facebook_comments where is_deleted"
        " and batch_id = any(%s::uuid[])",
        comment_batches,
    )
    assert tombstones == len(
        deleted_now & before.messages("facebook", {"comment", "reply"})
        | (deleted_now & before.answers("facebook"))
    )
    assert sum(r.tombstoned for r in results["facebook/comments"]) == tombstones
    # the world deletes few comments on our Page in 4 days (a rival's are not read): one more,
    # deleted at the source now, lands as a tombstone in the next run
    gone = min(pipeline.alive("facebook_comments", f"payload->'from'->>'id' not in {PAGE_IDS}"))
    sim.hide([gone])
    pipeline.facebook.posts_with_activity("posts")
    pipeline.facebook.posts_with_activity("feed")
    assert gone not in pipeline.alive("facebook_comments")
    tweets_deleted = {d["item_id"] for d in after.rows("deletions.csv") if d["platform"] == "x"}
    tweets_deleted -= {d["item_id"] for d in before.rows("deletions.csv")}
    visible_before = before.messages("x", {"mention"}) | before.answers("x")
    assert sum(r.tombstoned for r in results["x/tweets"]) == len(tweets_deleted & visible_before)


def test_hours_later_new_comments_land_and_few_posts_are_walked(pipeline, sim, tmp_path):
    pipeline.run()
    before = truth_of(sim, tmp_path / "before")
    # a morning in which new comments come, less than any post's re-walk period (12 h or more)
    sim.world.advance(0, seconds=11 * 3600)
    requests_before = dict(sim.requests)
    pipeline.run()
    after = truth_of(sim, tmp_path / "after")
    kinds = {"comment", "reply"}
    new_ids = after.messages("facebook", kinds) - before.messages("facebook", kinds)
    assert new_ids, "the world wrote comments in those hours"
    assert new_ids <= pipeline.alive("facebook_comments")
    posts = len(pipeline.alive("facebook_posts")) + len(pipeline.alive("facebook_visitor_posts"))
    walked = sim.requests["graph:/{id}/comments"] - requests_before.get("graph:/{id}/comments", 0)
    # the posts with new comments, not all of them
    assert walked < posts / 4


def test_an_hour_later_x_reads_the_new_posts_not_the_window(pipeline, sim, tmp_path):
    pipeline.x.tweets()
    before = truth_of(sim, tmp_path / "before")
    sim.world.advance(0, seconds=3600)
    read_before = sim.x_profile.posts_read_in_all()
    pipeline.x.tweets()
    after = truth_of(sim, tmp_path / "after")
    new = (after.messages("x", {"mention"}) | after.answers("x")) - (
        before.messages("x", {"mention"}) | before.answers("x")
    )
    read = sim.x_profile.posts_read_in_all() - read_before
    assert new and new <= pipeline.alive("x_tweets")
    window = len(pipeline.alive("x_tweets"))
    assert read < window / 10, f"{read} Posts read for {len(new)} new of {window}"


def test_a_post_deleted_after_it_landed_is_tombstoned_at_its_next_recheck(pipeline, sim):
    pipeline.x.tweets()
    # a Post 30 hours old: its re-checks come at 2 days old, then 4, 8 ...
    now = WORLD_START + timedelta(seconds=sim.world.clock)
    tweet = pipeline.rows(
        "select natural_key from raw.x_tweets where event_at < %s order by event_at desc limit 1",
        now - timedelta(hours=30),
    )[0][0]
    sim.hide([tweet])
    sim.world.advance(0, seconds=12 * 3600)  # 42 hours old: not re-checked yet
    pipeline.x.tweets()
    alive_before_its_recheck = tweet in pipeline.alive("x_tweets")
    sim.world.advance(0, seconds=7 * 3600)  # 49 hours old: its 2-day re-check passed
    pipeline.x.tweets()
    assert alive_before_its_recheck and tweet not in pipeline.alive("x_tweets")


def test_an_hour_later_no_follower_list_is_walked_again(pipeline, sim):
    pipeline.x.tweets()
    pipeline.x.followers()
    walked = sim.requests["x:followers"]
    sim.world.advance(0, seconds=3600)
    pipeline.x.tweets()
    pipeline.x.followers()
    assert walked > 0 and sim.requests["x:followers"] == walked


def test_every_follower_list_is_walked_again_within_its_period(pipeline, sim):
    pipeline.x.tweets()
    pipeline.x.followers()
    accounts = pipeline.scalar("select count(*) from meta.x_follower_walks")
    first = pipeline.scalar("select max(walked_at) from meta.x_follower_walks")
    sim.world.advance(11)  # past 1.5 x the default 7 days
    pipeline.x.followers()
    again = pipeline.scalar(
        "select count(*) from meta.x_follower_walks where walked_at > %s", first
    )
    assert again == accounts


NEWEST_FIRST = "graph:/{id}/comments newest first"


def land_facebook_posts(pipeline) -> None:
    pipeline.facebook.posts_with_activity("posts")
    pipeline.facebook.posts_with_activity("feed")


def posts_with_new_comments(pipeline, before, after) -> int:
    kinds = {"comment", "reply"}
    new = after.messages("facebook", kinds) - before.messages("facebook", kinds)
    return pipeline.scalar(
        "select count(distinct scope_key) from raw.facebook_comments where natural_key = any(%s)",
        sorted(new),
    )


def test_hours_later_a_post_with_new_comments_costs_one_newest_first_request(
    pipeline, sim, tmp_path
):
    land_facebook_posts(pipeline)
    before = truth_of(sim, tmp_path / "before")
    sim.world.advance(0, seconds=11 * 3600)  # the test world's comments come by day
    asked_before = sim.requests[NEWEST_FIRST]
    land_facebook_posts(pipeline)
    posts = posts_with_new_comments(pipeline, before, truth_of(sim, tmp_path / "after"))
    asked = sim.requests[NEWEST_FIRST] - asked_before
    # new posts and posts past a re-walk point are walked whole instead: at most one each
    assert 0 < asked <= posts


@pytest.mark.parametrize("ranked", [False, True], ids=["newest_first", "order_ignored"])
def test_new_comments_all_land_whatever_order_the_api_answers_in(pipeline, sim, tmp_path, ranked):
    land_facebook_posts(pipeline)
    before = truth_of(sim, tmp_path / "before")
    sim.configure_faults(FaultConfig(ranked_comments=ranked))
    # a comment a page: reads go past their first page, whose order then shows
    pipeline.facebook.settings = dataclasses.replace(pipeline.facebook.settings, page_size=1)
    sim.world.advance(0, seconds=11 * 3600)
    asked_before = sim.requests[NEWEST_FIRST]
    land_facebook_posts(pipeline)
    after = truth_of(sim, tmp_path / "after")
    kinds = {"comment", "reply"}
    new = after.messages("facebook", kinds) - before.messages("facebook", kinds)
    assert sim.requests[NEWEST_FIRST] > asked_before  # some were asked newest first
    assert new and new <= pipeline.alive("facebook_comments")
