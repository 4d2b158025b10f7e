"""Instagram's documented refusals, limits and deletions, as the simulator answers them
(docs/real-apis.md, Instagram table)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm_dev.simulator.config import BRANDS, DAY, WorldConfig
from social_crm_dev.simulator.instagram import HASHTAGS
from social_crm_dev.simulator.instagram_api import (
    ACCOUNT_TOTAL_METRICS,
    IG_PERMISSIONS,
    MAX_LIMITS,
    MEDIA_METRICS,
    RETIRED_ACCOUNT_METRICS,
    RETIRED_MEDIA_METRICS,
)
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.simulator.instagram_walk import COMMENT_FIELDS, OUR_IG, get, our_page_token, pages

TINY = WorldConfig(seed=8, scale=0.04, days=40)
SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def ig():
    with SimulatorServer(World(TINY)) as running:
        yield running


@pytest.fixture
def fresh():
    """A server of its own (the test changes what the account has done or may do)."""
    with SimulatorServer(World(TINY)) as running:
        yield running


@pytest.fixture(scope="module")
def token(ig):
    return our_page_token(ig.url)


def _error(response) -> dict:
    assert response.status_code in (400, 403), response.text
    return response.json()["error"]


def _our_media(ig, token) -> list[dict]:
    return pages(
        ig.url, f"{OUR_IG}/media", token, 100, fields="id,media_product_type,comments_count"
    )


# --- tokens and permissions ---------------------------------------------------------------


def test_a_token_we_did_not_issue_answers_190(ig):
    assert _error(get(ig.url, OUR_IG, token="EAAnot-ours"))["code"] == 190


def test_the_brand_user_token_reads_our_account(ig):
    answer = get(ig.url, OUR_IG, fields="id,username")
    assert answer.json() == {"id": OUR_IG, "username": BRANDS[0].ig_username}


def test_another_pages_token_cannot_load_our_account(fresh):
    fresh.set_graph_access(managed=[BRANDS[0].page_id, BRANDS[1].page_id])
    accounts = get(fresh.url, "me/accounts").json()["data"]
    rival_token = next(p["access_token"] for p in accounts if p["id"] == BRANDS[1].page_id)
    error = _error(get(fresh.url, OUR_IG, rival_token, fields="id"))
    assert (error["code"], error["error_subcode"]) == (100, 33)


@pytest.mark.parametrize(
    "permission", ["instagram_basic", "pages_read_engagement", "pages_show_list"]
)
def test_a_missing_basic_permission_answers_10_on_every_read(fresh, permission):
    fresh.set_instagram_access(permissions=sorted(IG_PERMISSIONS - {permission}))
    assert _error(get(fresh.url, f"{OUR_IG}/media"))["code"] == 10


def test_missing_manage_comments_answers_200_on_comments(fresh):
    media = _our_media(fresh, our_page_token(fresh.url))[0]
    fresh.set_instagram_access(permissions=sorted(IG_PERMISSIONS - {"instagram_manage_comments"}))
    assert _error(get(fresh.url, f"{media['id']}/comments"))["code"] == 200


def test_missing_manage_insights_answers_10_on_insights(fresh):
    fresh.set_instagram_access(permissions=sorted(IG_PERMISSIONS - {"instagram_manage_insights"}))
    answer = get(fresh.url, f"{OUR_IG}/insights", metric="reach", period="day")
    assert _error(answer)["code"] == 10


@pytest.mark.parametrize("brand", BRANDS[1:], ids=lambda b: b.key)
def test_a_rivals_account_asked_directly_is_an_unknown_object(ig, token, brand):
    error = _error(get(ig.url, brand.ig_user_id, token, fields="id,username"))
    assert (error["code"], error["error_subcode"]) == (100, 33)


def test_an_unknown_field_is_refused(ig, token):
    error = _error(get(ig.url, f"{OUR_IG}/media", token, fields="id,email"))
    assert error["code"] == 100 and "(email)" in error["message"]


# --- insights -----------------------------------------------------------------------------


@SETTINGS
@given(metric=st.sampled_from(sorted(RETIRED_MEDIA_METRICS)))
def test_a_retired_media_metric_fails_the_request(ig, token, metric):
    media = _our_media(ig, token)[0]
    answer = get(ig.url, f"{media['id']}/insights", token, metric=f"reach,{metric}")
    assert _error(answer)["code"] == 100


@pytest.mark.parametrize("metric", sorted(MEDIA_METRICS["REELS"] - MEDIA_METRICS["FEED"]))
def test_feed_media_refuse_the_reels_only_metrics(ig, token, metric):
    feed = next(m for m in _our_media(ig, token) if m["media_product_type"] == "FEED")
    error = _error(get(ig.url, f"{feed['id']}/insights", token, metric=metric))
    assert "does not support the" in error["message"]


def test_each_media_answers_every_metric_of_its_product_type(ig, token):
    old = {m.id for m in ig.world.instagram.brand_media(0) if m.before_business_conversion}
    for media in _our_media(ig, token):
        if media["id"] in old:  # 2108006 (test_instagram_refusal_answers.py)
            continue
        metrics = sorted(MEDIA_METRICS[media["media_product_type"]])
        answer = get(ig.url, f"{media['id']}/insights", token, metric=",".join(metrics))
        assert [d["name"] for d in answer.json()["data"]] == metrics


@SETTINGS
@given(metric=st.sampled_from(sorted(ACCOUNT_TOTAL_METRICS - {"reach"})))
def test_a_total_value_metric_without_metric_type_is_refused(ig, token, metric):
    answer = get(ig.url, f"{OUR_IG}/insights", token, metric=metric, period="day")
    assert "metric_type=total_value" in _error(answer)["message"]


@SETTINGS
@given(metric=st.sampled_from(sorted(RETIRED_ACCOUNT_METRICS)))
def test_a_retired_account_metric_is_refused(ig, token, metric):
    answer = get(ig.url, f"{OUR_IG}/insights", token, metric=metric, period="day")
    assert "no longer supported" in _error(answer)["message"]


def test_follower_count_before_the_last_30_days_is_refused(ig, token):
    since = (TINY.days - 31) * DAY + 1767225600  # Unix seconds, 31 days before the clock's day
    answer = get(
        ig.url,
        f"{OUR_IG}/insights",
        token,
        metric="follower_count",
        period="day",
        since=since,
        until=since + 5 * DAY,
    )
    assert "last 30 days" in _error(answer)["message"]


def test_follower_count_of_the_last_30_days_is_served(ig, token):
    since = (TINY.days - 29) * DAY + 1767225600
    answer = get(
        ig.url,
        f"{OUR_IG}/insights",
        token,
        metric="follower_count",
        period="day",
        since=since,
        until=since + 29 * DAY,
    )
    assert len(answer.json()["data"][0]["values"]) == 29


# --- hashtags -----------------------------------------------------------------------------


def _search(server, tag: str):
    return get(server.url, "ig_hashtag_search", user_id=OUR_IG, q=tag)


def test_the_31st_unique_hashtag_in_7_days_is_refused(fresh):
    for n in range(30):
        assert _search(fresh, f"tag{n}").status_code == 200
    assert _error(_search(fresh, "tag30"))["code"] == 100


def test_a_hashtag_searched_again_does_not_count(fresh):
    for n in range(30):
        _search(fresh, f"tag{n}")
    assert [_search(fresh, "tag0").status_code for _ in range(3)] == [200] * 3


def test_the_hashtag_window_rolls_after_7_days(fresh):
    for n in range(30):
        _search(fresh, f"tag{n}")
    fresh.world.advance(7)
    assert _search(fresh, "tag30").status_code == 200


def test_recent_media_gives_the_last_24_hours_only(ig, token):
    world = ig.world
    hashtag = get(ig.url, "ig_hashtag_search", token, user_id=OUR_IG, q="fika").json()["data"][0][
        "id"
    ]
    seen = pages(ig.url, f"{hashtag}/recent_media", token, 3, user_id=OUR_IG, fields="id,timestamp")
    public = world.instagram.people_media(0) + [
        m for brand in range(len(BRANDS)) for m in world.instagram.brand_media(brand)
    ]
    expected = [m.id for m in public if "fika" in m.hashtags and m.created > world.clock - DAY]
    assert sorted(m["id"] for m in seen) == sorted(expected)


@pytest.mark.parametrize("brand", range(len(BRANDS)))
def test_recent_media_gives_a_business_accounts_media_with_the_hashtag(ig, token, brand):
    """Any public media with the hashtag, a brand's (a business account's) too."""
    world = ig.world
    tag = HASHTAGS[brand]
    hashtag = get(ig.url, "ig_hashtag_search", token, user_id=OUR_IG, q=tag).json()["data"][0]
    seen = pages(ig.url, f"{hashtag['id']}/recent_media", token, 3, user_id=OUR_IG, fields="id")
    brands = {m.id for m in world.instagram.brand_media(brand, world.clock - DAY + 1)}
    assert brands, "the brand posted nothing in the last 24 hours: choose another seed"
    assert brands <= {m["id"] for m in seen}


def test_recent_media_refuses_username(ig, token):
    hashtag = get(ig.url, "ig_hashtag_search", token, user_id=OUR_IG, q="fika").json()["data"][0][
        "id"
    ]
    answer = get(ig.url, f"{hashtag}/recent_media", token, user_id=OUR_IG, fields="id,username")
    assert _error(answer)["code"] == 100


# --- usage --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [OUR_IG, f"{OUR_IG}/media", "17841400000000002"])
def test_every_instagram_answer_carries_the_buc_header(ig, token, path):
    answer = get(ig.url, path, token, fields="id")
    usage = json.loads(answer.headers["x-business-use-case-usage"])
    entry = usage[OUR_IG][0]
    assert {"call_count", "total_cputime", "total_time", "estimated_time_to_regain_access"} <= set(
        entry
    )


def test_calls_past_the_limit_answer_80002_until_the_next_hour(fresh):
    fresh.set_instagram_access(calls_per_hour=3)
    codes = [get(fresh.url, OUR_IG, fields="id").status_code for _ in range(3)]
    refused = get(fresh.url, OUR_IG, fields="id")
    assert codes == [200] * 3 and _error(refused)["code"] == 80002
    assert json.loads(refused.headers["x-business-use-case-usage"])[OUR_IG][0]["call_count"] == 100
    fresh.world.advance(seconds=3600)
    assert get(fresh.url, OUR_IG, fields="id").status_code == 200


# --- paging and deletions -----------------------------------------------------------------


def test_a_limit_above_the_maximum_is_cut_to_it(ig, token):
    media = max(_our_media(ig, token), key=lambda m: m["comments_count"])
    answer = get(ig.url, f"{media['id']}/comments", token, limit=500, fields="id").json()
    assert len(answer["data"]) <= MAX_LIMITS["comments"]


def test_business_discovery_pages_have_cursors_and_no_next(ig, token):
    fields = f"business_discovery.username({BRANDS[1].ig_username}){{media.limit(2){{id}}}}"
    paging = get(ig.url, OUR_IG, token, fields=fields).json()["business_discovery"]["media"][
        "paging"
    ]
    assert "after" in paging["cursors"] and "next" not in paging


def test_a_deleted_comment_leaves_the_walk_and_its_lookup_answers_100_33(fresh):
    token = our_page_token(fresh.url)
    media = max(_our_media(fresh, token), key=lambda m: m["comments_count"])
    comments = pages(fresh.url, f"{media['id']}/comments", token, 100, fields=COMMENT_FIELDS)
    gone = comments[0]["id"]
    fresh.hide([gone])
    after = pages(fresh.url, f"{media['id']}/comments", token, 100, fields=COMMENT_FIELDS)
    assert gone not in {c["id"] for c in after} and len(after) == len(comments) - 1
    error = _error(get(fresh.url, gone, token, fields="id,text"))
    assert (error["code"], error["error_subcode"]) == (100, 33)


def test_a_deleted_media_leaves_the_walk_and_its_lookup_answers_100_33(fresh):
    token = our_page_token(fresh.url)
    media = _our_media(fresh, token)
    fresh.hide([media[0]["id"]])
    assert media[0]["id"] not in {m["id"] for m in _our_media(fresh, token)}
    error = _error(get(fresh.url, media[0]["id"], token, fields="id"))
    assert (error["code"], error["error_subcode"]) == (100, 33)


def test_a_comment_deleted_in_the_world_takes_its_replies(ig, token):
    world = ig.world
    for media in world.instagram.brand_media(0):
        for comment in world.instagram.comments(media):
            if comment.parent_id and not any(
                c.id == comment.parent_id for c in world.instagram.visible_comments(media)
            ):
                assert _error(get(ig.url, comment.id, token, fields="id"))["code"] == 100
                return
    pytest.skip("no reply under a deleted comment in this world")


def test_a_throttle_fault_on_instagram_answers_80002_with_the_account_usage(fresh):
    from social_crm_dev.simulator.faults import FaultConfig

    fresh.configure_faults(FaultConfig(rate_limit_every=1))
    answer = get(fresh.url, OUR_IG, fields="id")
    assert _error(answer)["code"] == 80002
    usage = json.loads(answer.headers["x-business-use-case-usage"])[OUR_IG][0]
    assert usage["call_count"] == 100 and usage["estimated_time_to_regain_access"] >= 1


def test_a_deleted_comment_and_its_replies_leave_the_media_comments_count(fresh):
    token = our_page_token(fresh.url)
    media = max(_our_media(fresh, token), key=lambda m: m["comments_count"])
    comments = pages(fresh.url, f"{media['id']}/comments", token, 100, fields="id")
    gone = comments[0]["id"]
    replies = pages(fresh.url, f"{gone}/replies", token, 100, fields="id")
    fresh.hide([gone])
    after = next(m for m in _our_media(fresh, token) if m["id"] == media["id"])
    assert after["comments_count"] == media["comments_count"] - 1 - len(replies)


def test_me_accounts_answers_the_fields_each_request_asks_at_the_same_clock(ig):
    """The Facebook and Instagram extractors ask `/me/accounts` for different fields in the
    same minute (the live cycle runs them at once): each gets the fields it asked for."""
    first = get(ig.url, "me/accounts", fields="id,access_token,instagram_business_account")
    second = get(ig.url, "me/accounts", fields="id,access_token,tasks")
    assert "tasks" not in first.json()["data"][0]
    assert "tasks" in second.json()["data"][0]
