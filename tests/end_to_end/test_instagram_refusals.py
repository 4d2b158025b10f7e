"""What the Instagram extraction does when the API refuses one item (a rival, a hashtag, a
mentioned comment, one media's insights) or the item disappears during the walk (a media or
comment deleted between its listing and its comments): that item alone is set aside (named by
`finish`, marked read with its outcome, walked again next run), and everything else lands.
Real simulator over HTTP, real PostgreSQL; each test builds a small world of its own (it
changes the simulator under the walk)."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest

from social_crm.extract.http import ApiAuthError, ApiError
from social_crm.extract.instagram import AccountsUnreadable, InstagramAccount
from social_crm_dev.simulator.graph_api import graph_error
from social_crm_dev.simulator.instagram_api import SENSITIVE_HASHTAGS
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import migrated_database
from tests.end_to_end.conftest import WORLD, test_x_profile
from tests.end_to_end.test_instagram_extraction import (
    IG,
    IG_WORLD,
    TRACKED,
    Instagram,
    land_webhook_changes,
)

pytestmark = pytest.mark.integration

SMALL = dataclasses.replace(WORLD, days=5)
RIVALS = [b for b in TRACKED if not b.is_ours]
PERSONAL = InstagramAccount("17841499999999999", "went.personal")  # not a business account


@contextlib.contextmanager
def _instagram(warehouse_url, world) -> Instagram:
    with (
        SimulatorServer(World(world), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        yield Instagram(sim, db)


@pytest.fixture
def instagram(warehouse_url):
    with _instagram(warehouse_url, SMALL) as ig:
        yield ig


@pytest.fixture
def busy_instagram(warehouse_url):
    """Enough people's media that the last day has some for our hashtags."""
    with _instagram(warehouse_url, dataclasses.replace(IG_WORLD, days=5)) as ig:
        yield ig


def _run(instagram: Instagram, step: str, **changes) -> Exception | None:
    """Run one step then `finish`, as a DAG task does; the error it ends with (or None)."""
    extractor = instagram.extractor(**changes)
    try:
        getattr(extractor, step)()
        extractor.finish()
    except ApiError as exc:
        return exc
    finally:
        extractor.client.close()
    return None


# --- a rival that is not a business account ------------------------------------------------


def test_a_rival_that_is_not_a_business_account_never_stops_the_other_rivals(instagram):
    _run(instagram, "rivals", rivals=(PERSONAL, *instagram.settings.rivals))
    with instagram.connect() as conn:
        scopes = {
            s
            for (s,) in conn.execute(
                "select distinct scope_key from raw.instagram_media where scope_key like 'rival:%'"
            )
        }
    assert scopes == {f"rival:{r.instagram_user_id}" for r in RIVALS}


def test_a_rival_that_is_not_a_business_account_fails_the_step_once_naming_it(instagram):
    error = _run(instagram, "rivals", rivals=(PERSONAL, *instagram.settings.rivals))
    assert isinstance(error, AccountsUnreadable)
    assert "@went.personal" in str(error)


# --- an item deleted during the walk -------------------------------------------------------


def _delete_during_walk(sim: SimulatorServer, edge: str, pick) -> list[str]:
    """Right after the simulator answers `edge` (our media listing, or a media's comments),
    the item `pick` chooses of that answer is deleted at the source (the simulator's `hidden`
    set), as a person deleting a comment, or the brand its post, while the run reads."""
    api = sim.instagram
    original = getattr(api, edge)
    deleted: list[str] = []

    def answer(*args, **kwargs):
        response = original(*args, **kwargs)
        if not deleted:
            chosen = pick(response.body.get("data") or [])
            if chosen is not None:
                api.hidden.add(chosen)
                deleted.append(chosen)
        return response

    setattr(api, edge, answer)
    return deleted


def test_a_comment_deleted_between_the_comments_page_and_its_replies_walk_loses_nothing_else(
    instagram,
):
    """`GET /{comment}/replies` answers #100 subcode 33 for it: the rest of the run lands."""
    deleted = _delete_during_walk(
        instagram.sim,
        "_comments",
        lambda items: next((i["id"] for i in items if isinstance(i, dict)), None),
    )
    extractor = instagram.extractor()
    try:
        extractor.media()
    finally:
        extractor.client.close()
    assert deleted
    assert len(instagram.alive("instagram_comments")) > 10
    assert instagram.alive("instagram_media", "scope_key like 'own:%'")


def test_a_media_deleted_between_the_listing_and_its_comments_walk_loses_nothing_else(instagram):
    """`GET /{media}/comments` answers #100 subcode 33 for it: the rest of the run lands."""
    deleted = _delete_during_walk(
        instagram.sim,
        "_media",
        lambda items: next(
            (i["id"] for i in items if isinstance(i, dict) and i.get("comments_count")), None
        ),
    )
    extractor = instagram.extractor()
    try:
        extractor.media()
    finally:
        extractor.client.close()
    assert deleted
    assert len(instagram.alive("instagram_media", "scope_key like 'own:%'")) > 1
    assert len(instagram.alive("instagram_comments")) > 10


