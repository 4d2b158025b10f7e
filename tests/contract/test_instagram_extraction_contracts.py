"""Contract tests for the Instagram extraction (Instagram API with Facebook Login): answers and
errors written by hand from Meta's documentation (`payloads/instagram/*.json`, each naming its
public source, never produced by our simulator), served by a real local HTTP server through
the real client: the extractor lands or handles each as the documentation says."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from social_crm.extract.http import ApiError
from social_crm.extract.instagram import (
    InstagramAccount,
    InstagramExtractor,
    InstagramSettings,
    PermissionMissing,
)
from social_crm.extract.instagram_streams import (
    COMMENTS,
    HASHTAG_MEDIA,
    MEDIA,
    MENTIONED_COMMENTS,
    MENTIONED_MEDIA,
    REPLIES,
    RIVALS,
    TAGGED,
    account_builder,
    media_scope,
)
from social_crm.extract.streams import Engine
from social_crm_dev.simulator.config import WORLD_START
from tests.contract.conftest import documented

IG = "17841400000000001"
FOLDER = Path(__file__).parent / "payloads" / "instagram"
NAMES = sorted(p.stem for p in FOLDER.glob("*.json"))


def extractor_of(server) -> InstagramExtractor:
    settings = InstagramSettings(own=(InstagramAccount(IG, "fjordbrew"),), page_size=25)
    return InstagramExtractor(server.client(), lambda: None, settings)


def items_of(server, stream, scope: str = "", parent: str = "") -> list:
    """The items of the documented answer, read through the real client and the engine."""
    engine = Engine(server.client(), lambda: None, page_size=25)
    call = server.case["call"]
    extra = {k: v for k, v in call["params"].items() if k not in stream.params and k != "limit"}
    (page, *_) = list(engine.pages(stream, scope, extra, parent=parent))
    return stream.select(page)


@pytest.mark.parametrize("name", NAMES)
def test_every_instagram_payload_names_its_public_source(name):
    source = json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8"))["source"]
    assert source.startswith(("https://", "error text"))
    assert "simulator" not in source.lower()


def test_the_page_linked_to_our_account_gives_the_token_of_its_requests(canned):
    server = canned("ig_me_accounts")
    extractor = extractor_of(server)
    access = extractor.access()
    assert (access.own, access.failed) == ({IG: "104000000000001"}, {})
    assert extractor.client._token_for(f"{server.url}/v24.0/{IG}/media") == "EAAPageTokenOfOurPage"


def test_an_account_no_page_links_is_reported_with_what_to_link(canned):
    server = canned("ig_me_accounts")
    settings = InstagramSettings(own=(InstagramAccount("17841400000000009", "other"),))
    extractor = InstagramExtractor(server.client(), lambda: None, settings)
    assert extractor.access().own == {}
    with pytest.raises(ApiError, match="link the account to the brand's Page"):
        extractor.finish()


def test_our_account_lands_as_one_snapshot_a_day(canned):
    server = canned("ig_user_node")
    body = server.answer()
    record = account_builder(date(2026, 11, 21))(body, IG)
    assert (record.natural_key, record.scope_key) == (f"{IG}:2026-11-21", IG)
    assert record.payload == body  # the API's item, unchanged


@pytest.mark.parametrize(
    ("name", "stream", "kind"),
    [
        ("ig_user_media", MEDIA, "own"),
        ("ig_user_tags", TAGGED, "tags"),
        ("ig_hashtag_recent_media", HASHTAG_MEDIA, "hashtag"),
    ],
)
def test_documented_media_land_keyed_by_id_in_their_walks_scope(canned, name, stream, kind):
    server = canned(name)
    parent = server.case["call"]["path"].split("/")[0]
    items = items_of(server, stream, IG, parent=parent)
    scope = media_scope(kind, IG)
    records = [stream.build(item, scope) for item in items]
    assert [r.natural_key for r in records] == [i["id"] for i in items]
    assert all(r.scope_key == scope and r.event_at is not None for r in records)
    assert [r.payload for r in records] == items


def test_documented_comments_land_scoped_by_their_media(canned):
    server = canned("ig_media_comments")
    items = items_of(server, COMMENTS, parent="17895695668004550")
    records = [COMMENTS.build(item, "17895695668004550") for item in items]
    assert {r.scope_key for r in records} == {"17895695668004550"}
    assert [r.payload for r in records] == items


def test_a_documented_reply_gains_the_media_of_the_walk(canned):
    server = canned("ig_comment_replies")
    (item,) = items_of(server, REPLIES, parent="17870913679156914")
    record = REPLIES.build(item, "17895695668004550")
    assert record.payload == {**item, "media_id": "17895695668004550"}
    assert record.scope_key == "17895695668004550"


def test_a_documented_caption_mention_lands_as_media_of_the_mentions_scope(canned):
    server = canned("ig_mentioned_media")
    (item,) = items_of(server, MENTIONED_MEDIA, IG)
    record = MENTIONED_MEDIA.build(item, media_scope("mentions", IG))
    assert (record.natural_key, record.payload["username"]) == ("18028071919200002", "ola_h")


def test_a_documented_comment_mention_lands_with_no_author(canned):
    server = canned("ig_mentioned_comment")
    (item,) = items_of(server, MENTIONED_COMMENTS, IG)
    record = MENTIONED_COMMENTS.build(item, media_scope("mentions", IG))
    assert record.natural_key == "17873440459141077"
    assert "from" not in record.payload and "username" not in record.payload


def test_a_rivals_documented_media_land_in_its_scope_and_its_account_as_a_snapshot(canned):
    server = canned("ig_business_discovery")
    body = server.answer()
    found = body["business_discovery"]
    items = RIVALS.select(type("P", (), {"body": body})())
    records = [RIVALS.build(item, media_scope("rival", found["id"])) for item in items]
    assert [r.scope_key for r in records] == ["rival:17841400000000002"]
    account = {k: v for k, v in found.items() if k != "media"}
    snapshot = account_builder(date(2026, 11, 21))(account, found["id"])
    assert snapshot.natural_key == "17841400000000002:2026-11-21"


def test_documented_account_insights_land_one_value_per_metric_and_day(canned):
    server = canned("ig_account_insights_total_value")
    extractor = extractor_of(server)
    values = list(extractor._account_values(IG, date(2026, 11, 20), date(2026, 11, 21)))
    assert values[:2] == [
        {"ig_user_id": IG, "metric": "views", "day": "2026-11-20", "value": 5210},
        {"ig_user_id": IG, "metric": "reach", "day": "2026-11-20", "value": 1733},
    ]
    from social_crm.extract.instagram_streams import account_insight_record

    assert account_insight_record(values[0]).natural_key == f"{IG}:views:2026-11-20"


def test_a_documented_follower_count_value_is_the_day_its_period_ends_after(canned):
    server = canned("ig_follower_count")
    extractor = extractor_of(server)
    values = list(extractor._account_values(IG, date(2026, 11, 19), date(2026, 11, 19)))
    assert values == []  # no whole day asked: no request's worth of values
    values = list(extractor._account_values(IG, date(2026, 11, 18), date(2026, 11, 19)))
    # (the canned server answers the day's total_value request with the same series: the
    # values of that request have no total_value, and the builder refuses them)
    assert [(v["metric"], v["day"], v["value"]) for v in values][-2:] == [
        ("follower_count", "2026-11-18", 12),
        ("follower_count", "2026-11-19", 7),
    ]


def test_documented_media_insights_land_as_the_days_lifetime_values(canned):
    server = canned("ig_media_insights")
    extractor = extractor_of(server)
    values = extractor._media_values("17895695668004550", "FEED", set(), date(2026, 11, 21))
    assert [(v["metric"], v["value"], v["day"]) for v in values] == [
        ("views", 3120, "2026-11-21"),
        ("saved", 41, "2026-11-21"),
    ]


def test_a_missing_permission_names_what_to_grant(canned):
    server = canned("ig_permission_missing")
    extractor = extractor_of(server)
    with pytest.raises(PermissionMissing, match="instagram_manage_comments") as refused:
        with extractor.requires("comments"):
            server.answer()
    assert refused.value.error_code == 10


def test_the_instagram_business_use_case_throttle_is_waited_out_not_failed_at_once(canned):
    server = canned("ig_buc_throttled")
    client = server.client()
    with pytest.raises(ApiError, match="still failing"):
        client.get_json(server.case["call"]["path"], dict(server.case["call"]["params"]))
    assert {reason for reason, _ in client.waits} == {"rate limit"}
    assert client.waits[0][1] == 120  # estimated_time_to_regain_access: 2 minutes


def test_the_usage_header_near_its_limit_slows_the_next_call(canned):
    server = canned("ig_buc_usage_high")
    client = server.client()
    client.get_json(server.case["call"]["path"], dict(server.case["call"]["params"]))
    assert [reason for reason, _ in client.waits] == ["usage near limit"]
    assert client.usage["x-business-use-case-usage:call_count"] == 95


def test_payload_names_are_unique_across_the_payload_folders():
    assert all(documented(name) for name in NAMES)


# --- the simulator answers the documented calls with the documented shapes -------------------


@pytest.fixture(scope="module")
def sim():
    from social_crm_dev.simulator.config import WorldConfig
    from social_crm_dev.simulator.server import SimulatorServer
    from social_crm_dev.simulator.world import World

    config = WorldConfig(seed=7, scale=0.05, days=20, ig_people_media_per_day=600.0)
    with SimulatorServer(World(config)) as running:
        yield running


def _ids_of(sim) -> dict[str, str]:
    """Ids of the simulated world standing in for the documented ones."""
    from social_crm_dev.simulator.instagram import hashtag_id

    ig = sim.world.instagram
    media = [m for m in ig.brand_media(0) if m.product_type == "FEED"]
    with_comments = next(m for m in reversed(media) if ig.visible_comments(m))
    comments = ig.visible_comments(with_comments)
    replied = next(
        (m, c)
        for m in reversed(ig.brand_media(0))
        for c in ig.visible_comments(m)
        if any(r.parent_id == c.id for r in ig.visible_comments(m))
    )
    changes = sim.world.instagram_webhook_changes(0, sim.world.clock + 1)
    mentions = [value for _, _, field, value, _ in changes if field == "mentions"]
    day = sim.world.clock // 86_400 - 2
    since = int((WORLD_START + timedelta(days=day)).timestamp())
    return {
        "17895695668004550": with_comments.id,
        "17870913679156914": replied[1].id,
        "18028071919200002": next(v["media_id"] for v in mentions if "comment_id" not in v),
        "17873440459141077": next(v["comment_id"] for v in mentions if "comment_id" in v),
        "17843857450040591": hashtag_id("fika"),
        "fjordroast": "fika",
        "1795046400": str(since),
        "1795132800": str(since + 86_400),
        "1795219200": str(since + 2 * 86_400),
        "_unused": comments[0].id,
    }


# parts of a documented answer a shorter one may leave out: a business discovery listing that
# fits one page has no paging
MAY_LACK = {".business_discovery.media.paging"}
SHAPED = [
    name
    for name in NAMES
    if documented(name)["status"] == 200 and name not in ("ig_buc_usage_high",)
]


@pytest.mark.parametrize("name", SHAPED)
def test_the_simulator_answers_each_documented_call_with_its_shape(sim, name):
    import requests

    from tests.contract.test_contracts import _shape_mismatches

    case = documented(name)
    text = json.dumps(case["call"])
    for documented_id, world_id in _ids_of(sim).items():
        text = text.replace(documented_id, world_id)
    call = json.loads(text)
    if name == "ig_hashtag_recent_media":  # a hashtag is served after its search
        requests.get(
            f"{sim.url}/v27.0/ig_hashtag_search",
            params={"user_id": IG, "q": "fika", "access_token": sim.fb_token},
            timeout=30,
        )
    answer = requests.get(
        f"{sim.url}/v27.0/{call['path']}",
        params={**call["params"], "access_token": sim.fb_token},
        timeout=30,
    )
    assert answer.status_code == case["status"], answer.text[:300]
    problems = _shape_mismatches(case["body"], answer.json())
    assert [p for p in problems if p.split(":")[0] not in MAY_LACK] == []


def test_a_page_token_in_a_quarantined_item_never_reaches_the_warehouse(canned, scratch_database):
    """The Page token read from /me/accounts is a secret like the connection's: an answer
    that echoes it in an item the builder refuses is quarantined redacted."""
    import psycopg

    from social_crm.warehouse import migrations

    server = canned("ig_me_accounts")  # answers every request: a media listing of Pages
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
    settings = InstagramSettings(own=(InstagramAccount(IG, "fjordbrew"),), page_size=25)
    extractor = InstagramExtractor(
        server.client(), lambda: psycopg.connect(scratch_database.libpq()), settings
    )
    extractor.media()
    with psycopg.connect(scratch_database.libpq()) as conn:
        kept = [row[0] for row in conn.execute("select raw_text from raw_quarantine.records")]
    assert kept and not [text for text in kept if "EAAPageTokenOfOurPage" in text]
