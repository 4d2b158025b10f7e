"""Outside attack of the influence promise (docs/data-model.md#influence): a person's influence
is estimated from the interactions their messages draw from OTHER people; deleted messages,
a person's own second account and absurd follower counts must not inflate it or break the
build.

Each test takes its own copy of the built test world (real embedded PostgreSQL, the simulator's
world extracted, the nightly build run), lands what an attacker or an unlucky user would make
the platforms answer through the pipeline's own landing batches and CRM drop folder, and runs
the nightly build again (the odd follower counts: one copy for all of them, each on another
customer's profile, one build). Nothing is mocked."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.load.landing import LandingBatch, RawRecord
from tests.end_to_end.conftest import copy_of, nightly_build, world_now, write_csv

pytestmark = [pytest.mark.integration, pytest.mark.end_to_end]


def _land(pipeline, source: str, entity: str, records=(), gone=(), version=None) -> None:
    with pipeline.connect() as conn, LandingBatch(conn, source, entity, api_version=version) as b:
        for record in records:
            b.add(record)
        if gone:
            b.confirmed_gone(set(gone))


# a test that reads only the scores (scoring.influence) and what they are made of (staging,
# int_interactions) has them by this step: the marts, their gate and the publish come after
SCORED = "score_influence_and_clv"


def _rebuild(pipeline, **until) -> None:
    """The nightly build again on the test's copy (`until=` a step: up to it; default: up to
    the publish, nightly_build)."""
    nightly_build(as_of=world_now(pipeline.sim), **until)


def _influence(pipeline, key: str) -> tuple[float, int]:
    platform, profile_id = key.split(":", 1)
    row = pipeline.rows(
        "select influence, interactions_received from scoring.influence"
        " where platform = %s and profile_id = %s",
        platform,
        profile_id,
    )
    return (row[0][0], row[0][1]) if row else (0.0, 0)


def _x_tweet(tweet_id: str, author: str, brand: str, at: datetime, reply_to=None) -> RawRecord:
    payload = {
        "id": tweet_id,
        "lang": "en",
        "text": f"@{brand} and another thing about the grinder",
        "author_id": author,
        "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "brand_handle": brand,
        "public_metrics": {
            "like_count": 0,
            "quote_count": 0,
            "reply_count": 0,
            "retweet_count": 0,
            "bookmark_count": 0,
            "impression_count": 0,
        },
        "conversation_id": reply_to[0] if reply_to else tweet_id,
        "edit_history_tweet_ids": [tweet_id],
    }
    if reply_to:
        payload["referenced_tweets"] = [{"id": reply_to[0], "type": "replied_to"}]
        payload["in_reply_to_user_id"] = reply_to[1]
    return RawRecord(natural_key=tweet_id, payload=payload, scope_key=brand, event_at=at)


def test_infl_facebook_self_reply_is_not_an_interaction_from_another_person(built):
    """A person answering their own Facebook comment draws nothing from OTHER people; the
    test world already holds such a reply, and int_interactions counts it (Instagram's
    replies exclude it; Facebook's do not)."""
    pipeline, _ = built
    own = pipeline.rows(
        "select platform, interaction_type, interaction_id, source_profile_id"
        " from intermediate.int_interactions where source_profile_id = target_profile_id"
    )
    assert own == [], f"self-interactions counted toward influence: {own}"


def test_infl_x_self_replies_do_not_raise_influence(built, warehouse_url, tmp_path):
    """A person who answers their own X post 30 times (a thread, or a spammer) draws nothing
    from other people: their influence must not change."""
    with copy_of(built, warehouse_url, tmp_path / "w") as (pipeline, _):
        tweet_id, author, brand, at = pipeline.rows(
            "select t.tweet_id, t.author_profile_id, t.brand_handle, t.created_at"
            " from staging.stg_x__tweets t join scoring.influence i"
            " on i.platform = 'x' and i.profile_id = t.author_profile_id"
            " where t.replied_to_tweet_id is null and t.author_profile_id not in"
            " (select x_user_id from staging.brands where x_user_id is not null)"
            " order by i.influence, t.tweet_id limit 1"
        )[0]
        key = f"x:{author}"
        before = _influence(pipeline, key)
        reply_to = (tweet_id, author)
        replies = [
            _x_tweet(f"19{n:017d}", author, brand, at + timedelta(minutes=n + 1), reply_to)
            for n in range(30)
        ]
        _land(pipeline, "x", "tweets", replies, version="2")
        _rebuild(pipeline, until=SCORED)
        after = _influence(pipeline, key)
    unchanged = (before[1], pytest.approx(before[0], rel=0.05))
    assert (after[1], after[0]) == unchanged, (
        f"{key} answered its own post 30 times: interactions received {before[1]} -> {after[1]},"
        f" influence {before[0]:.3f} -> {after[0]:.3f}"
    )


def test_infl_replies_to_a_deleted_x_post_are_not_credited(built, warehouse_url, tmp_path):
    """A post its author deleted is no longer a message of theirs (it leaves the messages the
    estimate counts, and the engagements mart); the replies it drew must leave their
    interactions too, as they do on Facebook (a reply's parent is joined there): X's
    tweet_replies reads in_reply_to_user_id alone, so the replies stay credited to a message
    that no longer exists (drawn without exposure)."""
    with copy_of(built, warehouse_url, tmp_path / "w") as (pipeline, _):
        post, author, replies = pipeline.rows(
            "select p.tweet_id, p.author_profile_id, count(*) from staging.stg_x__tweets r"
            " join staging.stg_x__tweets p on r.replied_to_tweet_id = p.tweet_id"
            " where r.author_profile_id <> p.author_profile_id and p.replied_to_tweet_id is null"
            " and p.author_profile_id not in"
            " (select x_user_id from staging.brands where x_user_id is not null)"
            " and r.author_profile_id not in"
            " (select x_user_id from staging.brands where x_user_id is not null)"
            " group by 1, 2 order by 3 desc, 1 limit 1"
        )[0]
        key = f"x:{author}"
        before = _influence(pipeline, key)
        _land(pipeline, "x", "tweets", gone=[post], version="2")
        _rebuild(pipeline, until=SCORED)
        assert pipeline.rows("select 1 from staging.stg_x__tweets where tweet_id = %s", post) == []
        after = _influence(pipeline, key)
    assert after[1] == before[1] - replies, (
        f"{key}: {replies} replies to its deleted post; interactions {before[1]} -> {after[1]},"
        f" influence {before[0]:.3f} -> {after[0]:.3f}"
    )


@pytest.mark.xfail(
    strict=True,
    reason="int_identity_links gives a customer one model link per platform: once the CRM"
    " names the second account, the model's link of the first is dropped ('taken'), so the"
    " two are no longer known as one customer's when the scoring leaves out answers between"
    " profiles linked to the same customer",
)
def test_infl_replies_from_the_persons_own_second_account_are_not_counted(
    built, warehouse_url, tmp_path
):
    """When the CRM learns that the account that keeps answering a customer is the customer's
    own second account, those answers come from no OTHER person: the customer's influence
    must no longer count them (the community size already leaves them out)."""
    with copy_of(built, warehouse_url, tmp_path / "w") as (pipeline, truth):
        source, target, customer, n = pipeline.rows(
            "select i.source_profile_id, i.target_profile_id, t.customer_id, count(*)"
            " from intermediate.int_interactions i"
            " join intermediate.int_people_profiles t"
            "  on t.profile_key = 'facebook:' || i.target_profile_id"
            " join intermediate.int_people_profiles s"
            "  on s.profile_key = 'facebook:' || i.source_profile_id"
            " where i.platform = 'facebook' and i.interaction_type = 'comment_reply'"
            " and t.customer_id is not null and s.customer_id is null"
            " and i.source_profile_id <> i.target_profile_id and not t.is_excluded_from_details"
            " group by 1, 2, 3 order by 4 desc, 1 limit 1"
        )[0]
        key = f"facebook:{target}"
        before = _influence(pipeline, key)
        write_csv(
            truth.folder / "crm_drop" / "customer_social_accounts_2099-01-01.csv",
            [
                {
                    "customer_id": customer,
                    "platform": "facebook",
                    "account_id": source,
                    "handle": "",
                    "source": "manual",
                    "linked_at": world_now(pipeline.sim).isoformat(),
                }
            ],
        )
        land_drop_folder(pipeline.connect, truth.folder / "crm_drop")
        _rebuild(pipeline)
        linked = pipeline.scalar(
            "select customer_id from intermediate.int_people_profiles where profile_key = %s",
            f"facebook:{source}",
        )
        assert linked == customer, "the CRM's link of the second account did not take"
        after = _influence(pipeline, key)
    assert after[1] == before[1] - n, (
        f"{customer}: {n} replies from its own second account {source}; interactions"
        f" {before[1]} -> {after[1]}, influence {before[0]:.3f} -> {after[0]:.3f}"
    )


# absurd follower counts an X profile's public_metrics may hold (a corrupt answer, a bot
# network's account, a JSON float, a negative number), by test id
FOLLOWER_COUNTS = {
    "1e15": 10**15,
    "1e10-the-largest-valid": 10**10,
    "1e20-over-bigint": 10**20,
    "float-1500.0": 1500.0,
    "negative": -1_000_000,
}


@pytest.fixture(scope="module")
def odd_followers(built, warehouse_url, tmp_path_factory):
    """A copy of the built world in which each of FOLLOWER_COUNTS is the follower count of the
    X profile of another customer (those with the most influence), each landed in a batch of
    its own, then one nightly build (a count that breaks the build breaks this one): the
    build's error (None when it published) and, by count, its customer's (customer id, Social
    CLV, predicted CLV) after it."""
    from social_crm.extract.x_streams import user_record

    folder = tmp_path_factory.mktemp("odd_followers") / "w"
    with copy_of(built, warehouse_url, folder) as (pipeline, _):
        chosen: dict[str, str] = {}  # customer -> its X profile, most influence first
        for customer, profile in pipeline.rows(
            "select c.customer_id, p.profile_id from marts.customer_lifetime_value c"
            " join intermediate.int_people_profiles p on p.customer_id = c.customer_id"
            " where p.platform = 'x' and c.influence > 0"
            " order by c.influence desc, c.customer_id, p.profile_id"
        ):
            if len(chosen) < len(FOLLOWER_COUNTS) and profile not in chosen.values():
                chosen.setdefault(customer, profile)
        assert len(chosen) == len(FOLLOWER_COUNTS), f"customers with an X influence: {chosen}"
        customers = dict(zip(FOLLOWER_COUNTS, chosen.items(), strict=True))
        for name, (_, profile) in customers.items():
            payload = pipeline.scalar(
                "select payload from raw.x_users where natural_key = %s"
                " order by ingest_seq desc limit 1",
                profile,
            )
            payload["public_metrics"]["followers_count"] = FOLLOWER_COUNTS[name]
            _land(pipeline, "x", "users", [user_record(payload)], version="2")
        error = None
        try:
            _rebuild(pipeline)
        except Exception as exc:  # the failure is the finding
            error = f"{type(exc).__name__}: {str(exc)[:400]}"
        clv = {
            name: (
                customer,
                *(
                    pipeline.rows(
                        "select social_clv, predicted_clv from marts.customer_lifetime_value"
                        " where customer_id = %s",
                        customer,
                    )
                    or [(None, None)]
                )[0],
            )
            for name, (customer, _) in customers.items()
        }
        yield error, clv


@pytest.mark.parametrize("name", list(FOLLOWER_COUNTS))
def test_infl_odd_follower_count_keeps_the_build_and_social_clv_sound(odd_followers, name):
    """An X profile whose public_metrics.followers_count is absurd: the X extractor lands it
    unchecked (user_record). The nightly build must still publish, with a finite Social CLV
    that the influence terms never lower below the predicted CLV."""
    error, clv = odd_followers
    assert error is None, (
        f"follower counts {FOLLOWER_COUNTS} (one profile each) broke the nightly build: {error}"
    )
    customer, social, predicted = clv[name]
    assert social is not None, f"{customer} left the CLV mart"
    assert math.isfinite(float(social)) and social >= predicted, (customer, social, predicted)


def test_infl_a_rival_brands_page_answering_is_not_a_persons_interaction(
    built, warehouse_url, tmp_path
):
    """A rival brand's Page answering a customer's comment on our Page (a Page can comment on
    another Page's posts; our token reads its `from`) is a brand's answer, not an interaction
    between people: it must not be counted toward the customer's influence. int_interactions
    leaves out only the answers of the Page the post is on (is_by_page)."""
    from social_crm.extract.facebook_streams import comment_record

    with copy_of(built, warehouse_url, tmp_path / "w") as (pipeline, _):
        comment, post, author, at = pipeline.rows(
            "select comment_id, post_id, author_profile_id, created_at"
            " from staging.stg_facebook__comments"
            " where page_id = '104000000000001' and parent_comment_id is null"
            " and not is_by_page and author_profile_id is not null"
            " order by created_at desc, comment_id limit 1"
        )[0]
        key = f"facebook:{author}"
        before = _influence(pipeline, key)
        answers = [
            comment_record(
                {
                    "id": f"{comment.split('_')[0]}_9999990{n}",
                    "from": {"id": "104000000000002", "name": "Kaffeklubben"},
                    "parent": {"id": comment},
                    "message": "Sorry to hear that! Come try our beans, 20% off this week.",
                    "created_time": (at + timedelta(minutes=5 + n)).strftime(
                        "%Y-%m-%dT%H:%M:%S+0000"
                    ),
                },
                post,
            )
            for n in range(3)
        ]
        _land(pipeline, "facebook", "comments", answers, version="v27.0")
        _rebuild(pipeline, until=SCORED)
        counted = pipeline.rows(
            "select interaction_id from intermediate.int_interactions"
            " where source_profile_id in (select facebook_page_id from staging.brands)"
        )
        after = _influence(pipeline, key)
    assert counted == [], (
        f"a rival brand's answers counted as a person's: {counted}; {key} interactions"
        f" {before[1]} -> {after[1]}, influence {before[0]:.3f} -> {after[0]:.3f}"
    )


def test_infl_a_profile_whose_user_record_is_missing_keeps_the_answers_it_drew(
    built, warehouse_url, tmp_path
):
    """An X author whose user record is gone from raw (the users walk lost it: a lookup
    refused, a tombstone) while its posts and the replies from others stay: the estimate
    drops its messages (MESSAGES_SQL keeps only int_social_profiles' keys) but not the
    replies, so its expected answers, and with them its influence, fall to 0 though it drew
    the most replies. Missing profile data must not erase an influence its messages earned."""
    with copy_of(built, warehouse_url, tmp_path / "w") as (pipeline, _):
        profile, influence, received = pipeline.rows(
            "select profile_id, influence, interactions_received from scoring.influence"
            " where platform = 'x' and interactions_received > 0 and messages > 0"
            " order by interactions_received desc, influence desc limit 1"
        )[0]
        _land(pipeline, "x", "users", gone=[profile], version="2")
        _rebuild(pipeline, until=SCORED)
        after = _influence(pipeline, f"x:{profile}")
        posts = pipeline.scalar(
            "select count(*) from staging.stg_x__tweets where author_profile_id = %s", profile
        )
    assert posts > 0, "control: its posts stay"
    assert after[1] == received and after[0] > 0, (
        f"x:{profile} drew {received} replies; without its user record influence"
        f" {influence:.3f} -> {after[0]:.3f}, interactions {received} -> {after[1]}"
    )