def test_a_comment_deleted_mid_walk_leaves_the_others_of_its_media_untombstoned(instagram):
    """The walk cut short is not complete: none of its media's comments is tombstoned on that
    answer alone (a deletion is confirmed by a lookup when a complete walk misses it)."""
    extractor = instagram.extractor()
    try:
        extractor.media()
    finally:
        extractor.client.close()
    before = instagram.alive("instagram_comments")
    instagram.sim.world.advance(2)  # every media's re-walk point passed
    deleted = _delete_during_walk(
        instagram.sim,
        "_comments",
        lambda items: next((i["id"] for i in items if isinstance(i, dict)), None),
    )
    extractor = instagram.extractor()
    try:
        extractor.media()
    finally:
        extractor.client.close()
    assert deleted
    assert before - set(deleted) - instagram.alive("instagram_comments") == set()


# --- hashtags the API refuses, and the 7-day window ----------------------------------------


def test_a_hashtag_the_api_refuses_never_loses_the_other_hashtags_media(busy_instagram):
    """Another app's queries fill the account's 30 (Meta counts them): our new 7th hashtag is
    refused `(#100)` subcode 2207034; the six in the window still land their new media."""
    instagram = busy_instagram
    extractor = instagram.extractor()
    try:
        extractor.hashtags()  # our six campaign hashtags: counted by Meta
        for n in range(24):  # another app's queries on the account, through Meta
            extractor.client.get_json("ig_hashtag_search", {"user_id": IG, "q": f"other{n}"})
    finally:
        extractor.client.close()
    instagram.sim.world.advance(0, seconds=3600)  # an hour later: new media of our hashtags
    before = instagram.alive("instagram_media", "scope_key like 'hashtag:%'")
    extractor = instagram.extractor(hashtags=(*instagram.settings.hashtags, "newcampaign"))
    try:
        with contextlib.suppress(ApiError):
            extractor.hashtags()
    finally:
        extractor.client.close()
    after = instagram.alive("instagram_media", "scope_key like 'hashtag:%'")
    world = instagram.sim.world
    served = {
        m.id
        for m in world.instagram.people_media(world.clock - 24 * 3600 + 1)
        if set(m.hashtags) & set(instagram.settings.hashtags) and m.visible(world.clock)
    }
    new = served - before
    assert new, "no new hashtag media in the hour: choose another seed"
    assert new - after == set()


def test_a_hashtag_beyond_the_accounts_30_is_not_sent_when_meta_lists_30(busy_instagram):
    """recently_searched_hashtags lists another app's searches too: with 30 there, a new
    hashtag is not sent (nor counted as ours) until one leaves the window."""
    instagram = busy_instagram
    extractor = instagram.extractor()
    try:
        extractor.hashtags()
        for n in range(30 - len(instagram.settings.hashtags)):
            extractor.client.get_json("ig_hashtag_search", {"user_id": IG, "q": f"other{n}"})
    finally:
        extractor.client.close()
    _run(instagram, "hashtags", hashtags=(*instagram.settings.hashtags, "newcampaign"))
    assert (
        instagram.scalar(
            "select count(*) from meta.instagram_hashtag_queries where hashtag = 'newcampaign'"
        )
        == 0
    )


@pytest.mark.parametrize("sensitive", sorted(SENSITIVE_HASHTAGS)[:1])
def test_a_hashtag_meta_deems_sensitive_never_loses_the_others_media(busy_instagram, sensitive):
    instagram = busy_instagram
    _run(instagram, "hashtags", hashtags=(sensitive, *instagram.settings.hashtags))
    landed = instagram.alive("instagram_media", "scope_key like 'hashtag:%'")
    world = instagram.sim.world
    served = {
        m.id
        for m in world.instagram.people_media(world.clock - 24 * 3600 + 1)
        if set(m.hashtags) & set(instagram.settings.hashtags) and m.visible(world.clock)
    }
    assert served, "no hashtag media in the last day: choose another seed"
    assert served - landed == set()


@pytest.mark.parametrize("sensitive", sorted(SENSITIVE_HASHTAGS)[:1])
def test_a_hashtag_meta_deems_sensitive_fails_the_step_once_naming_it(busy_instagram, sensitive):
    instagram = busy_instagram
    error = _run(instagram, "hashtags", hashtags=(sensitive, *instagram.settings.hashtags))
    assert isinstance(error, AccountsUnreadable)
    assert f"#{sensitive}" in str(error)


def test_a_31st_campaign_hashtag_is_queried_once_the_7_day_window_lets_it(instagram):
    """Meta counts a hashtag 7 days from its FIRST query (a repeat neither counts nor resets
    it): a run a day with 31 configured, the 31st is queried once the first 30 leave."""
    tags = tuple(f"campaign{n:02d}" for n in range(31))
    for _ in range(9):
        extractor = instagram.extractor(hashtags=tags)
        try:
            extractor.hashtags()
        finally:
            extractor.client.close()
        instagram.sim.world.advance(1)
    queried = instagram.scalar(
        "select count(*) from meta.instagram_hashtag_queries where hashtag = %s", tags[-1]
    )
    assert queried > 0


