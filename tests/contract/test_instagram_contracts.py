"""The simulator's Instagram answers and webhook changes against the documented ones
(`payloads/instagram/*.json` and `payloads/webhooks/*.json`, written by hand from Meta's
documentation, each naming its source; never produced by the simulator).

Each documented call is asked of the simulator with the world's own ids in place of the
documentation's (a media with comments, a comment with replies, a mention that exists...): the
answer must have the same status, the same keys and the same JSON types. Each documented
webhook change must have the shape of the changes the world gives for the sender.
"""

from __future__ import annotations

import pytest
import requests

from social_crm_dev.simulator.config import BRANDS, DAY, WorldConfig
from social_crm_dev.simulator.instagram import UNIX_WORLD_START
from social_crm_dev.simulator.instagram_api import IG_PERMISSIONS
from social_crm_dev.simulator.server import DEFAULT_FB_TOKEN, SimulatorServer
from social_crm_dev.simulator.world import World
from tests.contract.conftest import documented
from tests.contract.test_contracts import _shape_mismatches

OUR_IG = BRANDS[0].ig_user_id
WORLD = WorldConfig(seed=13, scale=0.25, days=45)
API_CASES = (
    "ig_user_node",
    "ig_buc_usage_high",
    "ig_user_media",
    "ig_user_tags",
    "ig_media_comments",
    "ig_comment_replies",
    "ig_business_discovery",
    "ig_hashtag_search",
    "ig_hashtag_recent_media",
    "ig_me_accounts",
    "ig_mentioned_media",
    "ig_mentioned_comment",
    "ig_media_insights",
    "ig_media_insights_unsupported_metric",
    "ig_account_insights_total_value",
    "ig_follower_count",
)
WEBHOOK_CASES = {
    "webhook_instagram_comments": "instagram",
    "webhook_instagram_mentions": "instagram",
    "webhook_page_feed_comment": "page",
}


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(World(WORLD)) as running:
        yield running


@pytest.fixture(scope="module")
def ids(sim) -> dict[str, str]:
    """The world's ids standing in for the documentation's."""
    ig, clock = sim.world.instagram, sim.world.clock
    own = ig.brand_media(0)
    reels = [m for m in own if m.product_type == "REELS"]
    with_replies = next(
        (m, c)
        for m in own
        for c in ig.visible_comments(m)
        if c.parent_id is None and any(r.parent_id == c.id for r in ig.visible_comments(m))
    )
    recent = [m for m in ig.people_media(clock - DAY + 1) if m.hashtags]
    mentioned = next(m for m in ig.people_media() if 0 in m.mentioned)
    comment_mention = next(
        c
        for d in range(WORLD.days + 1)
        for c in ig.comment_mentions_on(d)
        if c.brand == 0 and ig.comment(c.id) is not None
    )
    last_day = UNIX_WORLD_START + (clock // DAY - 1) * DAY
    return {
        "media_with_comments": max(own, key=ig.comments_count).id,
        "comment_with_replies": with_replies[1].id,
        "reels": reels[0].id,
        "recent_tag": recent[-1].hashtags[0],
        "mentioned_media": mentioned.id,
        "comment_mention": comment_mention.id,
        "since": str(last_day),
        "until": str(last_day + DAY),
    }


def _ask(sim, ids: dict[str, str], name: str) -> requests.Response:
    call = documented(name)["call"]
    path, params = call["path"], dict(call["params"])
    if name == "ig_media_comments":
        path = f"{ids['media_with_comments']}/comments"
    elif name == "ig_comment_replies":
        path = f"{ids['comment_with_replies']}/replies"
    elif name in ("ig_media_insights", "ig_media_insights_unsupported_metric"):
        path = f"{ids['reels']}/insights"
    elif name == "ig_hashtag_recent_media":
        found = requests.get(
            f"{sim.url}/v27.0/ig_hashtag_search",
            params={"user_id": OUR_IG, "q": ids["recent_tag"], "access_token": DEFAULT_FB_TOKEN},
            timeout=30,
        ).json()
        path = f"{found['data'][0]['id']}/recent_media"
    elif name == "ig_mentioned_media":
        params["fields"] = params["fields"].replace("18028071919200002", ids["mentioned_media"])
    elif name == "ig_mentioned_comment":
        params["fields"] = params["fields"].replace("17873440459141077", ids["comment_mention"])
    if "since" in params:
        params.update(since=ids["since"], until=ids["until"])
    return requests.get(
        f"{sim.url}/v27.0/{path}", params={**params, "access_token": DEFAULT_FB_TOKEN}, timeout=30
    )


def test_every_documented_instagram_call_is_compared():
    from tests.contract.conftest import PAYLOAD_FILES

    ours = {n for n, p in PAYLOAD_FILES.items() if p.parent.name == "instagram"}
    assert ours == {*API_CASES, "ig_buc_throttled", "ig_permission_missing"}


@pytest.mark.parametrize("name", API_CASES)
def test_the_simulator_answers_the_documented_shape(sim, ids, name):
    case = documented(name)
    answer = _ask(sim, ids, name)
    assert answer.status_code == case["status"], answer.text
    assert _shape_mismatches(case["body"], answer.json()) == []


def test_the_documented_answers_have_data_to_compare(sim, ids):
    for name in API_CASES:
        body = _ask(sim, ids, name).json()
        listing = body.get("data", body)
        assert listing, name


def test_a_missing_permission_has_the_documented_shape():
    case = documented("ig_permission_missing")
    with SimulatorServer(World(WorldConfig(seed=13, scale=0.05, days=10))) as sim:
        media = sim.world.instagram.brand_media(0)[0].id
        sim.set_instagram_access(permissions=sorted(IG_PERMISSIONS - {"instagram_manage_comments"}))
        answer = requests.get(
            f"{sim.url}/v27.0/{media}/comments",
            params={**case["call"]["params"], "access_token": DEFAULT_FB_TOKEN},
            timeout=30,
        )
    assert answer.status_code == case["status"]
    assert _shape_mismatches(case["body"], answer.json()) == []


def test_the_buc_throttle_has_the_documented_shape():
    case = documented("ig_buc_throttled")
    with SimulatorServer(World(WorldConfig(seed=13, scale=0.05, days=10))) as sim:
        sim.set_instagram_access(calls_per_hour=1)
        url = f"{sim.url}/v27.0/{case['call']['path']}"
        params = {**case["call"]["params"], "access_token": DEFAULT_FB_TOKEN}
        requests.get(url, params=params, timeout=30)
        answer = requests.get(url, params=params, timeout=30)
    assert answer.status_code == case["status"]
    assert _shape_mismatches(case["body"], answer.json()) == []
    assert answer.json()["error"]["code"] == 80002


@pytest.mark.parametrize("name", sorted(WEBHOOK_CASES))
def test_the_world_gives_webhook_changes_of_the_documented_shape(name):
    world = World(WorldConfig(seed=13, scale=0.1, days=15))
    changes = world.instagram_webhook_changes(0, world.clock + 1)
    changes += world.page_feed_changes(world.clock - 2 * DAY, world.clock + 1)
    delivery = documented(name)["delivery"]
    documented_changes = [
        (delivery["object"], change) for entry in delivery["entry"] for change in entry["changes"]
    ]
    for obj, change in documented_changes:
        ours = [
            value
            for o, _, field, value, _ in changes
            if o == obj
            and field == change["field"]
            and set(value) == set(change["value"])  # the same kind of change (reply, mention)
        ]
        assert ours, (name, sorted(change["value"]))
        assert _shape_mismatches(change["value"], ours[0]) == []