# --- a mentioned comment the API refuses ---------------------------------------------------


def _refuse_one_mentioned_comment(instagram: Instagram) -> str:
    """`mentioned_comment` "will return an error if comments have been disabled on the IG
    Media" (its reference; the code is not documented: here `(#100)` without subcode 33)."""
    world = instagram.sim.world
    land_webhook_changes(instagram.connect, world)
    refused = next(
        value["comment_id"]
        for _, _, field, value, _ in world.instagram_webhook_changes(0, world.clock + 1)
        if field == "mentions" and value.get("comment_id")
    )
    api = instagram.sim.instagram
    original = api._mentioned_comment

    def comments_disabled(item):
        if item.modifiers.get("comment_id") == refused:
            raise graph_error("(#100) Comments are disabled for this media", 100)
        return original(item)

    api._mentioned_comment = comments_disabled
    return refused


def _media_step(instagram: Instagram) -> None:
    extractor = instagram.extractor()
    try:
        with contextlib.suppress(ApiError):
            extractor.media()
    finally:
        extractor.client.close()


def test_a_mentioned_comment_the_api_refuses_never_stops_the_media_step(busy_instagram):
    instagram = busy_instagram
    _refuse_one_mentioned_comment(instagram)
    _media_step(instagram)
    assert instagram.alive("instagram_media", f"scope_key = 'own:{IG}'")
    assert instagram.alive("instagram_media", f"scope_key = 'mentions:{IG}'")


def test_a_mentioned_comment_the_api_refuses_is_marked_read_with_the_refusal(busy_instagram):
    instagram = busy_instagram
    refused = _refuse_one_mentioned_comment(instagram)
    _media_step(instagram)
    outcome = instagram.scalar(
        "select r.outcome from meta.webhook_changes_read r join raw.webhook_events e"
        " on e.natural_key = r.natural_key where e.payload -> 'value' ->> 'comment_id' = %s",
        refused,
    )
    assert outcome.startswith("refused: ")


# --- one media's insights refused ----------------------------------------------------------


def _before_conversion(instagram: Instagram) -> list:
    """Insights of a media posted before the account became a business account answer
    `Invalid parameter` #100 subcode 2108006 (github.com/airbytehq/airbyte/issues/1814):
    the account's oldest FEED post does. Returns the FEED media, that one first."""
    api = instagram.sim.instagram
    feed = [m for m in instagram.sim.world.instagram.brand_media(0) if m.product_type == "FEED"]
    assert len(feed) > 2
    original = api._media_insights

    def before_conversion(media, params):
        if media.id == feed[0].id:
            raise graph_error("Invalid parameter", 100, subcode=2108006)
        return original(media, params)

    api._media_insights = before_conversion
    extractor = instagram.extractor()
    try:
        extractor.media()
        extractor.media_insights()
    finally:
        extractor.client.close()
    return feed


def test_one_media_posted_before_the_business_conversion_never_costs_the_others_insights(
    instagram,
):
    feed = _before_conversion(instagram)
    with instagram.connect() as conn:
        with_insights = {
            media
            for (media,) in conn.execute(
                "select distinct payload->>'media_id' from raw.instagram_media_insights"
            )
        }
    assert {m.id for m in feed[1:]} - with_insights == set()


def test_one_media_posted_before_the_business_conversion_rejects_no_metric(instagram):
    _before_conversion(instagram)
    assert instagram.scalar("select count(*) from meta.rejected_metrics") == 0


def test_a_media_posted_before_the_business_conversion_is_not_asked_again_the_next_day(
    instagram,
):
    feed = _before_conversion(instagram)
    instagram.sim.world.advance(1)
    asked: list[str] = []
    api = instagram.sim.instagram
    refusing = api._media_insights

    def counted(media, params):
        asked.append(media.id)
        return refusing(media, params)

    api._media_insights = counted
    extractor = instagram.extractor()
    try:
        extractor.media_insights()
    finally:
        extractor.client.close()
    assert asked and feed[0].id not in asked


def test_a_hashtag_search_refused_for_the_token_still_fails_the_step_whole(instagram):
    """Only a refusal about that hashtag is set aside: an invalid token is about every read."""
    api = instagram.sim.instagram

    def expired(params):
        raise graph_error("Error validating access token: Session has expired", 190)

    api._hashtag_search = expired
    extractor = instagram.extractor()
    try:
        with pytest.raises(ApiAuthError):
            extractor.hashtags()
    finally:
        extractor.client.close()


def test_comments_no_media_of_which_can_be_loaded_still_fail_the_media_step(instagram):
    """100/33 on every media's comments is not a deletion mid-walk but comments the token
    cannot read: the step fails (nothing is quietly skipped)."""
    api = instagram.sim.instagram

    def unreadable(media, params, path):
        raise graph_error(
            f"Unsupported get request. Object with ID '{media.id}' does not exist", 100, subcode=33
        )

    api._comments = unreadable
    extractor = instagram.extractor()
    try:
        with pytest.raises(ApiError):
            extractor.media()
    finally:
        extractor.client.close()
